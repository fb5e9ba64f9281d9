package flopcast.calibration.measurements;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import flopcast.analytic.NamedShape;
import flopcast.calibration.host.HostInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A synthetic JMH file with known numbers, derived by hand. */
class DerivationTest {
    /** Ratios of doubles: exact to a few ulps. */
    private static final double RELATIVE = 1e-12;

    private static final String PROBE = "\"pass\": \"probe\", \"backend\": \"probe\", \"threads\": \"1\"";

    /** One of each kind of row, with made-up counters (per op: total / ops). */
    static final String RAW = "[" + String.join(",",
            result("PeakFlopsProbe.oneThread", 1, "\"component\": \"peak_flops\", " + PROBE, 0.001, 0.00001,
                    10, 2_000_000_000L, 0, 0, 0, 10, 0, ""),
            result("PeakFlopsProbe.allThreads", 2, "\"component\": \"peak_flops\", " + PROBE, 0.001, 0.00001,
                    10, 2_000_000_000L, 0, 0, 0, 10, 0, ""),
            result("BandwidthProbe.oneThread", 1, "\"component\": \"bandwidth_update\", " + PROBE, 0.01, 0.0001,
                    4, 0, 0, 0, 800_000_000L, 4, 0, ""),
            result("MatmulBenchmark.run", 1, "\"component\": \"ffn_w1\", \"pass\": \"forward\", \"shape\": \"tiny\","
                    + " \"backend\": \"ejml\", \"threads\": \"1\"", 0.002, 0.0001, 7, 70_000_000L, 0, 0, 7000, 7, 0,
                    ", \"gc.alloc.rate.norm\": {\"score\": 24.0}"),
            result("VectorStepBenchmark.step", 1, "\"component\": \"step\", \"pass\": \"step\", \"shape\": \"tiny\","
                    + " \"backend\": \"vector\", \"threads\": \"all\"", 0.1, 0.002, 3, 900_000_000L, 30, 60, 300, 6,
                    3 * 5_000_000L, ""),
            result("AdamWBenchmark.step", 1, "\"component\": \"adamw\", \"pass\": \"optimizer\", \"backend\": \"ejml\","
                    + " \"threads\": \"1\", \"parameters\": \"1000\"", 0.00001, Double.NaN, 2, 0, 0, 28016, 56000, 2,
                    2 * 16_000L, "")) + "]";

    /** One JMH result as {@code -rf json} writes it; the counters are totals over {@code ops}. */
    static String result(String benchmark, int threads, String params, double score, double error, long ops,
            long matmulFlops, long elementwiseFlops, long optimizerFlops, long bytes, long kernelThreads,
            long predictedHeapBytes, String more) {
        return String.format(java.util.Locale.ROOT, """
                {"benchmark": "flopcast.benchmarks.%s", "mode": "avgt", "threads": %d, "jdkVersion": "17",
                 "vmName": "TestVM", "params": {%s},
                 "primaryMetric": {"score": %s, "scoreError": %s, "scoreUnit": "s/op"},
                 "secondaryMetrics": {"ops": {"score": %d}, "matmulFlops": {"score": %d},
                   "elementwiseFlops": {"score": %d}, "optimizerFlops": {"score": %d}, "bytes": {"score": %d},
                   "kernelThreads": {"score": %d}, "predictedHeapBytes": {"score": %d}%s}}""", benchmark, threads,
                params, Double.toString(score), Double.isNaN(error) ? "\"NaN\"" : Double.toString(error), ops,
                matmulFlops, elementwiseFlops, optimizerFlops, bytes, kernelThreads, predictedHeapBytes, more);
    }

    /** The row of {@code benchmark} for {@code component}; fails where there is not exactly one. */
    static Map<String, Object> row(List<Map<String, Object>> rows, String benchmark, String component) {
        List<Map<String, Object>> found = rows.stream()
                .filter(r -> r.get("benchmark").equals(benchmark) && r.get("component").equals(component)).toList();
        assertEquals(1, found.size(), benchmark + " " + component + " in " + rows);
        return found.get(0);
    }

    static HostInfo host() {
        return new HostInfo(Optional.of("Test CPU"), OptionalInt.of(2), OptionalInt.of(2), OptionalLong.of(2_000_000_000L),
                OptionalLong.of(1L << 34), Optional.of("TestOS"), "TestJVM", Set.of("avx2", "fma"), Map.of());
    }

