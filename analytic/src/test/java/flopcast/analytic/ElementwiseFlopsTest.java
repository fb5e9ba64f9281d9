package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** Each kernel's count, worked out by hand from its loop description. */
class ElementwiseFlopsTest {

    @Test
    void rmsnormRowOfWidthThreeIs16ForwardAnd37Backward() {
        // forward: 3 squares + 3 adds, /d, +eps, sqrt, 1/x, 3*(x*r*g = 2) = 6 + 4 + 6
        assertEquals(BigInteger.valueOf(16), ElementwiseFlops.rmsnormForward(1, 3));
        // backward: 3*6 + 4 + 3*5
        assertEquals(BigInteger.valueOf(37), ElementwiseFlops.rmsnormBackward(1, 3));
        assertEquals(BigInteger.valueOf(5 * 37), ElementwiseFlops.rmsnormBackward(5, 3));
    }

    @Test
    void causalSoftmaxCountsOnlyUnmaskedEntries() {
        // T = 2: row 0 has 1 entry (6*1 + 1), row 1 has 2 (6*2 + 1)
        assertEquals(BigInteger.valueOf(7 + 13), ElementwiseFlops.causalSoftmaxForward(2));
        // backward: 5 per unmasked entry: 5*(1 + 2)
        assertEquals(BigInteger.valueOf(15), ElementwiseFlops.causalSoftmaxBackward(2));
        // T = 3: 7 + 13 + 19; 5*(1 + 2 + 3)
        assertEquals(BigInteger.valueOf(39), ElementwiseFlops.causalSoftmaxForward(3));
        assertEquals(BigInteger.valueOf(30), ElementwiseFlops.causalSoftmaxBackward(3));
    }

    @Test
    void crossEntropyRowOfFourLogits() {
        // forward, 2 rows of V=4: per row 5*4 + 5 = 25, plus the mean's divide
        assertEquals(BigInteger.valueOf(51), ElementwiseFlops.crossEntropyForward(2, 4));
        // backward: 1/N once, per row p_t - 1 and 4 scalings
        assertEquals(BigInteger.valueOf(11), ElementwiseFlops.crossEntropyBackward(2, 4));
    }

    @Test
    void swigluIsFiveForwardAndElevenBackwardPerElement() {
        assertEquals(BigInteger.valueOf(35), ElementwiseFlops.swigluForward(7));
        assertEquals(BigInteger.valueOf(77), ElementwiseFlops.swigluBackward(7));
    }

    @Test
    void componentTotalsCombineForwardAndBackward() {
        Shape shape = new Shape(4, 2, 1, 3, 1, 5, 2); // N = 4 rows
        assertEquals(BigInteger.valueOf(4 * (16 + 37)), ElementwiseFlops.perInstance(Component.RMSNORM, shape));
        assertEquals(BigInteger.valueOf(2 * (20 + 15)), ElementwiseFlops.perInstance(Component.ATTENTION_SOFTMAX, shape));
        assertEquals(BigInteger.valueOf(16 * 4 * 5), ElementwiseFlops.perInstance(Component.FFN_SILU, shape));
        assertEquals(BigInteger.valueOf(12), ElementwiseFlops.perInstance(Component.OUTPUT_PROJECTION, shape));
        assertEquals(BigInteger.valueOf(12), ElementwiseFlops.perInstance(Component.TOKEN_EMBEDDING, shape));
        // 4 rows, V = 4: (4*25 + 1) + (4*5 + 1)
        assertEquals(BigInteger.valueOf(122), ElementwiseFlops.perInstance(Component.CROSS_ENTROPY, shape));
        assertEquals(BigInteger.ZERO, ElementwiseFlops.perInstance(Component.QKV_PROJECTION, shape));
    }

    /**
     * Flash attention of one head, by hand. T = 5, d_k = 2, one tile: forward 5*15 + 5*1*(4 + 4) +
     * 5*(3 + 2) = 140, backward 2*5*2 + 6*15 + 3*5*1*2 = 140. T = 67, two tiles (64 and 3):
     * 67*68/2 = 2278 unmasked entries; forward 5*2278 + 67*2*8 + 67*5 = 12797, backward
     * 2*67*2 + 6*2278 + 3*67*2*2 = 14740.
     */
    @org.junit.jupiter.api.Test
    void flashAttentionByHand() {
        assertEquals(java.math.BigInteger.valueOf(140), ElementwiseFlops.flashForward(5, 2, 64));
        assertEquals(java.math.BigInteger.valueOf(140), ElementwiseFlops.flashBackward(5, 2, 64));
        assertEquals(java.math.BigInteger.valueOf(12797), ElementwiseFlops.flashForward(67, 2, 64));
        assertEquals(java.math.BigInteger.valueOf(14740), ElementwiseFlops.flashBackward(67, 2, 64));
    }
}
