package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Layers that stay dense among experts ({@code --dense-layers LIST --dense-ffn N}): each dense layer is a
 * block of the dense model at its width, each other a block of the experts, and every total sums them.
 */
class DenseLayersTest {
    /** V = 64, T = 8, L = 4, d = 16, h = 4, expert d_ff = 8, B = 2; 4 experts, 2 a token. */
    private static final Shape MOE = new Shape(64, 8, 4, 16, 4, 8, 2)
            .withArchitecture(new Architecture(4, false).withExperts(new Experts(4, 2)));
    /** The same model with every MLP dense and 32 wide. */
    private static final Shape DENSE = new Shape(64, 8, 4, 16, 4, 32, 2);

    private static Shape dense(Shape shape, long ffn, Long... layers) {
        return shape.withArchitecture(shape.architecture().withExperts(shape.architecture().experts()
                .withDense(new DenseLayers(List.of(layers), ffn))));
    }

    /**
     * Layer 0 dense: 3 sparse blocks of 4d^2 + 4*3*d*8 + 16*4 + 2d = 1024 + 1536 + 64 + 32 = 2656 and one
     * dense of 1024 + 3*16*32 + 32 = 2592, beside 2*64*16 + 16 = 2064 outside the blocks; active: each sparse
     * block reads 2 of its 4 experts, 768 fewer.
     */
    @Test
    void denseLayersAreCountedAsDenseBlocks() {
        Shape mixed = dense(MOE, 32, 0L);
        assertEquals(2064 + 3 * 2656 + 2592, ParameterTensor.total(mixed));
        assertEquals(2064 + 3 * (2656 - 768) + 2592, ParameterTensor.active(mixed));
        assertEquals(ParameterTensor.total(mixed), ParameterTensor.trainable(mixed));
        assertEquals(3, Component.ROUTER.instances(mixed), "no router in the dense layer");
        assertEquals(4 * 3 + 1, ParameterTensor.W1_WEIGHT.instances(mixed));
    }

    /**
     * Every block total is the sparse blocks' share of the all-sparse model's plus the dense blocks' share of
     * the all-dense model's, under every kernel and recomputation mode; one workspace row serves both kinds.
     */
    @Test
    void everyBlockTotalSumsTheDenseAndTheSparseBlocks() {
        for (AttentionKernel kernel : AttentionKernel.values()) {
            for (Recompute mode : Recompute.values()) {
                Settings settings = new Settings(PrecisionPolicy.BF16_MIXED, kernel, mode);
                Shape sparse = MOE.withSettings(settings);
                Shape all = DENSE.withSettings(settings);
                Shape mixed = dense(sparse, 32, 1L, 3L);
                Prediction s = CompleteAccounting.predict(sparse);
                Prediction d = CompleteAccounting.predict(all);
                Prediction m = CompleteAccounting.predict(mixed);
                String where = kernel + " " + mode;
                assertEquals(half(s.parameters(), d.parameters()), m.parameters(), where);
                assertEquals(half(s.memory().activationsBytes(), d.memory().activationsBytes()),
                        m.memory().activationsBytes(), where);
                assertEquals(half(s.flops().forward(), d.flops().forward()), m.flops().forward(), where);
                assertEquals(half(s.flops().backward(), d.flops().backward()), m.flops().backward(), where);
                assertEquals(half(s.flops().elementwise(), d.flops().elementwise()), m.flops().elementwise(), where);
                assertEquals(half(s.flops().recompute(), d.flops().recompute()), m.flops().recompute(), where);
                long workspace = 0;
                for (WorkspaceBuffer row : WorkspaceBuffer.values()) {
                    workspace += Math.max(row.totalBytes(sparse), row.totalBytes(all));
                }
                for (KeptActivation row : KeptActivation.values()) {
                    workspace += Math.max(CompleteAccounting.recomputeBytes(row, sparse),
                            CompleteAccounting.recomputeBytes(row, all));
                }
                assertEquals(workspace, m.memory().workspaceBytes(), where);
                if (TorchSavedTensor.covers(mixed)) {
                    // the pytorch profile saves each block's rows at its own kind's widths
                    assertEquals(half(TorchSavedTensor.savedBytes(sparse), TorchSavedTensor.savedBytes(all)),
                            TorchSavedTensor.savedBytes(mixed), where);
                }
            }
        }
    }

    /** Two of four blocks each kind: the mean of the two models' totals (their parts outside the blocks agree). */
    private static long half(long sparse, long dense) {
        assertEquals(0, (sparse + dense) % 2);
        return (sparse + dense) / 2;
    }

    private static BigInteger half(BigInteger sparse, BigInteger dense) {
        return sparse.add(dense).divide(BigInteger.TWO);
    }

    /** A frozen range over a dense and a sparse layer: four kinds of block, each counted as its own. */
    @Test
    void denseLayersAndAFrozenRangeCombine() {
        Shape mixed = dense(MOE, 32, 0L);
        Shape frozen = mixed.withSettings(mixed.settings().withFrozenLayers(new FrozenLayers(0, 1)));
        assertEquals(ParameterTensor.total(mixed) - 2656 - 2592, ParameterTensor.trainable(frozen));
        Function<Shape, BigInteger> backward = shape -> CompleteAccounting.predict(shape).flops().backward();
        assertTrue(backward.apply(frozen).compareTo(backward.apply(mixed)) < 0);
    }

    @Test
    void describeCarriesTheDenseLayers() {
        Shape mixed = dense(MOE, 32, 0L, 1L, 3L);
        assertTrue(mixed.describe().contains(" experts=4:2 dense_layers=0-1,3 dense_ffn=32"), mixed.describe());
        assertEquals(mixed, ShapeKey.parse(mixed.describe()));
        assertEquals(List.of(0L, 1L, 2L, 5L), DenseLayers.parse("0-2,5"));
        assertTrue(TorchSavedTensor.covers(mixed), "the probe builds dense layers among experts");
    }

    @Test
    void badDenseLayersAreRefusedInOneLine() {
        InvalidInputException past = assertThrows(InvalidInputException.class, () -> dense(MOE, 32, 4L));
        assertEquals("--dense-layers 4 names layer 4 of a model with 4 layers (allowed: layers 0 to 3)",
                past.getMessage());
        InvalidInputException every = assertThrows(InvalidInputException.class, () -> dense(MOE, 32, 0L, 1L, 2L, 3L));
        assertTrue(every.getMessage().contains("make every layer dense"), every.getMessage());
        InvalidInputException width = assertThrows(InvalidInputException.class, () -> dense(MOE, 0, 1L));
        assertTrue(width.getMessage().contains("needs --dense-ffn"), width.getMessage());
        assertThrows(InvalidInputException.class, () -> DenseLayers.parse("1-x"));
        assertThrows(InvalidInputException.class, () -> DenseLayers.parse("3-1"));
        Shape post = dense(MOE.withArchitecture(MOE.architecture().withNorms(NormPlacement.POST, QkNorm.NONE)), 32, 0L);
        InvalidInputException frozenPost = assertThrows(InvalidInputException.class, () -> post.withSettings(
                post.settings().withFrozen(java.util.EnumSet.of(FrozenKind.EMBEDDINGS))));
        assertTrue(frozenPost.getMessage().contains("norm_placement=post with a frozen model"), frozenPost.getMessage());
        InvalidInputException dense = assertThrows(InvalidInputException.class,
                () -> new Experts(0, 0, true, 0, new DenseLayers(List.of(0L), 32)));
        assertTrue(dense.getMessage().startsWith("--dense-layers 0 without experts"), dense.getMessage());
    }
}
