package flopcast.calibration.measurements;

import flopcast.analytic.AttentionKernel;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Recompute;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import flopcast.calibration.csv.CsvColumn;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one declaration of {@code measurements.csv}'s columns (written by the benchmarks module's
 * derivation, read by calibration); {@code results/README.md} documents each.
 */
public final class MeasurementsSchema {
    public static final String FILE_NAME = "measurements.csv";

    /** The JVM's bandwidth probe: a streaming update in place, a, c, d += s*b. */
    public static final String BANDWIDTH_UPDATE = "bandwidth_update";

    /** STREAM's triad, a = b + s*c: the GPU probe's bandwidth probe, and the JVM's before the update. */
    public static final String BANDWIDTH_TRIAD = "bandwidth_triad";

    /** Whether {@code component} names a bandwidth probe. */
    public static boolean isBandwidthProbe(String component) {
        return component.equals(BANDWIDTH_UPDATE) || component.equals(BANDWIDTH_TRIAD);
    }

    public static final List<CsvColumn> COLUMNS = columns(List.of(
            new CsvColumn("run_id", "-", "the run that wrote the row; its raw JMH output is raw/<run_id>.json"),
            new CsvColumn("benchmark", "-", "JMH benchmark, Class.method"),
            new CsvColumn("component", "-", "model component (predict's names), step, adamw, bf16_conversion, residual_add, head_copy, gradient_zeroing, peak_flops, "
                    + "bandwidth_update (the JVM's) or bandwidth_triad (the GPU probe's)"),
            new CsvColumn("pass", "-", "forward, backward, step, optimizer, probe, widen and round (the bf16 conversions' two loops), or overhead (a loop outside the components' kernels)"),
            new CsvColumn("backend", "-", "ejml: the model's own code, its matmuls on EJML (its concurrent ops "
                    + "above one thread) and its own loops in plain Java; vector: the Vector API GEMM and Vector API "
                    + "loops; above one thread both split the model's loops and attention heads across the threads; "
                    + "probe: a hardware probe; torch-cpu, torch-cuda: the PyTorch probe, "
                    + "probes/torch/probe.py")), List.of(
            new CsvColumn("parameters", "parameters", "AdamW rows: parameters updated per op"),
            new CsvColumn("threads", "threads", "threads the measured kernel used"),
            new CsvColumn("predicted_flops", "FLOP/op", "matmul FLOPs per op (step rows: model FLOPs, forward and "
                    + "backward matmuls; peak rows: FMA FLOPs)"),
            new CsvColumn("elementwise_flops", "FLOP/op", "elementwise FLOPs per op"),
            new CsvColumn("optimizer_flops", "FLOP/op", "AdamW FLOPs per op"),
            new CsvColumn("predicted_bytes", "B/op", "what the op must at least read and write: each input once, "
                    + "each output once"),
            new CsvColumn("score_seconds_per_op", "s/op", "JMH score: average time per op, per thread (an invocation's time over the ops it ran, where one ran"
                    + " several: a bandwidth probe's sweeps)"),
            new CsvColumn("score_error_seconds", "s/op", "JMH's 99.9% confidence half-width of the score; empty for a"
                    + " row that took turns (JMH's interval is the whole trial's, over every row)"),
            new CsvColumn("samples", "iterations", "timed samples: JMH's measured iterations over "
                    + "every fork, each an average over its ops; for a row that took turns in InterleavedBenchmark,"
                    + " the iterations that ran it"),
            new CsvColumn("lower_quartile_seconds_per_op", "s/op", "the lower quartile of the samples, the uncontended host as a quarter of them saw it; the time calibration uses "
                    + "(empty on rows written before it existed: the score is used)"),
            new CsvColumn("spread", "1", "(lower quartile - fastest sample) / lower quartile: how closely the fastest quarter agree; empty under "
                    + Samples.MIN_FOR_SPREAD + " samples; above " + RowMark.STEP_SPREAD_LIMIT + " (a step) or "
                    + RowMark.COMPONENT_SPREAD_LIMIT + " (a component or AdamW) a timed row is marked noisy"),
            new CsvColumn("achieved_flops_per_second", "FLOP/s", "threads x the row's FLOPs per op / lower quartile; the "
                    + "row's FLOPs are predicted_flops, or elementwise plus optimizer FLOPs where it has no matmul"),
            new CsvColumn("achieved_bytes_per_second", "B/s", "threads x predicted_bytes / lower quartile"),
            new CsvColumn("peak_flops_per_second_nominal", "FLOP/s", "min(threads, physical cores) x maximum "
                    + "frequency x FLOPs per cycle per core of the widest vector instruction set (64 for AVX-512, 32 "
                    + "for AVX2 with FMA, 16 for AVX or NEON, 8 for SSE2), from what OSHI reads of the host "
                    + "(NominalPeak); empty where any of these is unknown; on a PyTorch probe row, the catalog GPU's "
                    + "dense peak at the precision it ran"),
            new CsvColumn("peak_flops_per_second_measured", "FLOP/s", "the Vector API FMA probe at the row's thread "
                    + "count in this run; empty where the probe did not run at that count"),
            new CsvColumn("bandwidth_bytes_per_second_measured", "B/s", "the bandwidth probe over its largest "
                    + "arrays (memory) at the row's thread count in this run; empty where it did not run at that count"),
            new CsvColumn("mfu", "1", "achieved_flops_per_second / peak_flops_per_second_measured, on rows with "
                    + "matmul FLOPs (not the probe itself)"),
            new CsvColumn("valid", "-", "true, or false when a mark in status invalidates the row (physically "
                    + "impossible, or timed before its code settled); calibration fits valid rows only"),
            new CsvColumn("status", "-", "ok, or the row's marks separated by '; ', each 'key (detail)': "
                    + "mfu_out_of_range, peak_probe_failed, unsettled_warmup, noisy (each invalidates the row), "
                    + "cache_resident (valid: a memory-bound op above the measured bandwidth, its data in cache)"),
            new CsvColumn("predicted_heap_bytes", "B", "step rows: the complete accounting's training bytes and, under a"
                    + " bf16 policy, the float32 working copies the JVM's model widens into (train's predicted heap); adamw "
                    + "rows: 16 bytes per parameter; on a PyTorch probe row, the rank's state, the bytes the pytorch "
                    + "profile says autograd saves and the complete accounting's workspace"),
            new CsvColumn("measured_heap_bytes", "B", "the live float[], int[], short[] and byte[] bytes the same model "
                    + "(or optimizer state) adds to the heap, by GC.class_histogram; on the vector backend this "
                    + "includes the GEMM's packing buffers (up to about 2.2 MB per thread), and above one thread "
                    + "each further thread's copy of the attention head scratch (T x d_k and T x T floats), which "
                    + "the tables do not hold; on a PyTorch probe row, torch.cuda.max_memory_allocated (empty on a "
                    + "CPU)"),
            new CsvColumn("allocated_bytes_per_op", "B/op", "JMH -prof gc gc.alloc.rate.norm"),
            new CsvColumn("host_cpu", "-", "processor name (OSHI)"),
            new CsvColumn("host_cores", "cores", "physical cores (OSHI)"),
            new CsvColumn("jvm", "-", "the forked benchmark JVM: name and version (JMH)"),
            new CsvColumn("git_commit", "-", "commit of the working tree that ran, read from .git; empty outside git"),
            new CsvColumn("utc_time", "-", "when the run started, ISO-8601 UTC")));