    static final Derivation.HeapMeasurements HEAP = new Derivation.HeapMeasurements() {
        @Override
        public long step(Shape shape, String backend, int threads) {
            assertEquals("vector", backend);
            assertEquals(2, threads, "the step's kernel threads, from its counter");
            return 1_000_000;
        }

        @Override
        public long adamW(int parameters) {
            return 16_064;
        }
    };

    static List<Map<String, Object>> derive(Path directory) throws Exception {
        Path raw = directory.resolve("raw.json");
        Files.writeString(raw, RAW);
        return Derivation.rows(RawResult.read(raw),
                new Derivation.Provenance("run-1", host(), "abc123", "2026-11-29T00:00:00Z"), HEAP);
    }

    @Test
    void probesGiveThePeaksAndBandwidthOfTheirThreadCounts(@TempDir Path directory) throws Exception {
        List<Map<String, Object>> rows = derive(directory);
        Map<String, Object> one = row(rows, "PeakFlopsProbe.oneThread", "peak_flops");
        Map<String, Object> all = row(rows, "PeakFlopsProbe.allThreads", "peak_flops");
        assertEquals(1, one.get("threads"));
        assertEquals(2, all.get("threads"), "JMH's two threads, one kernel thread each");
        assertEquals("probe", all.get("pass"));
        // 2e8 FLOPs per op / 1 ms = 2e11 FLOP/s on one thread; 2 threads x that on two
        assertEquals(2e11, (double) one.get("achieved_flops_per_second"), 2e11 * RELATIVE);
        assertEquals(4e11, (double) all.get("achieved_flops_per_second"), 4e11 * RELATIVE);
        assertNull(one.get("mfu"), "the probe has no MFU of its own");
        // 2e8 bytes per op / 10 ms = 2e10 B/s
        assertEquals(2e10, (double) row(rows, "BandwidthProbe.oneThread", "bandwidth_update")
                .get("achieved_bytes_per_second"), 2e10 * RELATIVE);
        // nominal: 1 core x 2 GHz x 32 FLOP/cycle (avx2 + fma)
        assertEquals(64e9, (double) one.get("peak_flops_per_second_nominal"), 1.0);
    }

    @Test
    void anInvocationOfSeveralOpsIsTimedPerOp(@TempDir Path directory) throws Exception {
        // 4 invocations of 128 sweeps each (512 ops), 57,344 bytes a sweep; JMH's 2 ms an invocation, samples 1 to 3 ms
        String sweeps = result("BandwidthProbe.run", 1, "\"component\": \"bandwidth_update\", \"pass\": \"probe\","
                + " \"backend\": \"probe\", \"threads\": \"all\"", 0.002, 0.0004, 512, 0, 0, 0, 512 * 57_344L,
                2 * 512, 0, ", \"calls\": {\"score\": 4}").replace("\"scoreUnit\": \"s/op\"",
                "\"scoreUnit\": \"s/op\", \"rawData\": [[0.001, 0.002, 0.002, 0.003]]");
        Path file = directory.resolve("sweeps.json");
        Files.writeString(file, "[" + sweeps + "]");
        Map<String, Object> row = row(Derivation.rows(RawResult.read(file),
                new Derivation.Provenance("run-1", host(), "abc123", "2026-11-29T00:00:00Z"), HEAP),
                "BandwidthProbe.run", "bandwidth_update");
        assertEquals(57_344L, row.get("predicted_bytes"), "a sweep's bytes");
        assertEquals(2, row.get("threads"));
        assertEquals(0.002 / 128, (double) row.get("score_seconds_per_op"), RELATIVE);
        assertEquals(0.0004 / 128, (double) row.get("score_error_seconds"), RELATIVE);
        // the lower quartile of the samples 1, 2, 2, 3 ms is 1.75 ms (linear interpolation), an op's 1/128 of it
        double quartile = (double) row.get("lower_quartile_seconds_per_op");
        assertEquals(0.00175 / 128, quartile, 1e-9 * quartile);
        assertEquals(57_344 / quartile, (double) row.get("achieved_bytes_per_second"), 57_344 / quartile * RELATIVE);
    }

