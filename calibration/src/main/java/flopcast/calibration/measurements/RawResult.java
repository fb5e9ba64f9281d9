package flopcast.calibration.measurements;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flopcast.analytic.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark result of JMH's JSON output, as written by {@code -rf json}.
 *
 * @param benchmark  fully qualified Class.method
 * @param threads    threads the benchmark ran on
 * @param params     its {@code @Param} values
 * @param score      primary score (s/op in average-time mode)
 * @param scoreError 99.9% confidence half-width
 * @param scoreUnit  unit of the score
 * @param secondary  secondary metrics by name (auxiliary counters, profilers)
 * @param jvm        JVM name and version
 * @param samples    the primary metric's per-iteration scores, every fork's in order ({@code rawData})
 * @param secondarySamples each secondary metric's per-iteration values, in the same order as {@code samples}
 *                   (empty where JMH wrote none)
 */
public record RawResult(String benchmark, int threads, Map<String, String> params, double score, double scoreError,
        String scoreUnit, Map<String, Double> secondary, String jvm, List<Double> samples,
        Map<String, List<Double>> secondarySamples) {

    /** Reads a JMH JSON file; anything else is refused with one line. */
    public static List<RawResult> read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new InvalidInputException("cannot read JMH results " + file + ": " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw new InvalidInputException(file + " is not JMH JSON output: expected a non-empty array of results");
        }
        List<RawResult> results = new ArrayList<>();
        for (JsonNode node : root) {
            JsonNode primary = node.get("primaryMetric");
            if (!node.hasNonNull("benchmark") || primary == null || !primary.has("score")) {
                throw new InvalidInputException(file + " is not JMH JSON output: a result lacks benchmark or "
                        + "primaryMetric.score");
            }
            Map<String, String> params = new LinkedHashMap<>();
            if (node.has("params")) {
                node.get("params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
            }
            Map<String, Double> secondary = new LinkedHashMap<>();
            Map<String, List<Double>> secondarySamples = new LinkedHashMap<>();
            if (node.has("secondaryMetrics")) {
                node.get("secondaryMetrics").properties().forEach(e -> {
                    secondary.put(e.getKey(), e.getValue().get("score").asDouble());
                    List<Double> values = iterations(e.getValue());
                    if (!values.isEmpty()) {
                        secondarySamples.put(e.getKey(), values);
                    }
                });
            }
            List<Double> samples = iterations(primary);
            if (samples.isEmpty()) {
                samples.add(primary.get("score").asDouble());
            }
            results.add(new RawResult(node.get("benchmark").asText(), node.path("threads").asInt(1), params,
                    primary.get("score").asDouble(), primary.path("scoreError").asDouble(Double.NaN),
                    primary.path("scoreUnit").asText(), secondary,
                    node.path("vmName").asText() + " " + node.path("jdkVersion").asText(), List.copyOf(samples),
                    Map.copyOf(secondarySamples)));
        }
        return results;
    }

    /** A metric's per-iteration values, every fork's in order ({@code rawData}); empty where there are none. */
    private static List<Double> iterations(JsonNode metric) {
        List<Double> values = new ArrayList<>();
        for (JsonNode fork : metric.path("rawData")) {
            fork.forEach(iteration -> values.add(iteration.asDouble()));
        }
        return values;
    }

    /** Class.method without the package. */
    public String shortName() {
        String[] parts = benchmark.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : benchmark;
    }

    /**
     * Invocations per op: the {@code calls} counter over {@code ops}, where a benchmark's invocation
     * runs several ops (a probe's sweeps too short to time one by one); 1 where it has no {@code calls}
     * counter (one op an invocation, as every result written before the counter was).
     */
    public double callsPerOp() {
        Double ops = secondary.get("ops");
        Double calls = secondary.get("calls");
        return ops == null || calls == null || ops == 0 || calls == 0 ? 1 : calls / ops;
    }

    /** The primary metric's per-iteration scores as seconds per op: each times {@link #callsPerOp}. */
    public List<Double> secondsPerOpSamples() {
        double scale = callsPerOp();
        return samples.stream().map(sample -> sample * scale).toList();
    }

    /** An auxiliary counter per op: counter / ops, exact for integer counters. */
    public long perOp(String counter) {
        Double ops = secondary.get("ops");
        Double total = secondary.get(counter);
        if (ops == null || total == null || ops == 0) {
            return 0;
        }
        return Math.round(total / ops);
    }

    private static String firstLine(String message) {
        return message == null ? "unknown error" : message.lines().findFirst().orElse("");
    }
}
