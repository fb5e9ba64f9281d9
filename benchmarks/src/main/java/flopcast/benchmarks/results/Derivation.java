package flopcast.benchmarks.results;

import flopcast.measure.results.MeasurementsSchema;
import flopcast.analytic.CompleteAccounting;
import flopcast.analytic.Shape;
import flopcast.benchmarks.NamedShape;
import flopcast.measure.HostInfo;
import flopcast.measure.NominalPeak;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
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
        /** The model's live bytes on {@code backend} (a benchmark's backend parameter). */
        long step(Shape shape, String backend);

        long adamW(int parameters);
    }

    private Derivation() {
    }

    public static List<Map<String, Object>> rows(List<RawResult> raw, Provenance provenance, HeapMeasurements heap) {
        Map<Integer, Double> peakByThreads = new HashMap<>();
        Map<Integer, Double> bandwidthByThreads = new HashMap<>();
        for (RawResult result : raw) {
            if (result.shortName().startsWith("PeakFlopsProbe.")) {
                peakByThreads.put(result.threads(), rate(result, result.perOp("matmulFlops")));
            } else if (result.shortName().startsWith("BandwidthProbe.triad")) {
                bandwidthByThreads.put(result.threads(), rate(result, result.perOp("bytes")));
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
            describe(result, row);
            // the backend comparisons run at the wide shape only, so it is no parameter of theirs
            String shapeName = result.shortName().startsWith("BackendComparison") ? "wide"
                    : result.params().get("shape");
            Shape shape = shapeName == null ? null : NamedShape.byName(shapeName).shape();
            if (shape != null) {
                MeasurementsSchema.putShape(row, shape);
            }
            int threads = kernelThreads(result);
            row.put("threads", threads);
            long matmul = result.perOp("matmulFlops");
            long elementwise = result.perOp("elementwiseFlops");
            long optimizer = result.perOp("optimizerFlops");
            long bytes = result.perOp("bytes");
            row.put("predicted_flops", matmul);
            row.put("elementwise_flops", elementwise);
            row.put("optimizer_flops", optimizer);
            row.put("predicted_bytes", bytes);
            row.put("score_seconds_per_op", result.score());
            row.put("score_error_seconds", Double.isNaN(result.scoreError()) ? null : result.scoreError());
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
            row.put("mfu", matmul > 0 && !probe && peak != null ? achieved / peak : null);
            if (result.shortName().equals("StepBenchmark.step")) {
                String backend = result.params().getOrDefault("backend", "ejml");
                row.put("predicted_heap_bytes", CompleteAccounting.predict(shape).memory().totalBytes());
                row.put("measured_heap_bytes", stepHeap.computeIfAbsent(backend + " " + shape.describe(),
                        key -> heap.step(shape, backend)));
            } else if ("optimizer".equals(row.get("pass"))) {
                int parameters = Integer.parseInt(result.params().get("parameters"));
                row.put("parameters", parameters);
                row.put("predicted_heap_bytes", 16L * parameters);
                row.put("measured_heap_bytes", heap.adamW(parameters));
            }
            Double allocated = result.secondary().get("gc.alloc.rate.norm");
            row.put("allocated_bytes_per_op", allocated);
            HostInfo host = provenance.host();
            row.put("host_cpu", host.cpuName().orElse(null));
            row.put("host_cores", host.physicalCores().isPresent() ? host.physicalCores().getAsInt() : null);
            row.put("jvm", result.jvm());
            row.put("git_commit", provenance.gitCommit());
            row.put("utc_time", provenance.utcTime());
            rows.add(row);
        }
        return rows;
    }

    /** Component, pass and backend from the benchmark's class and parameters. */
    private static void describe(RawResult result, Map<String, Object> row) {
        String name = result.shortName();
        String className = name.substring(0, name.indexOf('.'));
        String backend = result.params().getOrDefault("backend", "ejml").replace("-all", "");
        switch (className) {
            case "MatmulBenchmark", "ElementwiseBenchmark", "VectorMatmulBenchmark" -> set(row,
                    result.params().get("component"), result.params().get("pass"), backend);
            case "StepBenchmark", "BackendComparisonBenchmark", "BackendComparisonEjmlBenchmark" -> set(row, "step",
                    "step", backend);
            case "AdamWBenchmark" -> set(row, "adamw", "optimizer", "ejml");
            case "PeakFlopsProbe" -> set(row, "peak_flops", "probe", "probe");
            case "BandwidthProbe" -> set(row, name.endsWith(".copy") ? "bandwidth_copy" : "bandwidth_triad", "probe",
                    "probe");
            default -> set(row, name, "other", backend);
        }
    }

    /**
     * Threads the measured kernel used: a backend parameter ending in {@code -all} ran its matmuls on
     * every processor (this host's count, the derivation runs on it too); otherwise JMH's threads.
     */
    static int kernelThreads(RawResult result) {
        String backend = result.params().get("backend");
        return backend != null && backend.endsWith("-all") ? Runtime.getRuntime().availableProcessors()
                : result.threads();
    }

    private static void set(Map<String, Object> row, String component, String pass, String backend) {
        row.put("component", component);
        row.put("pass", pass);
        row.put("backend", backend);
    }

    /** threads x quantity per op / seconds per op. */
    private static double rate(RawResult result, long perOp) {
        return result.threads() * (double) perOp / result.score();
    }
}