    @Test
    void matmulRowCarriesPerOpCountsAchievedRateAndMfu(@TempDir Path directory) throws Exception {
        Map<String, Object> row = row(derive(directory), "MatmulBenchmark.run", "ffn_w1");
        assertEquals("forward", row.get("pass"));
        assertEquals("ejml", row.get("backend"));
        assertEquals(NamedShape.TINY.shape().dModel(), row.get("d_model"));
        assertEquals(10_000_000L, row.get("predicted_flops"));
        assertEquals(1_000L, row.get("predicted_bytes"));
        // 1e7 FLOPs / 2 ms = 5e9 FLOP/s; MFU 5e9 / 2e11 = 0.025
        assertEquals(5e9, (double) row.get("achieved_flops_per_second"), 5e9 * RELATIVE);
        assertEquals(2e11, (double) row.get("peak_flops_per_second_measured"), 0.0);
        assertEquals(2e10, (double) row.get("bandwidth_bytes_per_second_measured"), 2e10 * RELATIVE);
        assertEquals(0.025, (double) row.get("mfu"), 0.025 * RELATIVE);
        assertEquals(24.0, row.get("allocated_bytes_per_op"));
        assertEquals("abc123", row.get("git_commit"));
        assertEquals("TestVM 17", row.get("jvm"));
    }

    @Test
    void stepAndOptimizerRowsCarryHeap(@TempDir Path directory) throws Exception {
        List<Map<String, Object>> rows = derive(directory);
        Map<String, Object> step = row(rows, "VectorStepBenchmark.step", "step");
        assertEquals("step", step.get("pass"));
        assertEquals("vector", step.get("backend"));
        assertEquals(2, step.get("threads"));
        assertEquals(300_000_000L, step.get("predicted_flops"));
        assertEquals(10L, step.get("elementwise_flops"));
        assertEquals(20L, step.get("optimizer_flops"));
        assertEquals(5_000_000L, step.get("predicted_heap_bytes"), "the step's counter");
        assertEquals(1_000_000L, step.get("measured_heap_bytes"));
        Map<String, Object> adamW = row(rows, "AdamWBenchmark.step", "adamw");
        assertEquals("optimizer", adamW.get("pass"));
        assertEquals(1000, adamW.get("parameters"));
        assertEquals(16_000L, adamW.get("predicted_heap_bytes"));
        assertEquals(14_008L, adamW.get("optimizer_flops"));
        assertNull(adamW.get("score_error_seconds"), "JMH's NaN error is an empty cell");
        // no matmul: achieved FLOP/s counts the optimizer's, 14,008 / 1e-5 s
        assertEquals(1.4008e9, (double) adamW.get("achieved_flops_per_second"), 1.4008e9 * RELATIVE);
        assertNull(adamW.get("mfu"));
    }

    /** A marked-row test's result: ten ops, the counters per op. */
    private static String entry(String benchmark, int threads, String params, double score, long matmulFlops,
            long bytes, long unsettled) {
        String counters = unsettled > 0 ? ", \"unsettled\": {\"score\": " + 10 * unsettled + "}" : "";
        return result(benchmark, threads, params, score, 0.00001, 10, 10 * matmulFlops, 0, 0, 10 * bytes, 10, 0,
                counters);
    }

    private static final String TINY_EJML = ", \"pass\": \"forward\", \"shape\": \"tiny\", \"backend\": \"ejml\","
            + " \"threads\": \"1\"";

