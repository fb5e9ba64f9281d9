package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** Norms after each sublayer (OLMo 2's) and before and after (Gemma 2's sandwich), counted by hand. */
class NormPlacementTest {
    /** (V, T, L, d, h, d_ff, B) = (7, 3, 2, 8, 4, 6, 2), h_kv = 2: N = 6; 824 parameters with norms before. */
    private static final Shape PRE = new Shape(7, 3, 2, 8, 4, 6, 2, new Architecture(2, false));
    private static final Shape POST = placed(PRE, NormPlacement.POST);
    private static final Shape SANDWICH = placed(PRE, NormPlacement.SANDWICH);

    private static Shape placed(Shape shape, NormPlacement placement) {
        return shape.withArchitecture(shape.architecture().withNorms(placement, QkNorm.NONE));
    }

    /** Post: the two d gains a block move after the sublayers; a sandwich has four: 824 + 2*2*8. */
    @Test
    void gains() {
        assertEquals(824, ParameterTensor.total(POST));
        assertEquals(0, ParameterTensor.ATTENTION_NORM_GAIN.instances(POST));
        assertEquals(2, ParameterTensor.ATTENTION_POST_NORM_GAIN.instances(POST));
        assertEquals(0, ParameterTensor.FFN_POST_NORM_GAIN.instances(PRE));
        assertEquals(824 + 2 * 2 * 8, ParameterTensor.total(SANDWICH));
        assertEquals(FrozenKind.NORMS, FrozenKind.of(ParameterTensor.FFN_POST_NORM_GAIN));
    }

    /**
     * A norm after a sublayer keeps its input (N x d = 48) and a reciprocal RMS per row (6) where one before
     * keeps its output and the same: the totals agree; a sandwich keeps both, 2*2*(48 + 6) more.
     */
    @Test
    void keptRows() {
        assertEquals(0, KeptActivation.ATTENTION_NORM_OUTPUT.instances(POST));
        assertEquals(0, KeptActivation.FFN_NORM_RMS.instances(POST));
        assertEquals(2, KeptActivation.ATTENTION_POST_NORM_INPUT.instances(POST));
        assertEquals(48, KeptActivation.FFN_POST_NORM_INPUT.elements(POST));
        assertEquals(6, KeptActivation.FFN_POST_NORM_RMS.elements(POST));
        assertEquals(KeptActivation.totalFloats(PRE), KeptActivation.totalFloats(POST));
        assertEquals(KeptActivation.totalFloats(PRE) + 2 * 2 * (48 + 6), KeptActivation.totalFloats(SANDWICH));
        assertEquals(0, WorkspaceBuffer.POST_NORM_INPUT_GRADIENT.instances(PRE));
        assertEquals(48, WorkspaceBuffer.POST_NORM_INPUT_GRADIENT.elements(SANDWICH));
        assertEquals(1, WorkspaceBuffer.NORM_OUTPUT_GRADIENT.instances(POST), "the final norm's output gradient");
    }

    /** RMSNorm over 6 rows of 8: 6*(4*8 + 4) = 216 forward, 6*(11*8 + 4) = 552 backward, per norm. */
    @Test
    void flops() {
        assertEquals(4, Component.RMSNORM.instances(POST));
        assertEquals(8, Component.RMSNORM.instances(SANDWICH));
        assertEquals(BigInteger.valueOf(216), ElementwiseFlops.forward(Component.RMSNORM, SANDWICH));
        assertEquals(BigInteger.valueOf(552), ElementwiseFlops.backward(Component.RMSNORM, SANDWICH));
        assertEquals(CompleteAccounting.predict(PRE).flops(), CompleteAccounting.predict(POST).flops());
    }

    /**
     * Fine-tuned with no norm before a sublayer, three blocks: LoRA on W2 alone leaves Q, K, V and W1, W3
     * frozen without adapters, so no gradient reads block 0's input, each x_mid, or the first two blocks'
     * outputs (scratch, one B*T*d row each); the last block's output is the final norm's input. Full
     * recomputation keeps every block's input again: the rerun reads it.
     */
    @Test
    void theResidualStreamNoGradientReadsIsScratch() {
        Shape adapted = placed(new Shape(7, 3, 3, 8, 4, 6, 2, new Architecture(2, false)), NormPlacement.POST)
                .withSettings(Settings.DEFAULT.withLora(Lora.of(2, EnumSet.of(LoraTarget.W2))));
        assertEquals(0, KeptActivation.EMBEDDING_OUTPUT.instances(adapted));
        assertEquals(0, KeptActivation.ATTENTION_RESIDUAL.instances(adapted));
        assertEquals(1, KeptActivation.FFN_RESIDUAL.instances(adapted));
        assertEquals(1, WorkspaceBuffer.FROZEN_BLOCK_INPUT.instances(adapted));
        assertEquals(1, WorkspaceBuffer.FROZEN_ATTENTION_RESIDUAL.instances(adapted));
        Shape full = adapted.withSettings(new Settings(PrecisionPolicy.FP32, AttentionKernel.EAGER, Recompute.FULL)
                .withLora(adapted.settings().lora()));
        assertEquals(1, KeptActivation.EMBEDDING_OUTPUT.instances(full));
        assertEquals(3, KeptActivation.FFN_RESIDUAL.instances(full));
        Shape queries = adapted.withSettings(Settings.DEFAULT.withLora(Lora.of(2, EnumSet.of(LoraTarget.QUERY))));
        assertEquals(3, KeptActivation.FFN_RESIDUAL.instances(queries), "the query's adapter reads each input");
        assertEquals(0, KeptActivation.ATTENTION_RESIDUAL.instances(queries));
        Shape sandwich = placed(adapted, NormPlacement.SANDWICH);
        assertEquals(3, KeptActivation.ATTENTION_RESIDUAL.instances(sandwich), "the norm before the MLP reads it");
        assertEquals(0, WorkspaceBuffer.FROZEN_BLOCK_INPUT.instances(sandwich));
    }

    /**
     * The pytorch profile (checked by the probe): a norm before a sublayer saves its input, square,
     * rsqrt, normalized rows and its output (for the matmuls after it), 48 + 48 + 6 + 48 + 48 floats; one
     * after saves the first four and the matmuls save the residual stream itself, 48: the same bytes, and a
     * sandwich the four more of each norm after, 2 x 150 floats a block.
     */
    @Test
    void thePytorchProfileSavesEachNormsRows() {
        assertTrue(TorchSavedTensor.covers(POST));
        assertEquals(TorchSavedTensor.savedBytes(PRE), TorchSavedTensor.savedBytes(POST));
        assertEquals(TorchSavedTensor.savedBytes(PRE) + 2 * 4 * 2 * (48 + 48 + 6 + 48), TorchSavedTensor.savedBytes(SANDWICH));
    }

    /** A LayerNorm after a sublayer is refused. */
    @Test
    void refusals() {
        InvalidInputException refused = assertThrows(InvalidInputException.class, () -> new Architecture(2, false,
                LinearBias.NONE, 0, QkNorm.NONE, 0, NormKind.LAYER, 0, MlpKind.SWIGLU, Experts.NONE,
                NormPlacement.POST));
        assertEquals("norm_placement post with norm layernorm: a norm after a sublayer is modelled as an RMSNorm only"
                + " (allowed: norm rmsnorm, or norm_placement pre)", refused.getMessage());
        assertEquals(NormPlacement.SANDWICH, NormPlacement.byCliName("sandwich"));
    }
}
