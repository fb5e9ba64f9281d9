package flopcast.calibration.fit;

import flopcast.analytic.Component;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.MinimumTraffic;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.calibration.measurements.MeasurementsSchema;
import flopcast.calibration.measurements.OpClass;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * measurements.csv rows with known answers: every op class runs at a fixed efficiency of a fixed
 * peak and bandwidth, and each step takes exactly the sum of its component instances' times.
 */
public final class SyntheticMeasurements {
    static final double PEAK = 100e9;
    static final double BANDWIDTH = 10e9;
    static final double MATMUL_FORWARD = 0.5;
    static final double MATMUL_BACKWARD = 0.25;
    static final double MEMORY = 0.8;
    static final int SAMPLES = 10;
    static final double SPREAD = 0.01;
    static final Shape SMALL = new Shape(64, 8, 2, 16, 2, 32, 2);
    static final Shape LARGE = new Shape(128, 16, 2, 32, 4, 64, 4);

    private SyntheticMeasurements() {
    }

    public static double efficiency(OpClass op) {
        return op == OpClass.MATMUL_FORWARD ? MATMUL_FORWARD : op == OpClass.MATMUL_BACKWARD ? MATMUL_BACKWARD : MEMORY;
    }

    /** Rows for the two shapes on EJML, one thread; {@code slowdown} multiplies the component times of {@code slowShape}. */
    public static List<Map<String, Object>> rows(String host, Shape slowShape, double slowdown) {
        List<Map<String, Object>> rows = probes(host, 1, PEAK, BANDWIDTH);
        rows.addAll(rows(host, slowShape, slowdown, "ejml", 1, 1));
        return rows;
    }

    /** The peak and bandwidth probe rows at {@code threads}, reaching {@code peak} and {@code bandwidth} in all. */
    public static List<Map<String, Object>> probes(String host, int threads, double peak, double bandwidth) {
        // JMH's score is per thread: each of the threads does a 1/threads share of the rate
        return new ArrayList<>(List.of(
                row(host, "peak_flops", "probe", "probe", null, null, threads, 1_000_000_000L, 0,
                        threads * 1e9 / peak, threads),
                row(host, "bandwidth_update", "probe", "probe", null, null, threads, 0, 1_000_000_000L,
                        threads * 1e9 / bandwidth, threads)));
    }

    /**
     * Component, step and AdamW rows of {@code backend} at {@code threads}, every op class at
     * {@code speed} x its fixed efficiency of the probes' {@code threads} x PEAK and BANDWIDTH (no
     * probe rows: see {@link #probes}).
     */
    public static List<Map<String, Object>> rows(String host, Shape slowShape, double slowdown, String backend, int threads,
            double speed) {
        List<Map<String, Object>> rows = new ArrayList<>();
        double peak = threads * PEAK;
        double bandwidth = threads * BANDWIDTH;
        for (Shape shape : List.of(SMALL, LARGE)) {
            double factor = shape.equals(slowShape) ? slowdown : 1;
            double stepSeconds = 0;
            for (Component component : Component.values()) {
                for (boolean forward : new boolean[] {true, false}) {
                    Optional<OpClass> op = OpClass.of(component, forward);
                    // no row for a component the shape has none of (the global layers' softmax without a pattern)
                    if (op.isEmpty() || component.instances(shape) == 0) {
                        continue;
                    }
                    long flops = MatmulFlops.forward(component, shape).multiply(BigInteger.valueOf(forward ? 1 : 2))
                            .longValueExact();
                    long bytes = (forward ? MinimumTraffic.forward(component, shape)
                            : MinimumTraffic.backward(component, shape)).longValueExact();
                    double seconds = op.get().computeBound() ? flops / (peak * speed * efficiency(op.get()))
                            : bytes / (bandwidth * speed * MEMORY);
                    stepSeconds += component.instances(shape) * seconds;
                    if (component != Component.FINAL_RMSNORM) {
                        rows.add(row(host, component.jsonName(), forward ? "forward" : "backward", backend, shape,
                                null, threads, flops, bytes, seconds * factor, 1));
                    }
                }
            }
            long adamBytes = MinimumTraffic.adamW(ParameterTensor.total(shape)).longValueExact();
            stepSeconds += adamBytes / (bandwidth * speed * MEMORY);
            // the work outside the components runs at the probes' bandwidth, with no efficiency of its own
            stepSeconds += StepTimeModel.terms(shape, withoutRowsOf(op -> 1), peak, Bandwidth.constant(bandwidth), threads)
                    .stream()
                    .filter(term -> term.kind() == StepTimeModel.Kind.OVERHEAD).mapToDouble(StepTimeModel.Term::seconds)
                    .sum();
            Map<String, Object> step = row(host, "step", "step", backend, shape, null, threads, 1_000_000L, 0,
                    stepSeconds, 1);
            step.put("predicted_heap_bytes", 1000L);
            step.put("measured_heap_bytes", 1001L);
            rows.add(step);
        }
        for (int parameters : new int[] {1000, 100_000}) {
            long bytes = 28L * parameters;
            rows.add(row(host, "adamw", "optimizer", backend, null, parameters, threads, 0, bytes,
                    bytes / (bandwidth * speed * MEMORY), 1));
        }
        return rows;
    }

