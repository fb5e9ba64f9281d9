package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seed's GPT-2 XL numbers, to every digit it prints (seed/000_1c9cf4390ff92cbc.txt). */
class SeedAccountingTest {
    private static final Shape XL = Preset.SEED_GPT2_XL.shape(1);
    private static final Shape XL_1024 = Preset.SEED_GPT2_XL.shape(1024);

    @Test
    void gpt2XlSeedMemoryIs3_985261568e9PerBatchPlus8_1865856e9Floats() {
        MemoryPolynomial polynomial = SeedAccounting.predict(XL).memory().polynomial();
        assertEquals(8_186_585_600L * 4, polynomial.fixedBytes());
        assertEquals(3_985_261_568L * 4, polynomial.perBatchElementBytes());
    }

    @Test
    void gpt2XlSeedBytesAre3_27463424e10Plus1_59410463e10PerBatch() {
        MemoryPolynomial polynomial = SeedAccounting.predict(XL).memory().polynomial();
        assertEquals(32_746_342_400L, polynomial.fixedBytes());
        assertEquals(15_941_046_272L, polynomial.perBatchElementBytes());
    }

    @Test
    void largestSeedBatchOn80GbIs2From2_964() {
        MemoryPolynomial.BatchFit fit = SeedAccounting.predict(XL)
                .fit(Capacity.of(80, Capacity.Unit.GB, "--memory-gb"));
        assertEquals(80_000_000_000L, fit.capacity().bytes());
        assertEquals(2, fit.batchSize());
        // (80e9 - 32,746,342,400) / 15,941,046,272, exact to the double; the seed prints 2.964
        assertEquals(47_253_657_600.0 / 15_941_046_272.0, fit.fractional(), 0.0);
        assertEquals("2.964", String.format(java.util.Locale.ROOT, "%.3f", fit.fractional()));
    }

    @Test
    void seedForwardFlopsAre9_05969664e10PerSequenceAnd9_27712936e13AtB1024() {
        assertEquals(new BigInteger("90596966400"), SeedAccounting.predict(XL).flops().forward());
        assertEquals(new BigInteger("92771293593600"), SeedAccounting.predict(XL_1024).flops().forward());
    }

    @Test
    void seedForwardPlusBackwardIs2_78313881e14AndTheRun1_11325552e20() {
        FlopTotals flops = SeedAccounting.predict(XL_1024).flops();
        assertEquals(new BigInteger("185542587187200"), flops.backward());
        assertEquals(new BigInteger("278313880780800"), flops.step());
        assertEquals(new BigInteger("111325552312320000000"), flops.step().multiply(BigInteger.valueOf(400_000)));
    }

    @Test
    void seedCountsNoElementwiseOptimizerOrWorkspace() {
        Prediction seed = SeedAccounting.predict(XL);
        assertNull(seed.flops().elementwise());
        assertNull(seed.flops().optimizer());
        assertNull(seed.memory().workspaceBytes());
    }

    @Test
    void seedFormulaIsItsBlockRowsTakenOnceWithoutTheLmHead() {
        for (Shape shape : List.of(XL, new Shape(7, 3, 2, 6, 3, 10, 2), new Shape(101, 5, 1, 4, 2, 9, 3))) {
            Prediction seed = SeedAccounting.predict(shape);
            BigInteger sumOfRowsOnce = BigInteger.ZERO;
            for (ComponentRow row : seed.components()) {
                sumOfRowsOnce = sumOfRowsOnce.add(row.forwardFlops());
            }
            assertEquals(sumOfRowsOnce, seed.flops().forward(), shape.describe());
        }
    }

    @Test
    void seedBlockMemoryIsItsPrintedSumWhenDffIs4d() {
        // 18*B*T*d + 8d + 64d^2 + 2*B*h*T^2 per block; + B*T*d + 4d + B*T*V + 4*V*d outside
        Shape shape = new Shape(11, 3, 2, 8, 2, 32, 5);
        long b = 5, t = 3, d = 8, h = 2, v = 11, l = 2;
        long expectedFloats = l * (18 * b * t * d + 8 * d + 64 * d * d + 2 * b * h * t * t) + b * t * d + 4 * d
                + b * t * v + 4 * v * d;
        assertEquals(expectedFloats * 4, SeedAccounting.predict(shape).memory().totalBytes());
    }

    @Test
    void seedRowsAreWrittenWithDffWhenItIsNot4d() {
        // d_ff = 9, not 4d = 16: W1 and W3 rows each B*T*d_ff activations and d*d_ff parameters
        Shape shape = new Shape(5, 2, 1, 4, 2, 9, 1);
        ComponentRow w1 = SeedAccounting.predict(shape).components().stream()
                .filter(r -> r.component() == Component.FFN_W1).findFirst().orElseThrow();
        assertEquals(36, w1.parameters());
        assertEquals(18, w1.activationFloats());
        assertEquals(BigInteger.valueOf(2 * 2 * 4 * 9), w1.forwardFlops());
        // seed parameters: V*d + L*(4d^2 + 3*d*d_ff + 2d) + d = 20 + (64 + 108 + 8) + 4
        assertEquals(204, SeedAccounting.predict(shape).parameters());
    }

    @Test
    void seedHasEveryComponentRowButTheTokenEmbedding() {
        List<Component> seen = SeedAccounting.predict(XL).components().stream().map(ComponentRow::component).toList();
        assertEquals(List.of(Component.RMSNORM, Component.QKV_PROJECTION, Component.ATTENTION_SCORES,
                Component.ATTENTION_SOFTMAX, Component.ATTENTION_WEIGHTED_SUM, Component.OUTPUT_PROJECTION,
                Component.FFN_W1, Component.FFN_W3, Component.FFN_SILU, Component.FFN_W2, Component.FINAL_RMSNORM,
                Component.OUTPUT_EMBEDDING, Component.CROSS_ENTROPY), seen);
    }
}
