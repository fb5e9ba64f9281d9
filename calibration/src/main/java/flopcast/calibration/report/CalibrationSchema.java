package flopcast.calibration.report;

import flopcast.calibration.csv.CsvColumn;
import java.util.List;

/** The one declaration of {@code calibration.csv}'s columns; {@code results/README.md} documents each. */
public final class CalibrationSchema {
    public static final String FILE_NAME = "calibration.csv";

    public static final List<CsvColumn> COLUMNS = List.of(
            new CsvColumn("section", "-", "fit, held_out, host_mfu, heap, extrapolation, sensitivity or memory"),
            new CsvColumn("item", "-", "what the row is about: an op class, a step's shape, an assumption"),
            new CsvColumn("quantity", "-", "which number of the item"),
            new CsvColumn("value", "unit", "the number"),
            new CsvColumn("unit", "-", "its unit"),
            new CsvColumn("note", "-", "source, label or caveat"),
            new CsvColumn("host_cpu", "-", "the host the measurements come from"),
            new CsvColumn("target", "-", "the extrapolation's model, device, precision, steps and batch"));

    private CalibrationSchema() {
    }
}