    /**
     * {@code rows} (one thread, EJML, from {@link #rows(String, Shape, double)}) with one more step: the
     * small shape at {@code settings}, timed as the step-time model says the fixed efficiencies run it
     * (what the settings run again at the measured kernels' speed).
     */
    public static List<Map<String, Object>> withSettingsStep(List<Map<String, Object>> rows, String host,
            Settings settings) {
        Shape at = SMALL.withSettings(settings);
        double seconds = StepTimeModel.predict(at, withoutRowsOf(SyntheticMeasurements::efficiency), PEAK,
                Bandwidth.constant(BANDWIDTH), 1).seconds();
        Map<String, Object> step = row(host, "step", "step", "ejml", at, null, 1, 1_000_000L, 0, seconds, 1);
        List<Map<String, Object>> all = new ArrayList<>(rows);
        all.add(step);
        return all;
    }

    /**
     * A valid step row of the PyTorch probe as {@code MeasurementsCsv.read} returns it: the schema's
     * columns, empty but for these. Shape V=64 T=8 L=2 d=dModel h=2 d_ff=2*dModel; on torch-cuda with
     * {@code peak} and the MFU the probe writes, on torch-cpu (no peak, no MFU) where {@code peak} is null.
     */
    public static Map<String, String> probeStep(String device, long dModel, long batch, double flops, double seconds,
            Double peak) {
        Map<String, String> row = new LinkedHashMap<>();
        MeasurementsSchema.names().forEach(name -> row.put(name, ""));
        row.putAll(Map.of("component", "step", "pass", "step", "backend", peak == null ? "torch-cpu" : "torch-cuda",
                "vocab_size", "64", "context_length", "8", "num_layers", "2", "d_model", String.valueOf(dModel),
                "num_heads", "2", "d_ff", String.valueOf(2 * dModel)));
        row.putAll(Map.of("batch_size", String.valueOf(batch), "predicted_flops", String.valueOf((long) flops),
                "score_seconds_per_op", String.valueOf(seconds), "achieved_flops_per_second",
                String.valueOf(flops / seconds), "valid", "true", "status", "ok", "host_cpu", device));
        if (peak != null) {
            row.put("peak_flops_per_second_nominal", String.valueOf(peak));
            row.put("mfu", String.valueOf(flops / seconds / peak));
        }
        return row;
    }

    /**
     * {@code efficiency} for every class but the optional ones, which have no rows here (no conversion rows,
     * none for the work outside the kernels): as the calibration of these rows sees them.
     */
    static StepTimeModel.Efficiency withoutRowsOf(java.util.function.ToDoubleFunction<OpClass> efficiency) {
        return new StepTimeModel.Efficiency() {
            @Override
            public double of(OpClass opClass, double size) {
                return efficiency.applyAsDouble(opClass);
            }

            @Override
            public boolean fitted(OpClass opClass) {
                return !opClass.optional();
            }
        };
    }

    /** The bf16 conversions' rows on EJML, one thread: widening and rounding at 32K and 1M elements, at {@code efficiency}. */
    static List<Map<String, Object>> conversions(String host, double efficiency) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long elements : new long[] {32_768, 1_048_576}) {
            for (String pass : List.of("widen", "round")) {
                long bytes = elements * (pass.equals("widen") ? 6 : 10);
                rows.add(row(host, "bf16_conversion", pass, "ejml", null, null, 1, 0, bytes,
                        bytes / (BANDWIDTH * efficiency), 1));
            }
        }
        return rows;
    }

    /** A head-copy row on EJML, one thread, at {@link #SMALL}: one head's 8 bytes an element at {@code efficiency}. */
    static Map<String, Object> headCopy(String host, double efficiency) {
        long bytes = 8 * SMALL.contextLength() * SMALL.headDim();
        return row(host, "head_copy", "overhead", "ejml", SMALL, null, 1, 0, bytes, bytes / (BANDWIDTH * efficiency), 1);
    }

    private static Map<String, Object> row(String host, String component, String pass, String backend, Shape shape,
            Integer parameters, int threads, long flops, long bytes, double seconds, int jmhThreads) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (String column : MeasurementsSchema.names()) {
            row.put(column, null);
        }
        row.put("run_id", "synthetic");
        row.put("benchmark", "Synthetic." + component);
        row.put("component", component);
        row.put("pass", pass);
        row.put("backend", backend);
        if (shape != null) {
            MeasurementsSchema.putShape(row, shape);
        }
        row.put("parameters", parameters);
        row.put("threads", threads);
        row.put("predicted_flops", flops);
        row.put("elementwise_flops", 0L);
        row.put("optimizer_flops", 0L);
        row.put("predicted_bytes", bytes);
        row.put("score_seconds_per_op", seconds);
        // ten samples whose middle half spans 1% of the median: every row decided, none noisy
        row.put("samples", SAMPLES);
        row.put("lower_quartile_seconds_per_op", seconds);
        row.put("spread", SPREAD);
        // as the derivation writes them: JMH's threads (not the kernel's) x per-op quantity / score
        row.put("achieved_flops_per_second", flops > 0 ? jmhThreads * flops / seconds : null);
        row.put("achieved_bytes_per_second", bytes > 0 ? jmhThreads * bytes / seconds : null);
        row.put("valid", true);
        row.put("status", "ok");
        row.put("host_cpu", host);
        row.put("host_cores", 2);
        row.put("jvm", "TestVM");
        row.put("utc_time", "2026-11-29T00:00:00Z");
        return row;
    }
}
