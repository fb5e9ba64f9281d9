package flopcast.calibration.measurements;

import flopcast.analytic.FlopsUtilization;
import flopcast.analytic.Excerpt;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.calibration.host.HostInfo;
import flopcast.analytic.NamedShape;
import flopcast.calibration.host.NominalPeak;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * JMH's raw results turned into {@code measurements.csv} rows: what each benchmark measured, the
 * FLOPs and bytes per op its auxiliary counters carried, the achieved rates, the probes' peaks at
 * the same thread count, MFU, heap and provenance.
 */
public final class Derivation {

    /** What stamps every row. */
    public record Provenance(String runId, HostInfo host, String gitCommit, String utcTime) {
    }

    /** Live bytes measured for a step's model or an optimizer's state, outside JMH's timing. */
    public interface HeapMeasurements {
        /** The model's live bytes on {@code backend}'s matmuls and loops on {@code threads}. */
        long step(Shape shape, String backend, int threads);

        long adamW(int parameters);
    }

    private Derivation() {
    }

    public static List<Map<String, Object>> rows(List<RawResult> raw, Provenance provenance, HeapMeasurements heap) {
        Map<Integer, Double> peakByThreads = new HashMap<>();
        Map<Integer, Double> bandwidthByThreads = new HashMap<>();
        Map<Integer, Long> bandwidthBytes = new HashMap<>();
        for (RawResult result : raw) {
            String component = param(result, "component");
            if (component.equals("peak_flops")) {
                peakByThreads.put(threads(result), rate(result, result.perOp("matmulFlops")));
            } else if (MeasurementsSchema.isBandwidthProbe(component)
                    && result.perOp("bytes") >= bandwidthBytes.getOrDefault(threads(result), 0L)) {
                // memory's bandwidth: the probe over the largest arrays at that thread count
                bandwidthBytes.put(threads(result), result.perOp("bytes"));
                bandwidthByThreads.put(threads(result), rate(result, result.perOp("bytes")));
            }
        }
        Map<String, Long> stepHeap = new HashMap<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (RawResult result : raw) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (String column : MeasurementsSchema.names()) {
                row.put(column, null);
            }
            row.put("run_id", provenance.runId());
            row.put("benchmark", result.shortName());
            row.put("component", param(result, "component"));
            row.put("pass", param(result, "pass"));
            row.put("backend", param(result, "backend"));
            String shapeName = result.params().get("shape");
            Shape shape = shapeName == null ? null
                    : NamedShape.byName(shapeName).shape().withSettings(settings(result.params()));
            if (shape != null) {
                MeasurementsSchema.putShape(row, shape);
            }
            int threads = threads(result);
            row.put("threads", threads);
            long matmul = result.perOp("matmulFlops");
            long elementwise = result.perOp("elementwiseFlops");
            long optimizer = result.perOp("optimizerFlops");
            long bytes = result.perOp("bytes");
            row.put("predicted_flops", matmul);
            row.put("elementwise_flops", elementwise);
            row.put("optimizer_flops", optimizer);
            row.put("predicted_bytes", bytes);
            // JMH's figures are an invocation's; a row's are an op's
            row.put("score_seconds_per_op", result.score() * result.callsPerOp());
            row.put("score_error_seconds", Double.isNaN(result.scoreError()) ? null
                    : result.scoreError() * result.callsPerOp());
            Samples samples = new Samples(result.secondsPerOpSamples());
            row.put("samples", samples.count());
            row.put("lower_quartile_seconds_per_op", samples.lowerQuartile());
            row.put("spread", Double.isNaN(samples.spread()) ? null : samples.spread());
            long flops = matmul > 0 ? matmul : elementwise + optimizer;
            Double achieved = flops > 0 ? rate(result, flops) : null;
            row.put("achieved_flops_per_second", achieved);
            row.put("achieved_bytes_per_second", bytes > 0 ? rate(result, bytes) : null);
            OptionalDouble nominal = NominalPeak.flopsPerSecond(provenance.host(), threads);
            row.put("peak_flops_per_second_nominal", nominal.isPresent() ? nominal.getAsDouble() : null);
            Double peak = peakByThreads.get(threads);
            row.put("peak_flops_per_second_measured", peak);
            row.put("bandwidth_bytes_per_second_measured", bandwidthByThreads.get(threads));
            boolean probe = "probe".equals(row.get("pass"));
            row.put("mfu", matmul > 0 && !probe && peak != null ? FlopsUtilization.mfuOfRate(achieved, peak) : null);
            String parameters = result.params().get("parameters");
            if (parameters != null) {
                row.put("parameters", Integer.parseInt(parameters));
            }
            long predictedHeap = result.perOp("predictedHeapBytes");
            if (predictedHeap > 0) {
                row.put("predicted_heap_bytes", predictedHeap);
                String backend = (String) row.get("backend");
                row.put("measured_heap_bytes", "optimizer".equals(row.get("pass"))
                        ? heap.adamW(Integer.parseInt(parameters))
                        : stepHeap.computeIfAbsent(backend + " " + threads + " " + shape.describe(),
                                key -> heap.step(shape, backend, threads)));
            }
            row.put("valid", true);
            row.put("status", RowMark.OK);
            double limit = RowMark.spreadLimit((String) row.get("pass"));
            if (!"probe".equals(row.get("pass")) && samples.spread() > limit) {
                mark(row, RowMark.NOISY, String.format(Locale.ROOT, "spread %.1f%% over %.0f%%: %d samples",
                        100 * samples.spread(), 100 * limit, samples.count()));
            }
            if (result.perOp("unsettled") > 0) {
                mark(row, RowMark.UNSETTLED_WARMUP, "no settled time within the warm-up bound: JIT still compiling or"
                        + " times still moving");
            }
            // the GC profiler's figure is an invocation's, as JMH's score is
            Double allocated = result.secondary().get("gc.alloc.rate.norm");
            row.put("allocated_bytes_per_op", allocated == null ? null : allocated * result.callsPerOp());
            HostInfo host = provenance.host();
            row.put("host_cpu", host.cpuName().orElse(null));
            row.put("host_cores", host.physicalCores().isPresent() ? host.physicalCores().getAsInt() : null);
            row.put("jvm", result.jvm());
            row.put("git_commit", provenance.gitCommit());
            row.put("utc_time", provenance.utcTime());
            rows.add(row);
        }
        markProbesAndRates(rows);
        return rows;
    }

    /**
     * The all-thread FMA peak over the one-thread one below which, on two physical cores or more, the
     * all-thread probe failed: independent FMA chains share nothing between cores.
     */
    static final double MIN_PEAK_SCALING = 1.2;

    /** The row's physical cores; 1 where OSHI could not tell (no scaling is then expected). */
    private static int physicalCores(Map<String, Object> row) {
        Object cores = row.get("host_cores");
        return cores instanceof Integer count ? count : 1;
    }

    /**
     * A benchmark's settings from its parameters: {@code attention}, {@code recompute} and
     * {@code precision_policy} by name, or one {@code setting} parameter naming one of them as
     * {@code column=value} (a benchmark that changes one setting at a time); the defaults for the rest.
     */
    public static Settings settings(Map<String, String> params) {
        Map<String, String> named = new HashMap<>(params);
        String setting = params.get("setting");
        if (setting != null) {
            String[] parts = setting.split("=", 2);
            if (parts.length != 2 || !MeasurementsSchema.SETTINGS.contains(parts[0])) {
                throw new InvalidInputException("setting '" + Excerpt.of(setting) + "' is not column=value; allowed"
                        + " columns: attention, recompute, precision_policy");
            }
            named.put(parts[0], parts[1]);
        }
        return MeasurementsSchema.settings(named);
    }

    /**
     * Marks what no single row shows: a peak probe below half its nominal peak, with one thread
     * above all threads, or with all threads under {@link #MIN_PEAK_SCALING} times one on a host of
     * two cores or more (and every MFU that divides by it), an MFU outside (0, 1], and a memory-bound
     * row faster than the measured bandwidth at its thread count (cache-resident).
     */
    private static void markProbesAndRates(List<Map<String, Object>> rows) {
        Map<Integer, String> failedPeak = new HashMap<>();
        Map<Integer, Map<String, Object>> peaks = new HashMap<>();
        for (Map<String, Object> row : rows) {
            if ("peak_flops".equals(row.get("component"))) {
                peaks.put((Integer) row.get("threads"), row);
            }
        }
        for (Map<String, Object> peak : peaks.values()) {
            double measured = (Double) peak.get("achieved_flops_per_second");
            Double nominal = (Double) peak.get("peak_flops_per_second_nominal");
            if (nominal != null && measured < 0.5 * nominal) {
                failedPeak.put((Integer) peak.get("threads"), String.format(Locale.ROOT, "%.1f GFLOP/s measured, below"
                        + " half the nominal %.1f", measured / 1e9, nominal / 1e9));
            }
        }
        Map<String, Object> one = peaks.get(1);
        int most = peaks.keySet().stream().mapToInt(Integer::intValue).max().orElse(1);
        if (one != null && most > 1 && (Double) one.get("achieved_flops_per_second")
                > (Double) peaks.get(most).get("achieved_flops_per_second")) {
            String detail = String.format(Locale.ROOT, "one-thread peak %.1f GFLOP/s above the %d-thread %.1f",
                    (Double) one.get("achieved_flops_per_second") / 1e9, most,
                    (Double) peaks.get(most).get("achieved_flops_per_second") / 1e9);
            failedPeak.merge(1, detail, (a, b) -> a + ", " + b);
            failedPeak.merge(most, detail, (a, b) -> a + ", " + b);
        } else if (one != null && Math.min(most, physicalCores(peaks.get(most))) > 1
                && (Double) peaks.get(most).get("achieved_flops_per_second")
                        < MIN_PEAK_SCALING * (Double) one.get("achieved_flops_per_second")) {
            // FMA chains on two cores or more run at least this much faster than on one, unless
            // something else held a core (seen: 240.9 against 225.0 GFLOP/s in a quick run, 448.5 in the default run)
            failedPeak.merge(most, String.format(Locale.ROOT, "%d-thread peak %.1f GFLOP/s under %.1fx the one-thread %.1f on"
                    + " %d cores: the threads shared a core", most,
                    (Double) peaks.get(most).get("achieved_flops_per_second") / 1e9, MIN_PEAK_SCALING,
                    (Double) one.get("achieved_flops_per_second") / 1e9, physicalCores(peaks.get(most))),
                    (a, b) -> a + ", " + b);
        }
        for (Map<String, Object> row : rows) {
            int threads = (Integer) row.get("threads");
            if ("peak_flops".equals(row.get("component")) && failedPeak.containsKey(threads)) {
                mark(row, RowMark.PEAK_PROBE_FAILED, failedPeak.get(threads));
            }
            Double mfu = (Double) row.get("mfu");
            if (mfu == null) {
                continue;
            }
            if (failedPeak.containsKey(threads)) {
                mark(row, RowMark.PEAK_PROBE_FAILED, "the " + threads + "-thread probe this MFU divides by failed");
            }
            if (!(mfu > 0 && mfu <= 1)) {
                mark(row, RowMark.MFU_OUT_OF_RANGE, String.format(Locale.ROOT, "MFU %.3f outside (0, 1]", mfu));
            }
        }
        for (Map<String, Object> row : rows) {
            Double bandwidth = (Double) row.get("bandwidth_bytes_per_second_measured");
            Double achieved = (Double) row.get("achieved_bytes_per_second");
            boolean memoryBound = ((Long) row.get("predicted_flops")) == 0 && !"probe".equals(row.get("pass"))
                    && !"step".equals(row.get("pass"));
            if (memoryBound && bandwidth != null && achieved != null && achieved > bandwidth) {
                mark(row, RowMark.CACHE_RESIDENT, String.format(Locale.ROOT, "%.1f GB/s, above the measured"
                        + " %d-thread bandwidth %.1f", achieved / 1e9, threads(row), bandwidth / 1e9));
            }
        }
    }

    private static int threads(Map<String, Object> row) {
        return (Integer) row.get("threads");
    }

    /** Adds {@code mark} to the row's status, and makes the row invalid where the mark does. */
    private static void mark(Map<String, Object> row, RowMark mark, String detail) {
        String status = (String) row.get("status");
        List<String> described = new ArrayList<>();
        if (!RowMark.OK.equals(status)) {
            described.add(status);
        }
        described.add(mark.describe(detail));
        row.put("status", RowMark.status(described));
        if (mark.invalidates()) {
            row.put("valid", false);
        }
    }

    /** A parameter every flopcast benchmark declares ({@code component}, {@code pass}, {@code backend}). */
    private static String param(RawResult result, String name) {
        String value = result.params().get(name);
        if (value == null) {
            throw new InvalidInputException(result.benchmark() + " has no " + name + " parameter: every flopcast"
                    + " benchmark names its component, pass and backend (is this JMH output of flopcast's benchmarks?)");
        }
        return value;
    }

    /**
     * Threads the measured kernel used: JMH's threads times the threads each one's kernel ran on
     * (its {@code kernelThreads} counter, counted where it ran; 1 where a result has none).
     */
    static int threads(RawResult result) {
        long kernel = result.perOp("kernelThreads");
        return Math.toIntExact(result.threads() * Math.max(1, kernel));
    }

    /** threads x quantity per op / the lower quartile of the seconds per op. */
    private static double rate(RawResult result, long perOp) {
        return result.threads() * (double) perOp / new Samples(result.secondsPerOpSamples()).lowerQuartile();
    }
}