    private MeasurementsSchema() {
    }

    /** The settings columns, each named as its value's option in predict (without the dashes). */
    public static final List<String> SETTINGS = List.of("attention", "recompute", "precision_policy");

    /** The columns a file written before the settings and spread columns lacks; read back empty. */
    public static final List<String> ADDED = List.of(SETTINGS.get(0), SETTINGS.get(1), SETTINGS.get(2), "samples",
            "lower_quartile_seconds_per_op", "spread");

    public static List<String> names() {
        return COLUMNS.stream().map(CsvColumn::name).toList();
    }

    /** The header of a file written before {@link #ADDED}: still read, those columns empty. */
    public static List<String> previousNames() {
        return names().stream().filter(name -> !ADDED.contains(name)).toList();
    }

    /** Writes a row's shape columns (the JSON shape keys) and its settings. */
    public static void putShape(Map<String, Object> row, Shape shape) {
        for (ShapeKey key : ShapeKey.values()) {
            row.put(key.key(), key.of(shape));
        }
        Settings settings = shape.settings();
        row.put("attention", settings.attention().cliName());
        row.put("recompute", settings.recompute().cliName());
        row.put("precision_policy", settings.policy().cliName());
    }

    /** A row's settings; the defaults where its settings columns are empty (a row written before them). */
    public static Settings settings(Map<String, String> row) {
        String attention = row.getOrDefault("attention", "");
        String recompute = row.getOrDefault("recompute", "");
        String policy = row.getOrDefault("precision_policy", "");
        return new Settings(policy.isEmpty() ? Settings.DEFAULT.policy() : PrecisionPolicy.byName(policy),
                attention.isEmpty() ? Settings.DEFAULT.attention() : AttentionKernel.byName(attention),
                recompute.isEmpty() ? Settings.DEFAULT.recompute() : Recompute.byName(recompute));
    }

    /** The shape's columns, one per {@link ShapeKey}, between the identity columns and the rest. */
    private static <T> String names(T[] values, java.util.function.Function<T, String> name) {
        return String.join(", ", java.util.Arrays.stream(values).map(name).toList());
    }

    private static List<CsvColumn> columns(List<CsvColumn> identity, List<CsvColumn> rest) {
        List<CsvColumn> all = new ArrayList<>(identity);
        for (ShapeKey key : ShapeKey.values()) {
            all.add(new CsvColumn(key.key(), key.unit(), key.ordinal() == 0
                    ? key.symbol() + "; empty where the row has no model shape" : key.symbol()));
        }
        all.add(new CsvColumn("attention", "-", "attention kernel the step ran: " + names(AttentionKernel.values(),
                AttentionKernel::cliName) + " (predict --attention)"));
        all.add(new CsvColumn("recompute", "-", "activation recomputation: " + names(Recompute.values(),
                Recompute::cliName) + " (predict --recompute)"));
        all.add(new CsvColumn("precision_policy", "-", "precision policy: " + names(PrecisionPolicy.values(),
                PrecisionPolicy::cliName) + " (predict --precision-policy)"));
        all.addAll(rest);
        return List.copyOf(all);
    }
}