    /**
     * Probes (the host's nominal peak is 64 GFLOP/s on one core, 128 on two), a one-thread matmul
     * row, a memory-bound row and a second matmul row whose warm-up did not settle.
     *
     * @param oneThreadPeak   the one-thread probe's FLOP/s
     * @param allThreadPeak   the two-thread probe's FLOP/s (JMH's two threads each do half)
     * @param matmulSeconds   the one-thread matmul's time for 1e9 FLOPs
     */
    private static Map<String, Map<String, Object>> marked(Path directory, double oneThreadPeak, double allThreadPeak,
            double matmulSeconds) throws Exception {
        String raw = "[" + String.join(",",
                entry("PeakFlopsProbe.oneThread", 1, "\"component\": \"peak_flops\", " + PROBE, 1e9 / oneThreadPeak,
                        1_000_000_000L, 0, 0),
                entry("PeakFlopsProbe.allThreads", 2, "\"component\": \"peak_flops\", " + PROBE, 2e9 / allThreadPeak,
                        1_000_000_000L, 0, 0),
                entry("BandwidthProbe.oneThread", 1, "\"component\": \"bandwidth_update\", " + PROBE, 0.01, 0,
                        200_000_000L, 0),
                entry("MatmulBenchmark.run", 1, "\"component\": \"ffn_w1\"" + TINY_EJML, matmulSeconds,
                        1_000_000_000L, 1000, 0),
                // 2e9 bytes in 0.01 s: 200 GB/s against the triad's 20 GB/s
                entry("ElementwiseBenchmark.run", 1, "\"component\": \"rmsnorm\"" + TINY_EJML, 0.01, 0,
                        2_000_000_000L, 0),
                entry("MatmulBenchmark.run", 1, "\"component\": \"ffn_w2\"" + TINY_EJML, 0.1, 1_000_000_000L, 1000,
                        1)) + "]";
        Path file = directory.resolve("marked.json");
        Files.writeString(file, raw);
        Map<String, Map<String, Object>> byName = new java.util.HashMap<>();
        for (Map<String, Object> row : Derivation.rows(RawResult.read(file),
                new Derivation.Provenance("run-1", host(), "abc123", "2026-11-29T00:00:00Z"), HEAP)) {
            byName.put(row.get("benchmark") + " " + row.get("component"), row);
        }
        return byName;
    }

    @Test
    void plausibleRowsAreValidAndOk(@TempDir Path directory) throws Exception {
        Map<String, Map<String, Object>> rows = marked(directory, 60e9, 110e9, 0.1);
        Map<String, Object> matmul = rows.get("MatmulBenchmark.run ffn_w1");
        assertMarked(matmul, true, "ok");
        assertEquals(true, rows.get("PeakFlopsProbe.allThreads peak_flops").get("valid"));
    }

    @Test
    void peakProbeBelowHalfItsNominalFailsAndEveryMfuOnItIsMarked(@TempDir Path directory) throws Exception {
        // 20 GFLOP/s measured where the nominal one-thread peak is 64
        Map<String, Map<String, Object>> rows = marked(directory, 20e9, 110e9, 0.1);
        Map<String, Object> probe = rows.get("PeakFlopsProbe.oneThread peak_flops");
        assertMarked(probe, false, "peak_probe_failed (20.0 GFLOP/s measured, below half the nominal 64.0)");
        Map<String, Object> matmul = rows.get("MatmulBenchmark.run ffn_w1");
        assertMarked(matmul, false, "peak_probe_failed (the 1-thread probe this MFU divides by failed)");
        assertEquals(true, rows.get("PeakFlopsProbe.allThreads peak_flops").get("valid"), "the 2-thread probe is fine");
    }

    @Test
    void oneThreadPeakAboveAllThreadsFailsBothProbes(@TempDir Path directory) throws Exception {
        // both above half their nominal peaks (64 and 128 GFLOP/s), but one thread faster than two
        Map<String, Map<String, Object>> rows = marked(directory, 70e9, 65e9, 0.1);
        for (String probe : List.of("PeakFlopsProbe.oneThread peak_flops", "PeakFlopsProbe.allThreads peak_flops")) {
            assertEquals(false, rows.get(probe).get("valid"), probe);
            assertEquals("peak_probe_failed (one-thread peak 70.0 GFLOP/s above the 2-thread 65.0)",
                    rows.get(probe).get("status"), probe);
        }
    }

    @Test
    void allThreadsBarelyFasterThanOneOnTwoCoresFailsTheAllThreadProbe(@TempDir Path directory) throws Exception {
        // 66 GFLOP/s on two threads against 60 on one: 1.1x, where two cores give nearly 2x
        Map<String, Map<String, Object>> rows = marked(directory, 60e9, 66e9, 0.1);
        Map<String, Object> probe = rows.get("PeakFlopsProbe.allThreads peak_flops");
        assertMarked(probe, false, "peak_probe_failed (2-thread peak 66.0 GFLOP/s under 1.2x the one-thread 60.0 on 2"
                + " cores: the threads shared a core)");
        assertEquals(true, rows.get("PeakFlopsProbe.oneThread peak_flops").get("valid"), "the one-thread probe is fine");
        assertEquals(true, rows.get("MatmulBenchmark.run ffn_w1").get("valid"), "one-thread rows keep their probe");
    }

