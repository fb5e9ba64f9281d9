package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class MatmulFlopsTest {
    // B=2 T=3 d=4 h=2 d_ff=5 V=7: 2*B*T = 12
    private static final Shape SHAPE = new Shape(7, 3, 1, 4, 2, 5, 2);

    @Test
    void eachComponentIsTwoMnkOfItsMatmuls() {
        assertEquals(BigInteger.valueOf(12 * 4 * 12), MatmulFlops.forward(Component.QKV_PROJECTION, SHAPE));
        // h heads of (T x d_k)(d_k x T): 2 * B * h * T * T * d_k = 2*2*2*3*3*2 = 144 = 12*4*3
        assertEquals(BigInteger.valueOf(144), MatmulFlops.forward(Component.ATTENTION_SCORES, SHAPE));
        assertEquals(BigInteger.valueOf(144), MatmulFlops.forward(Component.ATTENTION_WEIGHTED_SUM, SHAPE));
        assertEquals(BigInteger.valueOf(12 * 16), MatmulFlops.forward(Component.OUTPUT_PROJECTION, SHAPE));
        assertEquals(BigInteger.valueOf(12 * 20), MatmulFlops.forward(Component.FFN_W1, SHAPE));
        assertEquals(BigInteger.valueOf(12 * 20), MatmulFlops.forward(Component.FFN_W2, SHAPE));
        assertEquals(BigInteger.valueOf(12 * 28), MatmulFlops.forward(Component.OUTPUT_EMBEDDING, SHAPE));
    }

    @Test
    void groupedQueryAttentionNarrowsKeyAndValueOnly() {
        // d = 64, h = 8, d_k = 8, h_kv = 2: K and V are 64 x 16, so QKV is 2*N*64*(64 + 32)
        Shape mha = new Shape(100, 16, 2, 64, 8, 256, 3);
        Shape gqa = mha.withArchitecture(new Architecture(2, false));
        long n = 3 * 16;
        assertEquals(BigInteger.valueOf(2 * n * 64 * (64 + 2 * 16)), MatmulFlops.forward(Component.QKV_PROJECTION, gqa));
        assertEquals(BigInteger.valueOf(2 * n * 64 * 3 * 64), MatmulFlops.forward(Component.QKV_PROJECTION, mha));
        assertEquals("2*B*T*d*(d + 2*h_kv*d_k)", MatmulFlops.formula(Component.QKV_PROJECTION, gqa));
        assertEquals("2*B*T*d*3d", MatmulFlops.formula(Component.QKV_PROJECTION, mha));
        for (Component component : Component.values()) {
            if (component != Component.QKV_PROJECTION) {
                assertEquals(MatmulFlops.forward(component, mha), MatmulFlops.forward(component, gqa),
                        component.name());
            }
        }
    }

    @Test
    void componentsWithoutMatmulsHaveNone() {
        for (Component component : new Component[] {Component.TOKEN_EMBEDDING, Component.RMSNORM,
                Component.ATTENTION_SOFTMAX, Component.FFN_SILU, Component.FINAL_RMSNORM, Component.CROSS_ENTROPY}) {
            assertEquals(BigInteger.ZERO, MatmulFlops.forward(component, SHAPE), component.name());
            assertEquals("0", MatmulFlops.formula(component, SHAPE));
        }
    }

    @Test
    void frontierScaleStepPasses2To63WithoutOverflow() {
        // 2048 sequences of 8192 tokens through a 126-block, d = 16384 model: about 1.9e19 FLOPs a step
        Shape frontier = new Shape(256_000, 8192, 126, 16_384, 128, 53_248, 2048);
        BigInteger n = BigInteger.valueOf(2048L * 8192);
        BigInteger d = BigInteger.valueOf(16_384);
        BigInteger perBlock = BigInteger.TWO.multiply(n).multiply(d).multiply(BigInteger.valueOf(
                4L * 16_384 + 2L * 8192 + 3L * 53_248));
        BigInteger lmHead = BigInteger.TWO.multiply(n).multiply(d).multiply(BigInteger.valueOf(256_000));
        BigInteger forward = perBlock.multiply(BigInteger.valueOf(126)).add(lmHead);
        BigInteger step = CompleteAccounting.predict(frontier).flops().step();
        assertEquals(forward.multiply(BigInteger.valueOf(3)), step);
        assertEquals(1, step.compareTo(BigInteger.valueOf(Long.MAX_VALUE)));
    }
}
