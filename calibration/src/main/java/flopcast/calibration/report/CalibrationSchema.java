package flopcast.calibration.report;

import flopcast.calibration.csv.CsvColumn;
import java.util.List;

/** The one declaration of {@code calibration.csv}'s columns; {@code results/README.md} documents each. */
public final class CalibrationSchema {
    public static final String FILE_NAME = "calibration.csv";

    public static final List<CsvColumn> COLUMNS = List.of(
            new CsvColumn("section", "-", "measurements (rows read, rows marked invalid), fit (efficiency fits, "
                    + "the measured peak and bandwidth; from probe rows, each shape class's largest batch, model "
                    + "FLOP/s and MFU), held_out (each step: measured, predicted, error, the same with the step's "
                    + "shape left out of the fit, and its noise floor; per backend and thread count the worst and "
                    + "median error of the decided steps and how many are undecided; each settings step's time over "
                    + "its default step's, measured and predicted), profile (each profiled step: its time, its "
                    + "classes the model has terms for and what the model predicts for them, the classes it has "
                    + "none for, the remainder), host_mfu (each "
                    + "measured step's seconds, model FLOP/s and MFU), device_mfu (from probe rows: each measured "
                    + "batch's seconds, model FLOP/s and MFU), heap (predicted, measured, ratio), extrapolation "
                    + "(days and MFU per assumption), sensitivity (days at 10% to 80% MFU), memory (largest "
                    + "micro-batch, accumulation steps, shortfall, the device's capacity, the target batch)"),
            new CsvColumn("item", "-", "what the row is about: a fit's backend, thread count and op class (or its "
                    + "peak or bandwidth), a step's label and shape (V=.. T=.. L=.. d=.. h=.. d_ff=.. B=..), a heap "
                    + "row's component and shape, an assumption, or a memory quantity"),
            new CsvColumn("quantity", "-", "which number of the item: intercept, slope, error, days, mfu, ..."),
            new CsvColumn("value", "unit", "the number, locale-free"),
            new CsvColumn("unit", "-", "its unit"),
            new CsvColumn("note", "-", "source, label or caveat (every extrapolation row names its source)"),
            new CsvColumn("host_cpu", "-", "the host whose measurements were fitted (from probe rows, the device: "
                    + "the GPU's or the CPU's name)"),
            new CsvColumn("target", "-", "the extrapolated run: its shape with the batch, steps, device and "
                    + "precision"));

    private CalibrationSchema() {
    }
}
