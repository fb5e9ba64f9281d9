package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Frozen kinds ({@code --freeze}): what trains, the state and FLOPs that follow, the rows a frozen weight's
 * gradient alone read, and the pytorch profile's block 0 where the embeddings are frozen. measure's
 * {@code CountingTest} and {@code LoraTest} hold the executed model to it; the probe holds the profile to
 * PyTorch 1.13.
 */
class FreezeTest {

    private static Shape freeze(Shape shape, FrozenKind... kinds) {
        return shape.withSettings(shape.settings().withFrozen(EnumSet.of(kinds[0], kinds)));
    }

    /** Llama 2 7B with its embedding and head frozen: 2 * 32000 * 4096 fewer trained parameters. */
    @Test
    void frozenEmbeddingAndHeadKeepTheirWeightsAlone() {
        Shape full = Preset.LLAMA2_7B.shape(1).withPolicy(PrecisionPolicy.BF16_MIXED);
        Shape frozen = freeze(full, FrozenKind.EMBEDDINGS, FrozenKind.HEAD);
        long all = ParameterTensor.total(frozen);
        long trainable = ParameterTensor.trainable(frozen);
        assertEquals(6_738_415_616L, all);
        assertEquals(all - 2L * 32000 * 4096, trainable);
        MemoryBreakdown memory = CompleteAccounting.predict(frozen).memory();
        assertEquals(2 * all, memory.parametersBytes());
        assertEquals(2 * trainable + 4 * trainable + 8 * trainable,
                memory.gradientsBytes() + memory.masterWeightsBytes() + memory.optimizerStateBytes());
        assertEquals(AdamWFlops.step(trainable), CompleteAccounting.predict(frozen).flops().optimizer());
        // the head's backward computes the input's gradient only: 2*B*T*d*V fewer
        BigInteger head = MatmulFlops.forward(Component.OUTPUT_EMBEDDING, full);
        assertEquals(CompleteAccounting.predict(full).flops().backward().subtract(head),
                CompleteAccounting.predict(frozen).flops().backward());
        assertEquals(0, KeptActivation.TOKEN_IDS.instances(frozen), "no scatter-add reads the ids");
        assertEquals(0, KeptActivation.FINAL_NORM_OUTPUT.instances(frozen), "no head gradient reads it");
    }

    /** Frozen attention: Q, K, V and the output projection's inputs are kept only under flash (its backward reads O). */
    @Test
    void frozenAttentionKeepsItsProjectionsInputsOnlyWhereSomethingElseReadsThem() {
        Shape full = new Shape(512, 64, 2, 128, 4, 320, 2);
        Shape frozen = freeze(full, FrozenKind.ATTENTION);
        assertEquals(0, KeptActivation.ATTENTION_NORM_OUTPUT.instances(frozen));
        assertEquals(0, KeptActivation.ATTENTION_OUTPUT.instances(frozen));
        assertEquals(2, KeptActivation.FFN_NORM_OUTPUT.instances(frozen));
        Shape flash = frozen.withSettings(new Settings(PrecisionPolicy.FP32, AttentionKernel.FLASH, Recompute.NONE,
                Lora.NONE, EnumSet.of(FrozenKind.ATTENTION)));
        assertEquals(2, KeptActivation.ATTENTION_OUTPUT.instances(flash));
        assertEquals(ShapeKey.parse(frozen.describe()), frozen);
    }

    /**
     * Frozen embeddings at (11, 5, 2, 6, 3, 7, 2), B*T = 10: block 0's input needs no gradient, so PyTorch
     * saves neither its attention RMSNorm's input, square and reciprocal RMS (60 + 60 + 10 floats) nor the
     * token ids (80 bytes); the normalized rows stay (the gain trains), and every later row as in full
     * training.
     */
    @Test
    void frozenEmbeddingsSaveLessInBlockZero() {
        Shape full = new Shape(11, 5, 2, 6, 3, 7, 2);
        Shape frozen = freeze(full, FrozenKind.EMBEDDINGS);
        assertEquals(TorchSavedTensor.savedBytes(full) - 130 * 4 - 80, TorchSavedTensor.savedBytes(frozen));
    }
}
