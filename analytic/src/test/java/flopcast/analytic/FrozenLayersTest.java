package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Blocks frozen by range ({@code --freeze-layers FIRST-LAST}): the frozen blocks' parameters have no
 * gradient or optimizer state, they keep what a block of frozen norms, attention and MLP keeps, and
 * their backward computes input gradients alone; the blocks outside the range train as before.
 * measure's {@code CountingTest} holds the executed model to it.
 */
class FrozenLayersTest {
    /** V = 64, T = 8, L = 4, d = 16, h = 4, d_ff = 32, B = 2. */
    private static final Shape SMALL = new Shape(64, 8, 4, 16, 4, 32, 2);

    private static Shape range(Shape shape, long first, long last) {
        return shape.withSettings(shape.settings().withFrozenLayers(new FrozenLayers(first, last)));
    }

    /**
     * Blocks 1 and 2 of four frozen: each block holds 4d^2 + 3*d*d_ff + 2d = 1024 + 1536 + 32 = 2592
     * parameters, so 5184 fewer train; AdamW's state and FLOPs follow the trainable count.
     */
    @Test
    void frozenBlocksTrainNothing() {
        Shape frozen = range(SMALL, 1, 2);
        long all = ParameterTensor.total(SMALL);
        assertEquals(all, ParameterTensor.total(frozen));
        assertEquals(all - 2 * 2592, ParameterTensor.trainable(frozen));
        Prediction prediction = CompleteAccounting.predict(frozen);
        assertEquals(12L * (all - 2 * 2592), prediction.memory().gradientsBytes()
                + prediction.memory().optimizerStateBytes());
        assertEquals(AdamWFlops.step(all - 2 * 2592), prediction.flops().optimizer());
    }

    /**
     * Each frozen block's projections compute dX alone: the block's weight gradients, 2*B*T*(4d^2 +
     * 3*d*d_ff) = 2*16*2560 = 81920 FLOPs a block, are not run.
     */
    @Test
    void frozenBlocksSkipTheirWeightGradients() {
        BigInteger full = CompleteAccounting.predict(SMALL).flops().backward();
        BigInteger frozen = CompleteAccounting.predict(range(SMALL, 1, 2)).flops().backward();
        assertEquals(full.subtract(BigInteger.valueOf(2 * 81920)), frozen);
    }

    /**
     * Every per-block total is the training blocks' share of the unfrozen model's plus the frozen blocks'
     * share of a model whose every block is frozen: kept bytes, workspace, FLOPs and trainable parameters.
     */
    @Test
    void aRangeSplitsEveryBlockTotalByItsBlocks() {
        for (AttentionKernel kernel : AttentionKernel.values()) {
            for (Recompute mode : Recompute.values()) {
                Shape base = SMALL.withSettings(new Settings(PrecisionPolicy.BF16_MIXED, kernel, mode));
                Prediction none = CompleteAccounting.predict(base);
                Prediction every = CompleteAccounting.predict(range(base, 0, 3));
                Prediction one = CompleteAccounting.predict(range(base, 2, 2));
                // three training blocks of four and one frozen: (3 * none + every) / 4
                assertEquals((3 * none.memory().activationsBytes() + every.memory().activationsBytes()) / 4,
                        one.memory().activationsBytes(), kernel + " " + mode);
                assertEquals(none.flops().backward().multiply(BigInteger.valueOf(3)).add(every.flops().backward())
                        .divide(BigInteger.valueOf(4)), one.flops().backward(), kernel + " " + mode);
                BigInteger lmParts = none.flops().elementwise().subtract(blockElementwise(base));
                assertEquals(lmParts.add(blockElementwise(base).multiply(BigInteger.valueOf(3))
                        .add(blockElementwise(range(base, 0, 3)))
                        .divide(BigInteger.valueOf(4))), one.flops().elementwise(), kernel + " " + mode);
                // a workspace row serves every block: held where either kind of block needs it (under full
                // recomputation a training block's recomputation buffer and a frozen block's scratch both)
                long workspace = 0;
                for (WorkspaceBuffer row : WorkspaceBuffer.values()) {
                    workspace += Math.max(row.totalBytes(base), row.totalBytes(range(base, 0, 3)));
                }
                for (KeptActivation row : KeptActivation.values()) {
                    workspace += Math.max(CompleteAccounting.recomputeBytes(row, base),
                            CompleteAccounting.recomputeBytes(row, range(base, 0, 3)));
                }
                assertEquals(workspace, one.memory().workspaceBytes(), kernel + " " + mode);
            }
        }
    }

    /** Elementwise FLOPs of every block component's instances. */
    private static BigInteger blockElementwise(Shape shape) {
        BigInteger sum = BigInteger.ZERO;
        for (Component component : Component.values()) {
            if (component.inBlock()) {
                sum = sum.add(CompleteAccounting.elementwise(component, shape));
            }
        }
        return sum;
    }

