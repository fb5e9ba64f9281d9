package flopcast.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.InvalidInputException;
import flopcast.calibration.measurements.RawResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which rows take turns (read from the rotated classes' own parameters), and how a trial's
 * iterations are given back to them: each row its own samples and counters, as its own class's
 * trial would have written them.
 */
class InterleavedBenchmarkTest {

    private static Map<String, String> trial(String threads, String shape, String parameters, String setting) {
        return trial(threads, shape, parameters, setting, "*");
    }

    private static Map<String, String> trial(String threads, String shape, String parameters, String setting,
            String floats) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("backend", "vector");
        params.put("component", "*");
        params.put("pass", "*");
        params.put("threads", threads);
        params.put("shape", shape);
        params.put("parameters", parameters);
        params.put("setting", setting);
        params.put("floats", floats);
        return params;
    }

    private static long count(List<InterleavedBenchmark.Entry> entries, String benchmarkClass) {
        return entries.stream().filter(e -> e.benchmark().endsWith("." + benchmarkClass + "." + "run")
                || e.benchmark().endsWith("." + benchmarkClass + ".step")
                || e.benchmark().endsWith("." + benchmarkClass + ".convert")).count();
    }

    @Test
    void theDefaultRunsRowsTakeTurnsAtEachThreadCount() {
        List<InterleavedBenchmark.Entry> all = InterleavedBenchmark.entries(trial("all", "*", "*", "*"));
        // 8 matmuls x 2 shapes x 2 passes, 4 kernels x 2 x 2, AdamW at 2 sizes, the bf16 conversions' 2 loops x 2
        // sizes, the 3 overhead loops x 2 shapes, 10 steps, 4 settings x 2 shapes, the peak probe and the bandwidth
        // probe at 4 footprints
        assertEquals(32, count(all, "VectorMatmulBenchmark"));
        assertEquals(16, count(all, "VectorElementwiseBenchmark"));
        assertEquals(2, count(all, "AdamWBenchmark"));
        assertEquals(4, count(all, "ConversionBenchmark"));
        assertEquals(6, count(all, "OverheadBenchmark"));
        assertEquals(10, count(all, "VectorStepBenchmark"));
        assertEquals(8, count(all, "SettingsStepBenchmark"));
        assertEquals(1, count(all, "PeakFlopsProbe"));
        assertEquals(4, count(all, "BandwidthProbe"));
        assertEquals(83, all.size());
        // the settings steps run on every processor only
        List<InterleavedBenchmark.Entry> one = InterleavedBenchmark.entries(trial("1", "*", "*", "*"));
        assertEquals(75, one.size());
        assertEquals(0, count(one, "SettingsStepBenchmark"));
        assertTrue(one.stream().allMatch(e -> e.params().get("threads").equals("1")));
        // the model's rows on the trial's backend; the probes on their own, which is no model's
        assertTrue(one.stream().allMatch(e -> e.params().get("backend").equals(e.params().get("pass").equals("probe")
                ? "probe" : "vector")));
        // on a backend no model row runs, the probes alone
        assertEquals(5, InterleavedBenchmark.entries(Map.of("threads", "1", "backend", "ejml")).size());
    }

    @Test
    void aRowCarriesItsOwnClassesParameters() {
        Map<String, String> flash = InterleavedBenchmark.entries(trial("all", "*", "*", "*")).stream()
                .filter(e -> "attention=flash".equals(e.params().get("setting")) && "long".equals(e.params().get("shape")))
                .findFirst().orElseThrow().params();
        assertEquals(Map.of("backend", "vector", "component", "step", "pass", "step", "setting", "attention=flash",
                "shape", "long", "threads", "all"), flash);
    }

    @Test
    void givenShapesSizesAndSettingsReplaceEveryClassesOwn() {
        List<InterleavedBenchmark.Entry> quick = InterleavedBenchmark.entries(trial("all", "tiny",
                "65536 1048576", "*", "2048 8388608"));
        assertTrue(quick.stream().filter(e -> e.params().containsKey("shape"))
                .allMatch(e -> e.params().get("shape").equals("tiny")));
        assertEquals(List.of("65536", "1048576"), quick.stream().filter(e -> e.params().containsKey("parameters"))
                .map(e -> e.params().get("parameters")).toList());
        assertEquals(List.of("2048", "8388608"), quick.stream().filter(e -> e.params().containsKey("floats"))
                .map(e -> e.params().get("floats")).toList());
        // 8 x 2 + 4 x 2 + 2 + 1 + 4, the bf16 conversions' 2 loops x 2 sizes, the 3 overhead loops, the peak
        // probe and the bandwidth probe at 2 footprints
        assertEquals(41, quick.size());
        List<InterleavedBenchmark.Entry> full = InterleavedBenchmark.entries(trial("all", "small", "*",
                "recompute=full"));
        assertEquals(1, count(full, "SettingsStepBenchmark"));
    }

    @Test
    void givenComponentsAndPassesKeepTheirRowsAlone() {
        Map<String, String> params = trial("1", "*", "*", "*");
        params.put("pass", "forward");
        List<InterleavedBenchmark.Entry> forward = InterleavedBenchmark.entries(params);
        // 8 matmuls and 4 kernels at 2 shapes; no AdamW (optimizer) and no step
        assertEquals(24, forward.size());
        assertTrue(forward.stream().allMatch(e -> e.params().get("pass").equals("forward")));
        params.put("pass", "*");
        params.put("component", "step adamw");
        assertEquals(12, InterleavedBenchmark.entries(params).size());
    }

    /** The rows of the quick trial's parameters on one thread. */
    private static final int QUICK_ONE_THREAD = 37;

    /**
     * A trial of three iterations, turns 2, 1, 2, with per-iteration counters as JMH writes them, and a
     * GC metric written for one iteration only (JMH writes gc.time only where a collection ran).
     */
    private static RawResult trialResult(List<Double> turn, List<Double> ops, long rotation) {
        Map<String, String> params = trial("1", "tiny", "65536 1048576", "*", "2048 8388608");
        Map<String, List<Double>> perIteration = new LinkedHashMap<>();
        perIteration.put("turn", turn);
        perIteration.put("ops", ops);
        perIteration.put("matmulFlops", List.of(300.0, 100.0, 600.0));
        perIteration.put("gc.alloc.rate.norm", List.of(10.0, 4.0, 30.0));
        perIteration.put("gc.time", List.of(5.0));
        double total = ops.stream().mapToDouble(Double::doubleValue).sum();
        return new RawResult(InterleavedBenchmark.class.getName() + ".run", 1, params, 0.5, 0.1, "s/op",
                Map.of("ops", total, "rotation", rotation * total), "OpenJDK 17", List.of(0.3, 0.1, 0.2), perIteration);
    }

    @Test
    void eachTurnGetsItsIterationsSamplesAndCounters() {
        // turn 2 ran 3 then 6 ops (turn counter 2 per op), turn 1 one op
        RawResult result = trialResult(List.of(6.0, 1.0, 12.0), List.of(3.0, 1.0, 6.0), QUICK_ONE_THREAD);
        assertEquals(QUICK_ONE_THREAD, InterleavedBenchmark.entries(result.params()).size());
        RawResult other = new RawResult("flopcast.benchmarks.MatmulBenchmark.run", 1, Map.of(), 1, 0, "s/op",
                Map.of(), "OpenJDK 17", List.of(1.0), Map.of());
        List<RawResult> rows = InterleavedBenchmark.expand(List.of(other, result));
        assertEquals(3, rows.size());
        assertEquals(other, rows.get(0));
        List<InterleavedBenchmark.Entry> entries = InterleavedBenchmark.entries(result.params());
        RawResult first = rows.get(1);
        assertEquals(entries.get(0).benchmark(), first.benchmark());
        assertEquals(entries.get(0).params(), first.params());
        assertEquals(List.of(0.1), first.samples());
        assertEquals(100L, first.perOp("matmulFlops"));
        RawResult second = rows.get(2);
        assertEquals(entries.get(1).params(), second.params());
        assertEquals(List.of(0.3, 0.2), second.samples());
        // 900 FLOPs over 9 ops; the GC profiler's per-op figure is the mean of its iterations
        assertEquals(100L, second.perOp("matmulFlops"));
        assertEquals(20.0, second.secondary().get("gc.alloc.rate.norm"), 1e-12);
        assertTrue(!second.secondary().containsKey("gc.time"), "a metric not written every iteration is no turn's");
        assertEquals("VectorMatmulBenchmark.run", second.shortName());
    }

    @Test
    void aTrialWithoutPerIterationTurnsIsRefused() {
        RawResult result = trialResult(List.of(6.0, 1.0, 12.0), List.of(3.0, 1.0, 6.0), QUICK_ONE_THREAD);
        RawResult bare = new RawResult(result.benchmark(), 1, result.params(), 0.5, 0.1, "s/op", Map.of(),
                "OpenJDK 17", result.samples(), Map.of());
        assertTrue(assertThrows(InvalidInputException.class, () -> InterleavedBenchmark.expand(List.of(bare)))
                .getMessage().contains("per-iteration turn"));
        RawResult other = trialResult(List.of(6.0, 1.0, 12.0), List.of(3.0, 1.0, 6.0), QUICK_ONE_THREAD + 1);
        assertTrue(assertThrows(InvalidInputException.class, () -> InterleavedBenchmark.expand(List.of(other)))
                .getMessage().contains("ran 38 rows in turn where its parameters list 37"));
        RawResult beyond = trialResult(List.of(6.0, 1.0, 12_000.0), List.of(3.0, 1.0, 6.0), QUICK_ONE_THREAD);
        assertTrue(assertThrows(InvalidInputException.class, () -> InterleavedBenchmark.expand(List.of(beyond)))
                .getMessage().contains("names turn 2000"));
        List<RawResult> none = new ArrayList<>(InterleavedBenchmark.expand(List.of()));
        assertTrue(none.isEmpty());
    }
}
