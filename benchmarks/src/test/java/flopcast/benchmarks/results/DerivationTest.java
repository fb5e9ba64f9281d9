package flopcast.benchmarks.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
