package flopcast.measure.buffers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Lora;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * NF4 as bitsandbytes stores it: the bytes {@link Lora#nf4Bytes} predicts, the two tables, the
 * packing order, exact recovery where double quantization loses nothing, and every weight of a
 * Gaussian matrix within the error its quantization steps allow.
 */
class Nf4WeightTest {

    /** The arrays hold the predicted bytes to the byte: blocks that end mid-row, and more than 256 blocks. */
    @ParameterizedTest
    @CsvSource({"1, 1", "3, 7", "8, 8", "64, 65", "130, 257", "512, 64"})
    void holdsTheBytesTheAccountingPredicts(int rows, int columns) {
        assertEquals(Lora.nf4Bytes((long) rows * columns), new Nf4Weight(rows, columns).bytes());
    }

    @Test
    void tablesAreNf4AndTheSignedDynamicMap() {
        assertEquals(16, Nf4Weight.NF4.length);
        assertEquals(-1f, Nf4Weight.NF4[0]);
        assertEquals(0f, Nf4Weight.NF4[7]);
        assertEquals(1f, Nf4Weight.NF4[15]);
        assertEquals(256, Nf4Weight.DYNAMIC_MAP.length);
        for (int i = 1; i < 16; i++) {
            assertTrue(Nf4Weight.NF4[i - 1] < Nf4Weight.NF4[i], "NF4 ascending at " + i);
        }
        for (int i = 1; i < 256; i++) {
            assertTrue(Nf4Weight.DYNAMIC_MAP[i - 1] < Nf4Weight.DYNAMIC_MAP[i], "the map ascending at " + i);
        }
        // 127 values a sign (2^0 + ... + 2^6 midpoints over seven decades), 0 and 1; the top midpoint of the
        // 64 steps from 0.1 to 1 is 0.99296875, the smallest 1e-6 times the midpoint of 0.1 and 1
        assertEquals(1f, Nf4Weight.DYNAMIC_MAP[255]);
        assertEquals(0.99296875f, Nf4Weight.DYNAMIC_MAP[254], 1e-6f);
        assertEquals(-0.99296875f, Nf4Weight.DYNAMIC_MAP[0], 1e-6f);
        assertEquals(0f, Nf4Weight.DYNAMIC_MAP[127]);
        assertEquals(0.55e-6f, Nf4Weight.DYNAMIC_MAP[128], 1e-12f);
    }

    /**
     * PyTorch's weight is the model's matrix transposed, and its blocks run along it: element (i, j) of
     * a 4 x 16 model matrix is PyTorch's (j, i), index 4j + i, whose code is the high half of a byte where
     * that index is even.
     */
    @Test
    void codesFollowPyTorchsOrderTwoAByteHighHalfFirst() {
        Nf4Weight weight = new Nf4Weight(4, 16);
        float[] values = new float[64];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 16; j++) {
                values[i * 16 + j] = Nf4Weight.NF4[j];
            }
        }
        weight.quantize(values);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 16; j++) {
                assertEquals(j, weight.code(4 * j + i), "element (" + i + ", " + j + ")");
            }
        }
    }

    /**
     * Where every block's maximum is the same m, the maxima less their mean are all 0, which the dynamic
     * map holds exactly: each weight NF4[c] * m comes back as that product rounded to bfloat16.
     */
    @Test
    void recoversCodesTimesASharedMaximumExactly() {
        int rows = 96;
        int columns = 40;
        float maximum = 0.0371f;
        Random random = new Random(3);
        float[] values = new float[rows * columns];
        for (int i = 0; i < values.length; i++) {
            values[i] = Nf4Weight.NF4[random.nextInt(16)] * maximum;
        }
        for (int out = 0; out < columns; out++) {
            // each PyTorch row (one column here) is 96 weights: its first block's first weight is -m, its last +m
            values[out] = -maximum;
            values[(rows - 1) * columns + out] = maximum;
        }
        Nf4Weight weight = new Nf4Weight(rows, columns);
        weight.quantize(values);
        float[] expected = values.clone();
        BFloat16.roundInPlace(expected);
        assertArrayEquals(expected, weight.values(), 0f);
    }

    /**
     * Gaussian weights: each code is the NF4 value nearest w / m, and each weight comes back within
     * half NF4's widest step times m (0.1385 m, between 0.7230 and 1), plus the maximum's own error
     * (half the dynamic map's widest step over [-1, 1], 0.0070, times the run's constant), plus
     * bfloat16's half step (2^-8 relative).
     */
    @Test
    void everyWeightIsWithinItsQuantizationSteps() {
        int rows = 200;
        int columns = 96;
        float[] values = new float[rows * columns];
        Random random = new Random(11);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * 0.02 * (1 + i % 7));
        }
        Nf4Weight weight = new Nf4Weight(rows, columns);
        weight.quantize(values);
        float[] recovered = weight.values();
        double nf4HalfStep = widestStep(Nf4Weight.NF4) / 2;
        double mapHalfStep = widestStep(Nf4Weight.DYNAMIC_MAP) / 2;
        float[] maxima = new float[(values.length + 63) / 64];
        for (int p = 0; p < values.length; p++) {
            int model = (p % rows) * columns + p / rows;
            maxima[p / 64] = Math.max(maxima[p / 64], Math.abs(values[model]));
        }
        double constant = 0;
        double mean = 0;
        for (float maximum : maxima) {
            mean += maximum / maxima.length;
        }
        for (float maximum : maxima) {
            constant = Math.max(constant, Math.abs(maximum - mean));
        }
        for (int p = 0; p < values.length; p++) {
            int model = (p % rows) * columns + p / rows;
            float m = maxima[p / 64];
            assertEquals(Nf4Weight.nearest(Nf4Weight.NF4, values[model] * (1f / m)), weight.code(p), "code " + p);
            double allowed = nf4HalfStep * m + mapHalfStep * constant + 0x1p-8 * (m + mapHalfStep * constant) + 1e-7;
            assertEquals(values[model], recovered[model], allowed, "weight " + p);
        }
    }

    private static double widestStep(float[] table) {
        double widest = 0;
        for (int i = 1; i < table.length; i++) {
            widest = Math.max(widest, table[i] - table[i - 1]);
        }
        return widest;
    }
}
