package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Byte counts worked by hand at V=7, T=3, d=4, h=2, d_ff=5, B=2 (N = 6). */
class MinimumTrafficTest {
    private static final Shape SHAPE = new Shape(7, 3, 1, 4, 2, 5, 2);

    /** Each component's bytes in one pass, worked by hand (floats x 4 bytes) in the comments. */
    @ParameterizedTest(name = "{0} {1}: {2} bytes")
    @CsvSource(textBlock = """
            # W1: X 6x4 (24), W 4x5 (20), Y 6x5 (30): 74 floats
            FFN_W1,                 forward,  296
            # backward: dY 30, X 24, W 20 in; dX 24, dW 20 out: 118 floats
            FFN_W1,                 backward, 472
            # QKV as one 4 x 12 projection: 24 + 48 + 72 = 144 floats
            QKV_PROJECTION,         forward,  576
            # LM head 4 x 7: 24 + 28 + 42 = 94
            OUTPUT_EMBEDDING,       forward,  376
            # B*h*T^2 = 36, N*d = 24: 4 x (48 + 36), 4 x (36 + 96), 4 x (72 + 72), 8 x 36, 12 x 36
            ATTENTION_SCORES,       forward,  336
            ATTENTION_SCORES,       backward, 528
            ATTENTION_WEIGHTED_SUM, backward, 576
            ATTENTION_SOFTMAX,      forward,  288
            ATTENTION_SOFTMAX,      backward, 432
            # RMSNorm: x 24, g 4 in; y 24, r 6 out = 58
            RMSNORM,                forward,  232
            # SiLU: 16 x 30
            FFN_SILU,               forward,  480
            # logits 42 and targets 6 in, probabilities 42 out: 90
            CROSS_ENTROPY,          forward,  360
            """)
    void bytesWorkedByHand(Component component, String pass, long bytes) {
        BigInteger traffic = switch (pass) {
            case "forward" -> MinimumTraffic.forward(component, SHAPE);
            case "backward" -> MinimumTraffic.backward(component, SHAPE);
            default -> throw new IllegalArgumentException(pass);
        };
        assertEquals(BigInteger.valueOf(bytes), traffic);
    }

    @Test
    void adamWIs28BytesPerParameter() {
        assertEquals(BigInteger.valueOf(28_000), MinimumTraffic.adamW(1000));
        assertEquals(BigInteger.valueOf(16_000), MinimumTraffic.adamWFootprint(1000), "p, g, m, v once each");
    }

    /**
     * Footprint: the bytes, less what a kernel writes over what it read. (V, T, L, d, h, d_ff, B) =
     * (7, 3, 2, 8, 4, 6, 2): B*h*T^2 = 72, N = 6.
     */
    @Test
    void inPlaceKernelsOccupyLessThanTheyMove() {
        Shape shape = new Shape(7, 3, 2, 8, 4, 6, 2);
        assertEquals(BigInteger.valueOf(4 * 72), MinimumTraffic.footprint(Component.ATTENTION_SOFTMAX, true, shape),
                "the scores softmaxed in place");
        assertEquals(BigInteger.valueOf(8 * 72), MinimumTraffic.footprint(Component.ATTENTION_SOFTMAX, false, shape),
                "P read, dS over dP");
        assertEquals(BigInteger.valueOf(4 * (6 * 7 + 6)), MinimumTraffic.footprint(Component.CROSS_ENTROPY, true,
                shape), "the probabilities over the logits, the targets");
        assertEquals(BigInteger.valueOf(20 * 6 * 6), MinimumTraffic.footprint(Component.FFN_SILU, false, shape));
        assertEquals(MinimumTraffic.forward(Component.FFN_SILU, shape),
                MinimumTraffic.footprint(Component.FFN_SILU, true, shape), "four arrays of their own");
        assertEquals(MinimumTraffic.backward(Component.RMSNORM, shape),
                MinimumTraffic.footprint(Component.RMSNORM, false, shape), "outputs apart from inputs");
    }
}
