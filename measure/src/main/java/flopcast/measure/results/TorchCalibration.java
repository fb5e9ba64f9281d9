package flopcast.measure.results;

import flopcast.analytic.Accounting;
import flopcast.analytic.Excerpt;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.ShapeKey;
import flopcast.analytic.TrainingTime;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Calibration from the PyTorch probe's rows ({@code probes/torch/probe.py}, backend torch-cuda or
 * torch-cpu): one device per file (or {@code --host}), the MFU of each shape class (the model
 * without its batch) at its largest measured batch, and the target run extrapolated at the MFU of
 * the class with the most FLOPs per step, beside the published figures.
 * <pre>
 *   class rate = model FLOPs per step / median step seconds, at the class's largest batch
 *   class MFU  = rate / the catalog peak the probe divided by (torch-cuda rows on a catalog GPU)
 *   days       = steps * target model FLOPs per step / (target device peak * class MFU) / 86400
 *   days on this host (no catalog peak: a CPU) = steps * target FLOPs per step / class rate / 86400
 * </pre>
 * Convention: the measured MFU carries over to the target device as a fraction of its peak.
 *
 * @param device      the device the rows ran on (their {@code host_cpu}: the GPU's name, or the CPU's)
 * @param backend     torch-cuda or torch-cpu
 * @param rows        every row of that device
 * @param classes     one fit per shape class, in order of appearance
 * @param extrapolation the target
 */
