package flopcast.measure.buffers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Narrowing to bfloat16 rounds to nearest, ties to even, as PyTorch's {@code .to(torch.bfloat16)}. */
class BFloat16Test {

    @Test
    void roundsToNearestTiesToEven() {
        // near 1 the bfloat16 spacing is 2^-7: 1 + 2^-8 is halfway between 1 (even) and 1 + 2^-7 (odd)
        assertEquals(1f, BFloat16.rounded(1f + 0x1p-8f));
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even)
        assertEquals(1f + 0x1p-6f, BFloat16.rounded(1f + 3 * 0x1p-8f));
        // just above halfway rounds up, just below down
        assertEquals(1f + 0x1p-7f, BFloat16.rounded(Math.nextUp(1f + 0x1p-8f)));
        assertEquals(1f, BFloat16.rounded(Math.nextDown(1f + 0x1p-8f)));
        assertEquals(-1f - 0x1p-6f, BFloat16.rounded(-1f - 3 * 0x1p-8f));
        assertEquals((short) 0x3f80, BFloat16.round(1f));
        assertEquals((short) 0xbf80, BFloat16.round(-1f));
        assertEquals(0f, BFloat16.rounded(0f));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(BFloat16.rounded(-0f)));
    }

    @Test
    void specialValuesStaySpecial() {
        assertTrue(Float.isNaN(BFloat16.rounded(Float.NaN)));
        // a NaN whose payload lies only in the dropped bits must not become infinity
        assertTrue(Float.isNaN(BFloat16.rounded(Float.intBitsToFloat(0x7f800001))));
        assertEquals(Float.POSITIVE_INFINITY, BFloat16.rounded(Float.POSITIVE_INFINITY));
        assertEquals(Float.NEGATIVE_INFINITY, BFloat16.rounded(Float.NEGATIVE_INFINITY));
        // past bfloat16's largest finite value (0x7f7f: 3.3895e38) float32's largest rounds to infinity
        assertEquals(Float.POSITIVE_INFINITY, BFloat16.rounded(Float.MAX_VALUE));
        assertEquals(Float.intBitsToFloat(0x7f7f0000), BFloat16.rounded(Float.intBitsToFloat(0x7f7f0000)));
    }

    /**
     * For random normal float32 values (exponents 1 to 253, so that both neighbours are finite), the
     * result is one of the two bfloat16 neighbours, the nearer one, the even one on a tie, and within
     * 2^-8 of the value relative to it. Every tenth value is made a tie.
     */
    @Test
    void isTheNearerNeighbourWithinHalfASpacing() {
        Random random = new Random(1);
        for (int n = 0; n < 200_000; n++) {
            int exponent = 1 + random.nextInt(253);
            int mantissa = n % 10 == 0 ? (random.nextInt() & 0x7f0000) | 0x8000 : random.nextInt() & 0x7fffff;
            int bits = (random.nextBoolean() ? 0x80000000 : 0) | exponent << 23 | mantissa;
            float value = Float.intBitsToFloat(bits);
            float below = Float.intBitsToFloat(bits & 0xffff0000);
            float above = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
            float rounded = BFloat16.rounded(value);
            assertTrue(rounded == below || rounded == above, value + " rounded to " + rounded);
            double chosen = Math.abs((double) rounded - value);
            double other = Math.abs((double) (rounded == below ? above : below) - value);
            assertTrue(chosen <= other, value + ": " + rounded + " is not the nearer neighbour");
            if (chosen == other) {
                assertEquals(0, BFloat16.round(value) & 1, value + ": a tie goes to the even neighbour");
            }
            assertTrue(chosen <= BFloat16.EPSILON / 2 * Math.abs(value), value + " rounded to " + rounded);
        }
    }

    @Test
    void widenIsExactAndNarrowLeavesTheRoundedValues() {
        float[] values = {0.1f, -3.14159f, 65504f, 1e-20f};
        short[] bits = new short[values.length];
        float[] expected = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            expected[i] = BFloat16.rounded(values[i]);
        }
        BFloat16.narrow(values, bits, values.length);
        float[] widened = new float[values.length];
        BFloat16.widen(bits, widened, bits.length);
        for (int i = 0; i < values.length; i++) {
            assertEquals(expected[i], values[i], 0f, "narrow leaves the rounded value in place");
            assertEquals(expected[i], widened[i], 0f, "widen gives it back exactly");
        }
    }
}
