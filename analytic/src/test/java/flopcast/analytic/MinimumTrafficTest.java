package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** Byte counts worked by hand at V=7, T=3, d=4, h=2, d_ff=5, B=2 (N = 6). */
class MinimumTrafficTest {
    private static final Shape SHAPE = new Shape(7, 3, 1, 4, 2, 5, 2);

    @Test
    void projections() {
        // W1: X 6x4 (24), W 4x5 (20), Y 6x5 (30): 74 floats
        assertEquals(BigInteger.valueOf(4 * 74), MinimumTraffic.forward(Component.FFN_W1, SHAPE));
        // backward: dY 30, X 24, W 20 in; dX 24, dW 20 out: 118 floats
        assertEquals(BigInteger.valueOf(4 * 118), MinimumTraffic.backward(Component.FFN_W1, SHAPE));
        // QKV as one 4 x 12 projection: 24 + 48 + 72 = 144 floats
        assertEquals(BigInteger.valueOf(4 * 144), MinimumTraffic.forward(Component.QKV_PROJECTION, SHAPE));
        // LM head 4 x 7: 24 + 28 + 42 = 94
        assertEquals(BigInteger.valueOf(4 * 94), MinimumTraffic.forward(Component.OUTPUT_EMBEDDING, SHAPE));
    }

    @Test
    void attentionAndElementwise() {
        // B*h*T^2 = 36, N*d = 24
        assertEquals(BigInteger.valueOf(4 * (48 + 36)), MinimumTraffic.forward(Component.ATTENTION_SCORES, SHAPE));
        assertEquals(BigInteger.valueOf(4 * (36 + 96)), MinimumTraffic.backward(Component.ATTENTION_SCORES, SHAPE));
        assertEquals(BigInteger.valueOf(4 * (72 + 72)),
                MinimumTraffic.backward(Component.ATTENTION_WEIGHTED_SUM, SHAPE));
        assertEquals(BigInteger.valueOf(8 * 36), MinimumTraffic.forward(Component.ATTENTION_SOFTMAX, SHAPE));
        assertEquals(BigInteger.valueOf(12 * 36), MinimumTraffic.backward(Component.ATTENTION_SOFTMAX, SHAPE));
        // RMSNorm: x 24, g 4 in; y 24, r 6 out = 58
        assertEquals(BigInteger.valueOf(4 * 58), MinimumTraffic.forward(Component.RMSNORM, SHAPE));
        assertEquals(BigInteger.valueOf(16 * 30), MinimumTraffic.forward(Component.FFN_SILU, SHAPE));
        // logits 42 and targets 6 in, probabilities 42 out
        assertEquals(BigInteger.valueOf(4 * 90), MinimumTraffic.forward(Component.CROSS_ENTROPY, SHAPE));
    }

    @Test
    void adamWIs28BytesPerParameter() {
        assertEquals(BigInteger.valueOf(28_000), MinimumTraffic.adamW(1000));
    }
}