    /**
     * One row's mark, at probes of 60 GFLOP/s (one thread) and 110 (two): ffn_w1's 1e9 FLOPs in 10 ms are
     * 100 GFLOP/s against the 60 measured; rmsnorm runs above the measured bandwidth, its data in cache (still
     * valid); ffn_w2's warm-up never settled.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            MatmulBenchmark.run ffn_w1       | 0.01 | false | mfu_out_of_range (MFU 1.667 outside (0, 1])
            ElementwiseBenchmark.run rmsnorm | 0.1  | true  | \
            cache_resident (200.0 GB/s, above the measured 1-thread bandwidth 20.0)
            MatmulBenchmark.run ffn_w2       | 0.1  | false | \
            unsettled_warmup (no settled time within the warm-up bound: JIT still compiling or times still moving)
            """)
    void oneRowIsMarked(String benchmark, double seconds, boolean valid, String status, @TempDir Path directory)
            throws Exception {
        assertMarked(marked(directory, 60e9, 110e9, seconds).get(benchmark), valid, status);
    }

    /** {@code json} (one result) with JMH's per-iteration scores of one fork. */
    static String withSamples(String json, double... samples) {
        return json.replace("\"scoreUnit\": \"s/op\"", "\"scoreUnit\": \"s/op\", \"rawData\": [" + java.util.Arrays
                .toString(samples) + "]");
    }

    /**
     * The lower quartile of the samples is the row's time and its rates' divisor, whatever bursts
     * slowed the other samples; a spread over 3% (the fastest quarter apart) marks a timed row noisy
     * (invalid: no fit or held-out check reads it), never a probe; under five samples no spread is told.
     */
    @Test
    void theLowerQuartileTimesARowAndAWideSpreadMarksItNoisy(@TempDir Path directory) throws Exception {
        String tiny = ", \"pass\": \"forward\", \"shape\": \"tiny\", \"backend\": \"vector\", \"threads\": \"1\"";
        String raw = "[" + String.join(",",
                // lower quartile 0.010 (position 1.5 of 0..6), fastest 0.0098: spread 2%; two bursts it ignores
                withSamples(result("VectorMatmulBenchmark.run", 1, "\"component\": \"ffn_w1\"" + tiny, 0.014, 0.01, 10,
                        1_000_000_000L, 0, 0, 1000, 10, 0, ""), 0.03, 0.0098, 0.010, 0.010, 0.0102, 0.011, 0.05),
                // lower quartile 0.009, fastest 0.006: spread 1/3, over a component's 20%
                withSamples(result("VectorMatmulBenchmark.run", 1, "\"component\": \"ffn_w2\"" + tiny, 0.01, 0.001, 10,
                        1_000_000_000L, 0, 0, 1000, 10, 0, ""), 0.006, 0.009, 0.01, 0.011, 0.012),
                // lower quartile 0.009, fastest 0.008: spread 1/9, under a component's 20%
                withSamples(result("VectorMatmulBenchmark.run", 1, "\"component\": \"qkv_projection\", \"pass\": \"backward\","
                        + " \"shape\": \"tiny\", \"backend\": \"vector\", \"threads\": \"1\"", 0.01, 0.001, 10,
                        1_000_000_000L, 0, 0, 1000, 10, 0, ""), 0.008, 0.009, 0.01, 0.011, 0.012),
                // the same samples on a step: over a step's 3%
                withSamples(result("VectorStepBenchmark.step", 1, "\"component\": \"step\", \"pass\": \"step\","
                        + " \"shape\": \"tiny\", \"backend\": \"vector\", \"threads\": \"all\"", 0.1, 0.002, 3,
                        900_000_000L, 30, 60, 300, 6, 3 * 5_000_000L, ""), 0.008, 0.009, 0.01, 0.011, 0.012),
                withSamples(result("PeakFlopsProbe.oneThread", 1, "\"component\": \"peak_flops\", " + PROBE, 0.001,
                        0.0001, 10, 2_000_000_000L, 0, 0, 0, 10, 0, ""), 0.0008, 0.0009, 0.001, 0.0011, 0.0012),
                withSamples(result("VectorMatmulBenchmark.run", 1, "\"component\": \"ffn_w3\"" + tiny, 0.01, 0.001, 10,
                        1_000_000_000L, 0, 0, 1000, 10, 0, ""), 0.008, 0.012)) + "]";
        Path file = directory.resolve("samples.json");
        Files.writeString(file, raw);
        List<Map<String, Object>> rows = Derivation.rows(RawResult.read(file),
                new Derivation.Provenance("run-1", host(), "abc123", "2026-11-29T00:00:00Z"), HEAP);
        Map<String, Object> steady = row(rows, "VectorMatmulBenchmark.run", "ffn_w1");
        assertEquals(7, steady.get("samples"));
        assertEquals(0.01, (double) steady.get("lower_quartile_seconds_per_op"), 0.01 * RELATIVE);
        assertEquals(0.02, (double) steady.get("spread"), 0.02 * 1e-9);
        // 1e8 FLOPs per op over the lower quartile's 10 ms, not the mean's 14
        assertEquals(1e10, (double) steady.get("achieved_flops_per_second"), 1e10 * RELATIVE);
        assertMarked(steady, true, "ok");
        assertMarked(row(rows, "VectorMatmulBenchmark.run", "ffn_w2"), false, "noisy (spread 33.3% over 20%: 5 samples)");
        assertMarked(row(rows, "VectorMatmulBenchmark.run", "qkv_projection"), true, "ok");
        assertMarked(row(rows, "VectorStepBenchmark.step", "step"), false, "noisy (spread 11.1% over 3%: 5 samples)");
        Map<String, Object> probe = row(rows, "PeakFlopsProbe.oneThread", "peak_flops");
        assertEquals(1.0 / 9, (double) probe.get("spread"), 1e-9);
        assertEquals(true, probe.get("valid"), "a probe's spread is reported, never marked");
        Map<String, Object> few = row(rows, "VectorMatmulBenchmark.run", "ffn_w3");
        assertNull(few.get("spread"), "two samples tell no spread");
        assertMarked(few, true, "ok");
    }

