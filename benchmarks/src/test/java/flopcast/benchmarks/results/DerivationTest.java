package flopcast.benchmarks.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.CompleteAccounting;
import flopcast.analytic.Shape;
import flopcast.benchmarks.NamedShape;
import flopcast.measure.HostInfo;
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

/** A synthetic JMH file with known numbers, derived by hand. */
class DerivationTest {
    /** Ratios of doubles: exact to a few ulps. */
    private static final double RELATIVE = 1e-12;

    static final String RAW = """
            [
              {"benchmark": "flopcast.benchmarks.PeakFlopsProbe.oneThread", "mode": "avgt", "threads": 1,
               "jdkVersion": "17", "vmName": "TestVM",
               "primaryMetric": {"score": 0.001, "scoreError": 0.00001, "scoreUnit": "s/op"},
               "secondaryMetrics": {"ops": {"score": 10}, "matmulFlops": {"score": 2000000000},
                 "elementwiseFlops": {"score": 0}, "optimizerFlops": {"score": 0}, "bytes": {"score": 0}}},
              {"benchmark": "flopcast.benchmarks.PeakFlopsProbe.allThreads", "mode": "avgt", "threads": 2,
               "jdkVersion": "17", "vmName": "TestVM",
               "primaryMetric": {"score": 0.001, "scoreError": 0.00001, "scoreUnit": "s/op"},
               "secondaryMetrics": {"ops": {"score": 10}, "matmulFlops": {"score": 2000000000},
                 "elementwiseFlops": {"score": 0}, "optimizerFlops": {"score": 0}, "bytes": {"score": 0}}},
              {"benchmark": "flopcast.benchmarks.BandwidthProbe.triad", "mode": "avgt", "threads": 1,
               "jdkVersion": "17", "vmName": "TestVM",
               "primaryMetric": {"score": 0.01, "scoreError": 0.0001, "scoreUnit": "s/op"},
               "secondaryMetrics": {"ops": {"score": 4}, "matmulFlops": {"score": 0},
                 "elementwiseFlops": {"score": 0}, "optimizerFlops": {"score": 0}, "bytes": {"score": 800000000}}},
              {"benchmark": "flopcast.benchmarks.MatmulBenchmark.run", "mode": "avgt", "threads": 1,
               "jdkVersion": "17", "vmName": "TestVM",
               "params": {"component": "ffn_w1", "pass": "forward", "shape": "tiny"},
               "primaryMetric": {"score": 0.002, "scoreError": 0.0001, "scoreUnit": "s/op"},
               "secondaryMetrics": {"ops": {"score": 7}, "matmulFlops": {"score": 70000000},
                 "elementwiseFlops": {"score": 0}, "optimizerFlops": {"score": 0}, "bytes": {"score": 7000},
                 "gc.alloc.rate.norm": {"score": 24.0}}},
              {"benchmark": "flopcast.benchmarks.StepBenchmark.step", "mode": "avgt", "threads": 1,
               "jdkVersion": "17", "vmName": "TestVM", "params": {"shape": "tiny"},
               "primaryMetric": {"score": 0.1, "scoreError": 0.002, "scoreUnit": "s/op"},
               "secondaryMetrics": {"ops": {"score": 3}, "matmulFlops": {"score": 900000000},
                 "elementwiseFlops": {"score": 30}, "optimizerFlops": {"score": 60}, "bytes": {"score": 300}}},
              {"benchmark": "flopcast.benchmarks.AdamWBenchmark.step", "mode": "avgt", "threads": 1,
               "jdkVersion": "17", "vmName": "TestVM", "params": {"parameters": "1000"},
               "primaryMetric": {"score": 0.00001, "scoreError": "NaN", "scoreUnit": "s/op"},
               "secondaryMetrics": {"ops": {"score": 2}, "matmulFlops": {"score": 0},
                 "elementwiseFlops": {"score": 0}, "optimizerFlops": {"score": 28016}, "bytes": {"score": 56000}}}
            ]
            """;

    static HostInfo host() {
        return new HostInfo(Optional.of("Test CPU"), OptionalInt.of(2), OptionalInt.of(2), OptionalLong.of(2_000_000_000L),
                OptionalLong.of(1L << 34), Optional.of("TestOS"), "TestJVM", Set.of("avx2", "fma"), Map.of());
    }

