package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A sliding window as long as the context changes no count; a shorter one masks the keys before it
 * under eager attention, and is refused under flash.
 */
class SlidingWindowTest {
    private static final Shape PLAIN = new Shape(7, 6, 2, 8, 4, 6, 2, new Architecture(2, true));

    private static Shape windowed(long window, long context) {
        return new Shape(7, context, 2, 8, 4, 6, 2, new Architecture(2, true, LinearBias.NONE,
                Architecture.HEAD_DIM_FROM_WIDTH, false, window));
    }

    /** w = T and w > T: every key within reach, so every count of every accounting is the windowless one. */
    @Test
    void aWindowAtLeastTheContextChangesNoCount() {
        for (long window : new long[] {6, 7, 100}) {
            Shape shape = windowed(window, 6);
            for (Accounting accounting : Accounting.values()) {
                Prediction with = accounting.predict(shape);
                Prediction without = accounting.predict(PLAIN);
                assertEquals(without.parameters(), with.parameters(), accounting + " w=" + window);
                assertEquals(without.memory(), with.memory(), accounting + " w=" + window);
                assertEquals(without.flops(), with.flops(), accounting + " w=" + window);
            }
            assertEquals(shape, ShapeKey.parse(shape.describe()), shape.describe());
        }
        assertEquals("V=7 T=6 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 tied window=6", windowed(6, 6).describe());
        String note = Diff.between(windowed(6, 6), Capacity.of(1, Capacity.Unit.GB, "--memory-gb"), null).stream()
                .filter(term -> term.term().equals("parameters")).findFirst().orElseThrow().note();
        assertTrue(note.contains("no sliding window, RMSNorm, no position table and SwiGLU, this shape has h_kv = 2,"
                + " a tied head, a sliding window of 6 (the whole context)"), note);
    }

    /**
     * w = 5 &lt; T = 6 under eager attention: the last query attends to 5 keys, not 6, so each head's
     * softmax has 20 unmasked entries, not 21: 6 FLOPs fewer forward, 5 backward, over the B*h = 8
     * heads of each block (a component's FLOPs are per instance). The T x T square is still computed
     * (the same matmul FLOPs) and kept (the same memory); flash masks the same entries in its tiles.
     */
    @Test
    void aWindowShorterThanTheContextMasksTheSquareUnderEitherKernel() {
        Shape shape = windowed(5, 6);
        assertEquals(5, shape.attentionSpan());
        assertEquals(6, PLAIN.attentionSpan());
        Prediction with = Accounting.COMPLETE.predict(shape);
        Prediction without = Accounting.COMPLETE.predict(PLAIN);
        assertEquals(without.parameters(), with.parameters());
        assertEquals(without.memory(), with.memory());
        assertEquals(without.flops().step(), with.flops().step());
        assertEquals(ElementwiseFlops.forward(Component.ATTENTION_SOFTMAX, PLAIN).subtract(
                java.math.BigInteger.valueOf(8 * 6)), ElementwiseFlops.forward(Component.ATTENTION_SOFTMAX, shape));
        assertEquals(ElementwiseFlops.backward(Component.ATTENTION_SOFTMAX, PLAIN).subtract(
                java.math.BigInteger.valueOf(8 * 5)), ElementwiseFlops.backward(Component.ATTENTION_SOFTMAX, shape));
        assertEquals(java.math.BigInteger.valueOf(6 * 20 + 6), ElementwiseFlops.causalSoftmaxForward(6, 5));
        assertEquals(TorchSavedTensor.savedBytes(PLAIN), TorchSavedTensor.savedBytes(shape),
                "PyTorch's eager attention masks the same T x T square");
        // flash masks the same entries in its tiles: 5 FLOPs fewer an entry forward, 6 backward, a head
        Settings flash = new Settings(PrecisionPolicy.FP32, AttentionKernel.FLASH, Recompute.NONE);
        assertEquals(ElementwiseFlops.forward(Component.ATTENTION_SOFTMAX, PLAIN.withSettings(flash)).subtract(
                java.math.BigInteger.valueOf(8 * 5)), ElementwiseFlops.forward(Component.ATTENTION_SOFTMAX,
                        shape.withSettings(flash)));
        assertEquals(ElementwiseFlops.backward(Component.ATTENTION_SOFTMAX, PLAIN.withSettings(flash)).subtract(
                java.math.BigInteger.valueOf(8 * 6)), ElementwiseFlops.backward(Component.ATTENTION_SOFTMAX,
                        shape.withSettings(flash)));
        assertThrows(InvalidInputException.class, () -> windowed(-1, 6));
    }
    /**
     * A window on the local layers only (Gemma 2's pattern of 2, three layers: layer 1 global): the
     * softmax of the two local layers over min(i + 1, 2) keys, 6*(3 + 4*2) + 6 = 72 FLOPs a head forward,
     * the global layer's over every earlier key, 6*21 + 6 = 132; B*h = 8 heads a layer. The same square is
     * kept, so memory is the windowless model's.
     */
    @Test
    void aWindowPatternLeavesEveryKthLayerGlobal() {
        Shape plain = new Shape(7, 6, 3, 8, 4, 6, 2, new Architecture(4, false));
        Shape patterned = plain.withArchitecture(plain.architecture().withWindow(2, 2));
        assertEquals(2, Component.ATTENTION_SOFTMAX.instances(patterned));
        assertEquals(1, Component.ATTENTION_SOFTMAX_GLOBAL.instances(patterned));
        assertEquals(0, Component.ATTENTION_SOFTMAX_GLOBAL.instances(plain));
        assertEquals(java.math.BigInteger.valueOf(8 * 72), ElementwiseFlops.forward(Component.ATTENTION_SOFTMAX,
                patterned));
        assertEquals(java.math.BigInteger.valueOf(8 * 132), ElementwiseFlops.forward(
                Component.ATTENTION_SOFTMAX_GLOBAL, patterned));
        assertEquals(ElementwiseFlops.forward(Component.ATTENTION_SOFTMAX, plain),
                ElementwiseFlops.forward(Component.ATTENTION_SOFTMAX_GLOBAL, patterned));
        assertEquals(CompleteAccounting.predict(plain).memory(), CompleteAccounting.predict(patterned).memory());
        assertEquals(CompleteAccounting.predict(plain).flops().forward(),
                CompleteAccounting.predict(patterned).flops().forward(), "the same squares' matmuls");
        assertTrue(patterned.architecture().globalLayer(1));
        assertTrue(!patterned.architecture().globalLayer(0) && !patterned.architecture().globalLayer(2));
        assertEquals("V=7 T=6 L=3 d=8 h=4 d_ff=6 B=2 window=2 window_pattern=2", patterned.describe());
        assertEquals(patterned, ShapeKey.parse(patterned.describe()));
        assertEquals("window_pattern 1 must be at least 2 (every k-th layer global; none for the window on every"
                + " layer)", assertThrows(InvalidInputException.class,
                        () -> plain.architecture().withWindow(2, 1)).getMessage());
        assertEquals("window_pattern 2 needs a sliding window (allowed: give sliding_window, or no pattern)",
                assertThrows(InvalidInputException.class,
                        () -> plain.architecture().withWindow(Architecture.NO_WINDOW, 2)).getMessage());
    }
}
