package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** GELU's two-matrix MLP and GeGLU's three beside SwiGLU's, and OpenAI's GPT-2 assembled from the architecture's fields. */
class MlpKindTest {
    /** (V, T, L, d, h, d_ff, B) = (7, 3, 2, 8, 4, 6, 2): N = 6, 952 parameters under SwiGLU. */
    private static final Shape SWIGLU = new Shape(7, 3, 2, 8, 4, 6, 2);
    private static final Shape GELU = SWIGLU.withArchitecture(new Architecture(4, false, LinearBias.NONE, 0, false, 0,
            NormKind.RMS, 0, MlpKind.GELU));

    /** No W3: d*d_ff fewer parameters a block; W3's and SiLU's outputs no longer kept. */
    @Test
    void twoMatrices() {
        assertEquals(952 - 2 * 8 * 6, ParameterTensor.total(GELU));
        assertEquals(0, Component.FFN_W3.instances(GELU));
        assertEquals(0, ParameterTensor.W3_WEIGHT.instances(GELU));
        assertEquals(KeptActivation.totalFloats(SWIGLU) - 2 * 2 * 6 * 6, KeptActivation.totalFloats(GELU));
        assertEquals(0, WorkspaceBuffer.W3_OUTPUT_GRADIENT.instances(GELU));
        // forward matmuls: SwiGLU's less the two blocks' W3 (2*N*d*d_ff each)
        assertEquals(CompleteAccounting.predict(SWIGLU).flops().forward().subtract(BigInteger.valueOf(2 * 2 * 6 * 8 * 6)),
                CompleteAccounting.predict(GELU).flops().forward());
        assertEquals(BigInteger.valueOf(13 * 36), ElementwiseFlops.forward(Component.FFN_SILU, GELU));
        assertEquals(BigInteger.valueOf(23 * 36), ElementwiseFlops.backward(Component.FFN_SILU, GELU));
        // autograd saves W1's output for gelu and the product for W2's matmul, not the gate's two factors
        assertTrue(TorchSavedTensor.covers(GELU));
        assertEquals(TorchSavedTensor.savedBytes(SWIGLU) - 2 * 2 * 36 * 4, TorchSavedTensor.savedBytes(GELU));
        ComponentRow w3 = CompleteAccounting.predict(GELU).components().stream()
                .filter(row -> row.component() == Component.FFN_W3).findFirst().orElseThrow();
        assertEquals(0, w3.count());
        assertEquals(BigInteger.ZERO, w3.forwardFlops(), "no W3 matmul, per instance either");
        String note = Diff.between(GELU, Capacity.of(1, Capacity.Unit.GB, "--memory-gb"), null).stream()
                .filter(term -> term.term().equals("flops.forward")).findFirst().orElseThrow().note();
        assertTrue(note.contains("the other 1 blocks (4,800) and the LM head 2*B*T*d*V (672); this shape's block is 4,800,"
                + " not the formula's 5,376"), note);
        assertEquals("V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 mlp=gelu", GELU.describe());
        assertEquals(GELU, ShapeKey.parse(GELU.describe()));
    }

    /**
     * GeGLU has SwiGLU's matrices, kept tensors, workspace and matmul FLOPs; only its activation's
     * elementwise FLOPs differ: 14 an element forward (GELU 13, the gate's product 1) and 25 backward.
     */
    @Test
    void gegluIsSwigluWithGelusCost() {
        Shape geglu = SWIGLU.withArchitecture(new Architecture(4, false, LinearBias.NONE, 0, false, 0, NormKind.RMS, 0,
                MlpKind.GEGLU));
        assertEquals(952, ParameterTensor.total(geglu));
        assertEquals(KeptActivation.totalFloats(SWIGLU), KeptActivation.totalFloats(geglu));
        assertEquals(1, WorkspaceBuffer.W3_OUTPUT_GRADIENT.instances(geglu));
        assertEquals(CompleteAccounting.predict(SWIGLU).flops().forward(), CompleteAccounting.predict(geglu).flops()
                .forward());
        assertEquals(BigInteger.valueOf(14 * 36), ElementwiseFlops.forward(Component.FFN_SILU, geglu));
        assertEquals(BigInteger.valueOf(25 * 36), ElementwiseFlops.backward(Component.FFN_SILU, geglu));
        assertEquals(MinimumTraffic.forward(Component.FFN_SILU, SWIGLU), MinimumTraffic.forward(Component.FFN_SILU,
                geglu));
        assertTrue(MlpKind.GEGLU.gated() && MlpKind.SWIGLU.gated() && !MlpKind.GELU.gated());
        assertEquals(TorchSavedTensor.savedBytes(SWIGLU), TorchSavedTensor.savedBytes(geglu));
        assertEquals("V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 mlp=geglu", geglu.describe());
        assertEquals(geglu, ShapeKey.parse(geglu.describe()));
    }

    /**
     * OpenAI's GPT-2 (LayerNorm with biases, every projection biased, 1024 learned positions, GELU, a
     * tied head) is a value of the architecture: 124,439,808 and 1,557,611,200 parameters, as released.
     */
    @Test
    void openAisGpt2() {
        Architecture gpt2 = new Architecture(12, true, LinearBias.ALL, 0, false, 0, NormKind.LAYER, 1024, MlpKind.GELU);
        assertEquals(124_439_808L, ParameterTensor.total(new Shape(50257, 1024, 12, 768, 12, 3072, 1, gpt2)));
        Architecture xl = new Architecture(25, true, LinearBias.ALL, 0, false, 0, NormKind.LAYER, 1024, MlpKind.GELU);
        assertEquals(1_557_611_200L, ParameterTensor.total(new Shape(50257, 1024, 48, 1600, 25, 6400, 1, xl)));
    }
}