    static final Derivation.HeapMeasurements HEAP = new Derivation.HeapMeasurements() {
        @Override
        public long step(Shape shape, String backend) {
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
        // 2e8 FLOPs per op / 1 ms = 2e11 FLOP/s on one thread; 2 threads x that on two
        assertEquals(2e11, (double) rows.get(0).get("achieved_flops_per_second"), 2e11 * RELATIVE);
        assertEquals(4e11, (double) rows.get(1).get("achieved_flops_per_second"), 4e11 * RELATIVE);
        assertNull(rows.get(0).get("mfu"), "the probe has no MFU of its own");
        // 2e8 bytes per op / 10 ms = 2e10 B/s
        assertEquals(2e10, (double) rows.get(2).get("achieved_bytes_per_second"), 2e10 * RELATIVE);
        // nominal: 1 core x 2 GHz x 32 FLOP/cycle (avx2 + fma)
        assertEquals(64e9, (double) rows.get(0).get("peak_flops_per_second_nominal"), 1.0);
    }

    @Test
    void matmulRowCarriesPerOpCountsAchievedRateAndMfu(@TempDir Path directory) throws Exception {
        Map<String, Object> row = derive(directory).get(3);
        assertEquals("MatmulBenchmark.run", row.get("benchmark"));
        assertEquals("ffn_w1", row.get("component"));
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
        Map<String, Object> step = rows.get(4);
        assertEquals("step", step.get("pass"));
        assertEquals(300_000_000L, step.get("predicted_flops"));
        assertEquals(10L, step.get("elementwise_flops"));
        assertEquals(20L, step.get("optimizer_flops"));
        assertEquals(CompleteAccounting.predict(NamedShape.TINY.shape()).memory().totalBytes(),
                step.get("predicted_heap_bytes"));
        assertEquals(1_000_000L, step.get("measured_heap_bytes"));
        Map<String, Object> adamW = rows.get(5);
        assertEquals("optimizer", adamW.get("pass"));
        assertEquals(1000, adamW.get("parameters"));
        assertEquals(16_000L, adamW.get("predicted_heap_bytes"));
        assertEquals(14_008L, adamW.get("optimizer_flops"));
        assertNull(adamW.get("score_error_seconds"), "JMH's NaN error is an empty cell");
        // no matmul: achieved FLOP/s counts the optimizer's, 14,008 / 1e-5 s
        assertEquals(1.4008e9, (double) adamW.get("achieved_flops_per_second"), 1.4008e9 * RELATIVE);
        assertNull(adamW.get("mfu"));
    }

    /** One JMH result: {@code perOp} counters are per op (the derivation divides by ops = 10). */
    private static String entry(String benchmark, int threads, String params, double score, long matmulFlops,
            long bytes, long unsettled) {
        return String.format(java.util.Locale.ROOT, """
                {"benchmark": "flopcast.benchmarks.%s", "mode": "avgt", "threads": %d, "jdkVersion": "17",
                 "vmName": "TestVM", "params": {%s},
                 "primaryMetric": {"score": %s, "scoreError": 0.00001, "scoreUnit": "s/op"},
                 "secondaryMetrics": {"ops": {"score": 10}, "matmulFlops": {"score": %d},
                   "elementwiseFlops": {"score": 0}, "optimizerFlops": {"score": 0}, "bytes": {"score": %d},
                   "unsettled": {"score": %d}}}""", benchmark, threads, params, Double.toString(score),
                10 * matmulFlops, 10 * bytes, 10 * unsettled);
    }

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
                entry("PeakFlopsProbe.oneThread", 1, "", 1e9 / oneThreadPeak, 1_000_000_000L, 0, 0),
                entry("PeakFlopsProbe.allThreads", 2, "", 2e9 / allThreadPeak, 1_000_000_000L, 0, 0),
                entry("BandwidthProbe.triad", 1, "", 0.01, 0, 200_000_000L, 0),
                entry("MatmulBenchmark.run", 1, "\"component\": \"ffn_w1\", \"pass\": \"forward\", \"shape\": \"tiny\"",
                        matmulSeconds, 1_000_000_000L, 1000, 0),
                // 2e9 bytes in 0.01 s: 200 GB/s against the triad's 20 GB/s
                entry("ElementwiseBenchmark.run", 1, "\"component\": \"rmsnorm\", \"pass\": \"forward\", \"shape\": \"tiny\"",
                        0.01, 0, 2_000_000_000L, 0),
                entry("MatmulBenchmark.run", 1, "\"component\": \"ffn_w2\", \"pass\": \"forward\", \"shape\": \"tiny\"",
                        0.1, 1_000_000_000L, 1000, 1)) + "]";
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
        assertEquals(true, matmul.get("valid"));
        assertEquals("ok", matmul.get("status"));
        assertEquals(true, rows.get("PeakFlopsProbe.allThreads peak_flops").get("valid"));
    }

    @Test
    void mfuAboveOneIsMarkedInvalid(@TempDir Path directory) throws Exception {
        // 1e9 FLOPs in 10 ms: 100 GFLOP/s on a probe that measured 60
        Map<String, Object> row = marked(directory, 60e9, 110e9, 0.01).get("MatmulBenchmark.run ffn_w1");
        assertEquals(false, row.get("valid"));
        assertEquals("mfu_out_of_range (MFU 1.667 outside (0, 1])", row.get("status"));
    }

    @Test
    void peakProbeBelowHalfItsNominalFailsAndEveryMfuOnItIsMarked(@TempDir Path directory) throws Exception {
        // 20 GFLOP/s measured where the nominal one-thread peak is 64
        Map<String, Map<String, Object>> rows = marked(directory, 20e9, 110e9, 0.1);
        Map<String, Object> probe = rows.get("PeakFlopsProbe.oneThread peak_flops");
        assertEquals(false, probe.get("valid"));
        assertEquals("peak_probe_failed (20.0 GFLOP/s measured, below half the nominal 64.0)", probe.get("status"));
        Map<String, Object> matmul = rows.get("MatmulBenchmark.run ffn_w1");
        assertEquals(false, matmul.get("valid"));
        assertEquals("peak_probe_failed (the 1-thread probe this MFU divides by failed)", matmul.get("status"));
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
        assertEquals(false, probe.get("valid"));
        assertEquals("peak_probe_failed (2-thread peak 66.0 GFLOP/s under 1.2x the one-thread 60.0 on 2 cores: the"
                + " threads shared a core)", probe.get("status"));
        assertEquals(true, rows.get("PeakFlopsProbe.oneThread peak_flops").get("valid"), "the one-thread probe is fine");
        assertEquals(true, rows.get("MatmulBenchmark.run ffn_w1").get("valid"), "one-thread rows keep their probe");
    }

    @Test
    void memoryRowAboveTheBandwidthIsCacheResidentAndStaysValid(@TempDir Path directory) throws Exception {
        Map<String, Object> row = marked(directory, 60e9, 110e9, 0.1).get("ElementwiseBenchmark.run rmsnorm");
        assertEquals(true, row.get("valid"));
        assertEquals("cache_resident (200.0 GB/s, above the measured 1-thread bandwidth 20.0)", row.get("status"));
    }

    @Test
    void anUnsettledWarmupMarksItsRowInvalid(@TempDir Path directory) throws Exception {
        Map<String, Object> row = marked(directory, 60e9, 110e9, 0.1).get("MatmulBenchmark.run ffn_w2");
        assertEquals(false, row.get("valid"));
        assertEquals("unsettled_warmup (no settled time within the 8 s warm-up bound: JIT still compiling or times"
                + " still moving)", row.get("status"));
    }

    @Test
    void theSummarySaysHowManyRowsAreMarkedAndWhy(@TempDir Path directory) throws Exception {
        Path csv = directory.resolve("measurements.csv");
        flopcast.measure.results.MeasurementsCsv.write(csv, List.copyOf(marked(directory, 70e9, 65e9, 0.01).values()));
        String text = Summary.marks(flopcast.measure.results.MeasurementsCsv.read(csv));
        assertTrue(text.contains("2 valid, 4 marked invalid"), text);
        // the two probes and both matmuls, whose MFU divides by the one-thread probe
        assertTrue(text.contains("peak_probe_failed 4 row(s)"), text);
        assertTrue(text.contains("mfu_out_of_range  1 row(s)"), text);
        assertTrue(text.contains("unsettled_warmup  1 row(s)"), text);
        assertTrue(text.contains("cache_resident    1 row(s) (valid)"), text);
    }
}