    /**
     * A range over every block keeps what the kinds norms, attention and MLP frozen keep, while the final
     * norm's gain, which {@code --freeze norms} would freeze too, trains.
     */
    @Test
    void everyBlockFrozenIsTheBlockKindsFrozen() {
        Shape every = range(SMALL, 0, 3);
        Shape kinds = SMALL.withSettings(SMALL.settings().withFrozen(
                EnumSet.of(FrozenKind.NORMS, FrozenKind.ATTENTION, FrozenKind.MLP)));
        assertEquals(KeptActivation.totalFloats(kinds), KeptActivation.totalFloats(every));
        assertEquals(ParameterTensor.trainable(kinds) + 16, ParameterTensor.trainable(every));
        assertTrue(ParameterTensor.FINAL_NORM_GAIN.trains(every));
        assertFalse(ParameterTensor.W1_WEIGHT.trains(every));
    }

    /**
     * The pytorch profile: with the embeddings frozen, autograd builds no graph below the first block that
     * trains, so frozen blocks 0 and 1 save nothing; blocks 2 and 3 save what they save when block 0's input
     * needs no gradient and its own parameters train, at block 0 and 1 of a model whose embeddings are frozen.
     */
    @Test
    void theProfilesFrozenPrefixSavesNothing() {
        Shape embeddings = SMALL.withSettings(SMALL.settings().withFrozen(EnumSet.of(FrozenKind.EMBEDDINGS)));
        Shape prefix = range(embeddings, 0, 1);
        Shape twoLayers = new Shape(64, 8, 2, 16, 4, 32, 2).withSettings(embeddings.settings());
        assertEquals(TorchSavedTensor.savedBytes(twoLayers), TorchSavedTensor.savedBytes(prefix));
        // with the embeddings training, every block passes a gradient back and a frozen block saves its inputs
        assertTrue(TorchSavedTensor.savedBytes(range(SMALL, 0, 1)) > TorchSavedTensor.savedBytes(prefix));
    }

    /**
     * A range at a size where only the totals are large: each kind of block's share is taken per block, never
     * L times the total, so a model whose counts fit is not refused as too large (Llama 3 70B's 80 layers at
     * T = 8192 and a batch of 100,000: its memory alone is 1.8e17 bytes).
     */
    @Test
    void aRangeOnAVeryLargeRunStillCounts() {
        Shape large = Preset.LLAMA3_70B.shape(100_000);
        Shape frozen = range(large, 0, 39);
        long kept = CompleteAccounting.predict(frozen).memory().activationsBytes();
        assertTrue(kept > 0 && kept < CompleteAccounting.predict(large).memory().activationsBytes());
    }

    @Test
    void describeCarriesTheRange() {
        Shape frozen = range(SMALL, 1, 2);
        assertTrue(frozen.describe().endsWith(" freeze_layers=1-2"), frozen.describe());
        assertEquals(frozen, ShapeKey.parse(frozen.describe()));
        assertEquals(new FrozenLayers(3, 3), FrozenLayers.parse("3"));
        assertEquals(new FrozenLayers(0, 15), FrozenLayers.parse("0-15"));
    }

    @Test
    void badRangesAreRefusedInOneLine() {
        InvalidInputException outside = assertThrows(InvalidInputException.class, () -> range(SMALL, 2, 4));
        assertEquals("--freeze-layers 2-4 names block 4 of a model with 4 layers (allowed: blocks 0 to 3)",
                outside.getMessage());
        InvalidInputException backwards = assertThrows(InvalidInputException.class, () -> FrozenLayers.parse("3-1"));
        assertTrue(backwards.getMessage().startsWith("--freeze-layers 3-1 is not a range of blocks"));
        assertThrows(InvalidInputException.class, () -> FrozenLayers.parse("a-b"));
        assertThrows(InvalidInputException.class, () -> FrozenLayers.parse("-1"));
        InvalidInputException nothing = assertThrows(InvalidInputException.class, () -> range(SMALL.withSettings(
                SMALL.settings().withFrozen(EnumSet.of(FrozenKind.EMBEDDINGS, FrozenKind.HEAD, FrozenKind.NORMS))),
                0, 3));
        assertTrue(nothing.getMessage().contains("leaves nothing to train"), nothing.getMessage());
        InvalidInputException lora = assertThrows(InvalidInputException.class, () -> SMALL.settings()
                .withLora(new Lora(4, 8, EnumSet.of(LoraTarget.QUERY))).withFrozenLayers(new FrozenLayers(0, 1)));
        assertTrue(lora.getMessage().contains("layers_to_transform"), lora.getMessage());
        Shape post = SMALL.withArchitecture(SMALL.architecture().withNorms(NormPlacement.POST, QkNorm.NONE));
        assertThrows(InvalidInputException.class, () -> range(post, 0, 1));
    }
}