    @Test
    void aRowsIdentityComesFromItsParametersNotItsClassName(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("renamed.json");
        Files.writeString(file, RAW.replace("MatmulBenchmark", "SomeRenamedBenchmark"));
        List<Map<String, Object>> rows = Derivation.rows(RawResult.read(file),
                new Derivation.Provenance("run-1", host(), "abc123", "2026-11-29T00:00:00Z"), HEAP);
        Map<String, Object> renamed = row(rows, "SomeRenamedBenchmark.run", "ffn_w1");
        Map<String, Object> original = row(derive(directory), "MatmulBenchmark.run", "ffn_w1");
        renamed.remove("benchmark");
        original.remove("benchmark");
        assertEquals(original, renamed);
    }

    @Test
    void aResultWithoutItsComponentIsRefusedInOneLine(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("foreign.json");
        Files.writeString(file, "[" + result("Foreign.run", 1, "\"pass\": \"forward\"", 0.1, 0.01, 1, 0, 0, 0, 0, 1, 0,
                "") + "]");
        InvalidInputException refused = assertThrows(InvalidInputException.class, () -> Derivation.rows(
                RawResult.read(file), new Derivation.Provenance("run-1", host(), "abc123", "2026-11-29T00:00:00Z"), HEAP));
        assertEquals("flopcast.benchmarks.Foreign.run has no component parameter: every flopcast benchmark names its"
                + " component, pass and backend (is this JMH output of flopcast's benchmarks?)", refused.getMessage());
    }

    @Test
    void theSummarySaysHowManyRowsAreMarkedAndWhy(@TempDir Path directory) throws Exception {
        Path csv = directory.resolve("measurements.csv");
        flopcast.calibration.measurements.MeasurementsCsv.write(csv, List.copyOf(marked(directory, 70e9, 65e9, 0.01).values()));
        String text = Summary.marks(flopcast.calibration.measurements.MeasurementsCsv.read(csv));
        assertTrue(text.contains("2 valid, 4 marked invalid"), text);
        // the two probes and both matmuls, whose MFU divides by the one-thread probe
        assertTrue(text.contains("peak_probe_failed 4 row(s)"), text);
        assertTrue(text.contains("mfu_out_of_range  1 row(s)"), text);
        assertTrue(text.contains("unsettled_warmup  1 row(s)"), text);
        assertTrue(text.contains("cache_resident    1 row(s) (valid)"), text);
    }

    /** The derived row's {@code valid} and {@code status} columns. */
    private static void assertMarked(Map<String, Object> row, boolean valid, String status) {
        assertEquals(valid, row.get("valid"), status);
        assertEquals(status, row.get("status"));
    }
}
