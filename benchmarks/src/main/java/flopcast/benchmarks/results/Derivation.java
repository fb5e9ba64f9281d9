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
        long step(Shape shape);

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
        Map<Shape, Long> stepHeap = new HashMap<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (RawResult result : raw) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (String column : MeasurementsSchema.names()) {
                row.put(column, null);
            }
            row.put("run_id", provenance.runId());
            row.put("benchmark", result.shortName());
            describe(result, row);
            String shapeName = result.params().get("shape");
            Shape shape = shapeName == null ? null : NamedShape.byName(shapeName).shape();
            if (shape != null) {
                row.put("vocab_size", shape.vocabSize());
                row.put("context_length", shape.contextLength());
                row.put("num_layers", shape.layers());
                row.put("d_model", shape.dModel());
                row.put("num_heads", shape.heads());
                row.put("d_ff", shape.dFf());
                row.put("batch_size", shape.batchSize());
            }
            row.put("threads", result.threads());
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
            OptionalDouble nominal = NominalPeak.flopsPerSecond(provenance.host(), result.threads());
            row.put("peak_flops_per_second_nominal", nominal.isPresent() ? nominal.getAsDouble() : null);
            Double peak = peakByThreads.get(result.threads());
            row.put("peak_flops_per_second_measured", peak);
            row.put("bandwidth_bytes_per_second_measured", bandwidthByThreads.get(result.threads()));
            boolean probe = "probe".equals(row.get("pass"));
            row.put("mfu", matmul > 0 && !probe && peak != null ? achieved / peak : null);
            if ("step".equals(row.get("pass"))) {
                row.put("predicted_heap_bytes", CompleteAccounting.predict(shape).memory().totalBytes());
                row.put("measured_heap_bytes", stepHeap.computeIfAbsent(shape, heap::step));
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
        switch (className) {
            case "MatmulBenchmark", "ElementwiseBenchmark" -> set(row, result.params().get("component"),
                    result.params().get("pass"), "ejml");
            case "StepBenchmark" -> set(row, "step", "step", "ejml");
            case "AdamWBenchmark" -> set(row, "adamw", "optimizer", "ejml");
            case "PeakFlopsProbe" -> set(row, "peak_flops", "probe", "probe");
            case "BandwidthProbe" -> set(row, name.endsWith(".copy") ? "bandwidth_copy" : "bandwidth_triad", "probe",
                    "probe");
            default -> set(row, name, "other", "ejml");
        }
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
