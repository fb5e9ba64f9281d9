package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** LayerNorm beside RMSNorm: its bias, its kept means and its FLOPs, counted by hand. */
class NormKindTest {
    /** (V, T, L, d, h, d_ff, B) = (7, 3, 2, 8, 4, 6, 2): N = 6, 952 parameters under RMSNorm. */
    private static final Shape RMS = new Shape(7, 3, 2, 8, 4, 6, 2);
    private static final Shape LAYER = RMS.withArchitecture(new Architecture(4, false, LinearBias.NONE, 0, false, 0,
            NormKind.LAYER));

    /** A d-wide bias for each of the 2L + 1 norms; a mean per row beside each norm's reciprocal. */
    @Test
    void biasesAndMeans() {
        assertEquals(952 + (2 * 2 + 1) * 8, ParameterTensor.total(LAYER));
        assertEquals(0, ParameterTensor.FINAL_NORM_BIAS.instances(RMS));
        assertEquals(KeptActivation.totalFloats(RMS) + (2 * 2 + 1) * 6, KeptActivation.totalFloats(LAYER));
        assertEquals(0, KeptActivation.ATTENTION_NORM_MEAN.instances(RMS));
        assertTrue(KeptActivation.FINAL_NORM_MEAN.float32UnderEveryPolicy(), "as native_layer_norm keeps it");
        // autograd saves layer_norm's input, mean and 1 / std (2*N*d + 2*N a norm with the output) where
        // RMSNorm's ops save input, square, rsqrt and normalized rows (4*N*d + N): 2*N*d - N = 90 fewer, 5 norms
        assertTrue(TorchSavedTensor.covers(LAYER));
        assertEquals(TorchSavedTensor.savedBytes(RMS) - 5 * 90 * 4, TorchSavedTensor.savedBytes(LAYER));
    }

    /** Forward N*(8d + 5) = 6*69, backward N*(19d + 2) = 6*154, for each of the 2L + 1 norms. */
    @Test
    void flops() {
        assertEquals(BigInteger.valueOf(6 * 69), ElementwiseFlops.forward(Component.RMSNORM, LAYER));
        assertEquals(BigInteger.valueOf(6 * 154), ElementwiseFlops.backward(Component.FINAL_RMSNORM, LAYER));
        assertEquals(BigInteger.valueOf(6 * 36), ElementwiseFlops.forward(Component.RMSNORM, RMS), "RMSNorm's 4d + 4");
        // x, g, b in; y, mean, 1/std out: 4*(2*N*d + 2*d + 2*N)
        assertEquals(BigInteger.valueOf(4 * (2 * 48 + 16 + 12)), MinimumTraffic.forward(Component.RMSNORM, LAYER));
        assertEquals("V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 norm=layernorm", LAYER.describe());
        assertEquals(LAYER, ShapeKey.parse(LAYER.describe()));
    }
}
