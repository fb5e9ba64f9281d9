package flopcast.measure.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.ref.Reference;
import org.junit.jupiter.api.Test;

class HeapMeterTest {
    @Test
    void parsesTheFloatIntShortAndByteArrayRowsOfAHistogram() {
        String histogram = """
                 num     #instances         #bytes  class name (module)
                -------------------------------------------------------
                   1:            12      134217920  [F (java.base@17.0.15)
                   2:          3000         480000  [B (java.base@17.0.15)
                   3:             4           1040  [I (java.base@17.0.15)
                   4:             2             64  [[F (java.base@17.0.15)
                   5:             3           2096  [S (java.base@17.0.15)
                Total          3021      134701120
                """;
        assertEquals(134_217_920L + 480_000L + 1_040L + 2_096L, HeapMeter.arrayBytes(histogram));
    }

    /** A 64 MiB float[] is counted to the byte plus its 16-byte header: no G1 region rounding. */
    @Test
    void measuresALargeArrayExactly() {
        long before = HeapMeter.liveArrayBytes();
        float[] array = new float[16 * 1024 * 1024];
        long after = HeapMeter.liveArrayBytes();
        Reference.reachabilityFence(array);
        long measured = after - before;
        // header 16 bytes; other threads may allocate a few small arrays meanwhile
        assertEquals(64L * 1024 * 1024 + 16, measured, 64 * 1024);
    }
}
