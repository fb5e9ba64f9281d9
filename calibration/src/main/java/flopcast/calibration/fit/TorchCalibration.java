package flopcast.calibration.fit;

import flopcast.analytic.Accounting;
import flopcast.analytic.Excerpt;
import flopcast.analytic.FlopsUtilization;
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
 * Convention: the measured MFU carries over to the target device as a fraction of its peak; MFU
 * itself is {@code FlopsUtilization}'s. This class computes; the report package renders it.
 * Pinned by {@code TorchCalibrationTest}.
 *
 * @param device      the device the rows ran on (their {@code host_cpu}: the GPU's name, or the CPU's)
 * @param backend     torch-cuda or torch-cpu
 * @param steps       every valid step row of that device, in file order
 * @param classes     one fit per shape class, in order of appearance
 * @param extrapolation the target
 */
public record TorchCalibration(String device, String backend, List<Step> steps, List<ShapeClass> classes,
        Extrapolation extrapolation) {

    /** The prefix of the probe's backends. */
    public static final String BACKEND_PREFIX = "torch-";
    /** Where the rows come from: the source of the measured extrapolation row. */
    public static final String SOURCE = "probes/torch/probe.py rows";

    public TorchCalibration {
        steps = List.copyOf(steps);
        classes = List.copyOf(classes);
    }

    /**
     * One valid step row of the probe, as it wrote it.
     *
     * @param label          the shape class: V, T, L, d, h, d_ff
     * @param batchSize      the batch it ran
     * @param seconds        the median of its timed steps
     * @param flopsPerSecond model FLOPs / seconds, as the probe wrote it
     * @param mfu            the probe's MFU against the catalog peak; NaN where the row has none (a CPU)
     */
    public record Step(String label, long batchSize, double seconds, double flopsPerSecond, double mfu) {
    }

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
            throw new RefusedMeasurements(results + " has no valid step rows for '" + chosen + "'");
        }
        Map<String, Map<String, String>> largest = new LinkedHashMap<>();
        for (Map<String, String> row : rows) {
            String label = label(row);
            Map<String, String> best = largest.get(label);
            if (best == null || number(row, ShapeKey.BATCH_SIZE.key()) > number(best, ShapeKey.BATCH_SIZE.key())) {
                largest.put(label, row);
            }
        }
        List<Step> steps = new ArrayList<>();
        for (Map<String, String> row : rows) {
            steps.add(new Step(label(row), (long) number(row, ShapeKey.BATCH_SIZE.key()),
                    number(row, "score_seconds_per_op"), number(row, "achieved_flops_per_second"),
                    row.get("mfu").isEmpty() ? Double.NaN : number(row, "mfu")));
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
                    rate, FlopsUtilization.mfuOfRate(rate, peak), peak));
        }
        Extrapolation extrapolation = new Extrapolation(target.shape(), target.device(), target.precision(),
                target.steps(), List.of());
        return new TorchCalibration(chosen, rows.get(0).get("backend"), steps, classes, extrapolation);
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

    /**
     * The target run at the primary class's measurement: on the target device's peak at the class's
     * MFU, or, where the rows have no catalog peak (a CPU), at the class's rate on this host itself,
     * with a NaN MFU (none carries over).
     */
    public Extrapolation.Row measured() {
        ShapeClass primary = primary();
        BigInteger step = Accounting.COMPLETE.predict(extrapolation.target()).flops().step();
        String label = "measured on this device: " + device + ", " + primary.label() + " B=" + primary.batchSize();
        if (!Double.isNaN(primary.mfu())) {
            double peak = extrapolation.device().peakFlopsPerSecond(extrapolation.precision());
            double days = TrainingTime.of(extrapolation.steps(), step, peak, Math.min(1.0, primary.mfu())).days();
            return new Extrapolation.Row(label, extrapolation.precision(), primary.mfu(), days, SOURCE);
        }
        double seconds = new BigDecimal(step).doubleValue() * extrapolation.steps() / primary.flopsPerSecond();
        return new Extrapolation.Row(label + " (on this host itself: a CPU has no catalog peak, so no MFU carries over)",
                extrapolation.precision(), Double.NaN, seconds / TrainingTime.SECONDS_PER_DAY, SOURCE);
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