public record TorchCalibration(String device, String backend, List<Map<String, String>> rows,
        List<ShapeClass> classes, Extrapolation extrapolation) {

    /** The prefix of the probe's backends. */
    public static final String BACKEND_PREFIX = "torch-";

    /**
     * One shape class at its largest measured batch.
     *
     * @param label              V, T, L, d, h, d_ff
     * @param batchSize          the largest batch measured
     * @param seconds            its median step seconds
     * @param modelFlops         its model FLOPs per step
     * @param flopsPerSecond     model FLOPs / seconds
     * @param mfu                against the catalog peak; NaN where the rows have none
     * @param peakFlopsPerSecond that peak; NaN where none
     */
    public record ShapeClass(String label, long batchSize, double seconds, long modelFlops, double flopsPerSecond,
            double mfu, double peakFlopsPerSecond) {
    }

    /** True where every row of {@code rows} is the probe's; refused where the file mixes the probe's and the JVM's. */
    public static boolean probeRows(List<Map<String, String>> rows, Path file) {
        long probe = rows.stream().filter(row -> row.get("backend").startsWith(BACKEND_PREFIX)).count();
        if (probe != 0 && probe != rows.size()) {
            throw new InvalidInputException(file + " mixes " + probe + " PyTorch probe rows with " + (rows.size() - probe)
                    + " JVM rows: calibrate each from its own file");
        }
        return probe != 0;
    }

    public static TorchCalibration of(Path results, List<Map<String, String>> all, String host,
            CalibrationResult.TargetSpec target) {
        Set<String> devices = new LinkedHashSet<>();
        all.forEach(row -> devices.add(row.get("host_cpu")));
        String chosen = CalibrationResult.chooseHost(devices, host, results, "probe rows", "devices");
        List<Map<String, String>> rows = all.stream().filter(row -> row.get("host_cpu").equals(chosen)
                && row.get("pass").equals("step") && row.get("valid").equals("true")).toList();
        if (rows.isEmpty()) {
            throw new InvalidInputException(results + " has no valid step rows for '" + chosen + "'");
        }
        Map<String, Map<String, String>> largest = new LinkedHashMap<>();
        for (Map<String, String> row : rows) {
            String label = label(row);
            Map<String, String> best = largest.get(label);
            if (best == null || number(row, ShapeKey.BATCH_SIZE.key()) > number(best, ShapeKey.BATCH_SIZE.key())) {
                largest.put(label, row);
            }
        }
        List<ShapeClass> classes = new ArrayList<>();
        for (Map.Entry<String, Map<String, String>> entry : largest.entrySet()) {
            Map<String, String> row = entry.getValue();
            double seconds = number(row, "score_seconds_per_op");
            long flops = (long) number(row, "predicted_flops");
            double rate = flops / seconds;
            double peak = row.get("peak_flops_per_second_nominal").isEmpty() ? Double.NaN
                    : number(row, "peak_flops_per_second_nominal");
            classes.add(new ShapeClass(entry.getKey(), (long) number(row, ShapeKey.BATCH_SIZE.key()), seconds, flops,
                    rate, rate / peak, peak));
        }
        Extrapolation extrapolation = new Extrapolation(target.shape(), target.device(), target.precision(),
                target.steps(), List.of());
        return new TorchCalibration(chosen, rows.get(0).get("backend"), rows, classes, extrapolation);
    }

    /** The class the extrapolation carries over: the one with the most model FLOPs per step. */
    public ShapeClass primary() {
        ShapeClass primary = classes.get(0);
        for (ShapeClass c : classes) {
            if (c.modelFlops() > primary.modelFlops()) {
                primary = c;
            }
        }
        return primary;
    }

    /** calibration.csv's entries: rows read, each class's fit, the extrapolation beside the published rows. */
    public CalibrationTable table() {
        List<CalibrationTable.Entry> entries = new ArrayList<>();
        entries.add(new CalibrationTable.Entry("measurements", "rows", "rows", rows.size(), "rows",
                "valid step rows of " + device + " (" + backend + ")"));
        for (Map<String, String> row : rows) {
            String item = backend + " " + label(row) + " B=" + row.get(ShapeKey.BATCH_SIZE.key());
            entries.add(new CalibrationTable.Entry("device_mfu", item, "seconds", number(row, "score_seconds_per_op"),
                    "s", "median of the probe's timed steps"));
            entries.add(new CalibrationTable.Entry("device_mfu", item, "model_flops_per_second",
                    number(row, "achieved_flops_per_second"), "FLOP/s", "model FLOPs / seconds"));
            if (!row.get("mfu").isEmpty()) {
                entries.add(new CalibrationTable.Entry("device_mfu", item, "mfu", number(row, "mfu"), "1",
                        "against the catalog peak"));
            }
        }
        for (ShapeClass c : classes) {
            String item = backend + " " + c.label();
            entries.add(new CalibrationTable.Entry("fit", item, "batch_size", c.batchSize(), "sequences",
                    "the class's largest measured batch"));
            entries.add(new CalibrationTable.Entry("fit", item, "flops_per_second", c.flopsPerSecond(), "FLOP/s",
                    "model FLOPs / seconds at that batch"));
            if (!Double.isNaN(c.mfu())) {
                entries.add(new CalibrationTable.Entry("fit", item, "mfu", c.mfu(), "1", "against "
                        + String.format(java.util.Locale.ROOT, "%.4g", c.peakFlopsPerSecond()) + " FLOP/s"));
            }
        }
        ShapeClass primary = primary();
        BigInteger step = Accounting.COMPLETE.predict(extrapolation.target()).flops().step();
        double peak = extrapolation.device().peakFlopsPerSecond(extrapolation.precision());
        String measured = "measured on this device: " + device + ", " + primary.label() + " B=" + primary.batchSize();
        if (!Double.isNaN(primary.mfu())) {
            double days = TrainingTime.of(extrapolation.steps(), step, peak, Math.min(1.0, primary.mfu())).days();
            entries.add(new CalibrationTable.Entry("extrapolation", measured, "days", days, "days",
                    "probes/torch/probe.py rows"));
            entries.add(new CalibrationTable.Entry("extrapolation", measured, "mfu", primary.mfu(), "1",
                    extrapolation.precision().cliName() + " peak"));
        } else {
            double seconds = new BigDecimal(step).doubleValue() * extrapolation.steps() / primary.flopsPerSecond();
            entries.add(new CalibrationTable.Entry("extrapolation", measured + " (on this host itself: a CPU has no"
                    + " catalog peak, so no MFU carries over)", "days", seconds / TrainingTime.SECONDS_PER_DAY, "days",
                    "probes/torch/probe.py rows"));
        }
        for (Extrapolation.Row row : extrapolation.publishedRows()) {
            entries.add(new CalibrationTable.Entry("extrapolation", row.label(), "days", row.days(), "days", row.source()));
            entries.add(new CalibrationTable.Entry("extrapolation", row.label(), "mfu", row.mfu(), "1",
                    row.precision().cliName() + " peak"));
        }
        for (Extrapolation.Row row : extrapolation.sensitivity()) {
            entries.add(new CalibrationTable.Entry("sensitivity", row.label(), "days", row.days(), "days",
                    row.precision().cliName() + " peak"));
        }
        return new CalibrationTable(device, CalibrationTable.target(extrapolation), entries);
    }

    private static String label(Map<String, String> row) {
        StringBuilder text = new StringBuilder();
        for (ShapeKey key : ShapeKey.values()) {
            if (key != ShapeKey.BATCH_SIZE) {
                text.append(text.length() == 0 ? "" : " ").append(key.symbol()).append('=').append(row.get(key.key()));
            }
        }
        return text.toString();
    }

    private static double number(Map<String, String> row, String column) {
        try {
            return Double.parseDouble(row.get(column));
        } catch (NumberFormatException | NullPointerException e) {
            throw new InvalidInputException("probe row's " + column + " '" + Excerpt.of(String.valueOf(row.get(column)))
                    + "' is not a number");
        }
    }
}
