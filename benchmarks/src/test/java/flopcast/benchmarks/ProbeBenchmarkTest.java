package flopcast.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The probes as they take turns: every thread's part of the work done, and each call recorded as
 * the ops it ran.
 */
class ProbeBenchmarkTest {

    private static Map<String, String> probe(String component, String threads, String floats) {
        return floats == null
                ? Map.of("component", component, "pass", "probe", "backend", "probe", "threads", threads)
                : Map.of("component", component, "pass", "probe", "backend", "probe", "threads", threads, "floats", floats);
    }

    @Test
    void aBandwidthCallSweepsEveryElementOnEveryThread() {
        // 2051 floats: on two threads or more, parts of unequal lengths
        for (String threads : new String[] {"1", "all"}) {
            Turn turn = BandwidthProbe.turn("BandwidthProbe.run", probe("bandwidth_update", threads, "2051"));
            float[][] parts = (float[][]) turn.runOnce();
            assertEquals(Identity.threads(threads), parts.length, "a part a thread");
            int sweeps = BandwidthProbe.sweeps(2051);
            assertEquals(127, sweeps, "262,144 elements over arrays of 2,051: 127 sweeps");
            int element = 0;
            for (float[] a : parts) {
                for (int i = 0; i < a.length; i++) {
                    if (i < BandwidthProbe.PAD || i >= a.length - BandwidthProbe.PAD) {
                        assertEquals(0f, a[i], "the padding is never written");
                        continue;
                    }
                    float x = 1e-6f * (2051 - element);
                    assertEquals(sweeps * x, a[i], 1e-4 * sweeps * x, "element " + element + " on " + threads);
                    element++;
                }
            }
            assertEquals(2051, element, "every element in one part");
        }
        assertEquals(1, BandwidthProbe.sweeps(8_388_608), "arrays past the call's elements: one sweep");
    }

    @Test
    void aCallIsRecordedAsTheOpsItRan() {
        Turn turn = BandwidthProbe.turn("BandwidthProbe.run", probe("bandwidth_update", "all", "32768"));
        Work work = new Work();
        work.reset();
        turn.run(work, 2, 5);
        int threads = Runtime.getRuntime().availableProcessors();
        assertEquals(1, work.calls);
        assertEquals(8, work.ops);
        assertEquals(8 * 7L * Float.BYTES * 32768, work.bytes, "one sweep's 28 bytes an element, per op");
        assertEquals(8L * threads, work.kernelThreads);
        assertEquals(8 * 3, work.turn, "turn 3 of 5 on each op");
        assertEquals(8 * 5, work.rotation);
    }

    @Test
    void thePeakRunsItsChainsOnEveryThread() {
        int threads = Runtime.getRuntime().availableProcessors();
        Turn turn = PeakFlopsProbe.turn("PeakFlopsProbe.run", probe("peak_flops", "all", null));
        float[] sums = (float[]) turn.runOnce();
        assertEquals(threads, sums.length);
        for (float sum : sums) {
            assertTrue(sum > 0 && Float.isFinite(sum), "every thread's chains ran: " + sum);
        }
        Work work = new Work();
        work.reset();
        turn.run(work, 0, 1);
        assertEquals(1, work.ops);
        assertTrue(work.matmulFlops % threads == 0 && work.matmulFlops >= threads * (1L << 20),
                "each thread's FMAs counted: " + work.matmulFlops);
    }

    @Test
    void aProbeOverriddenToAnotherComponentIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> BandwidthProbe.turn("BandwidthProbe.run", probe("peak_flops", "1", "2048")));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> BandwidthProbe.turn("BandwidthProbe.run", probe("bandwidth_update", "1", "lots")))
                .getMessage().contains("floats must be"));
    }
}
