package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** QK-norm: an RMSNorm over each head's queries and keys, counted by hand. */
class QkNormTest {
    /** (V, T, L, d, h, d_ff, B) = (7, 3, 2, 8, 4, 6, 2), h_kv = 2: d_k = 2, N = 6; 824 parameters without it. */
    private static final Shape PLAIN = new Shape(7, 3, 2, 8, 4, 6, 2, new Architecture(2, false));
    private static final Shape NORMED = PLAIN.withArchitecture(new Architecture(2, false, LinearBias.NONE,
            Architecture.HEAD_DIM_FROM_WIDTH, true));

    /** Two gains of d_k a block; the norms' input and a reciprocal RMS per head and row kept. */
    @Test
    void gainsAndKeptRows() {
        assertEquals(824 + 2 * 2 * 2, ParameterTensor.total(NORMED));
        assertEquals(0, ParameterTensor.QUERY_NORM_GAIN.instances(PLAIN));
        assertEquals(6 * 8, KeptActivation.QUERY_PRE_NORM.elements(NORMED), "N x h*d_k");
        assertEquals(6 * 4, KeptActivation.KEY_PRE_NORM.elements(NORMED), "N x h_kv*d_k");
        assertEquals(6 * 4, KeptActivation.QUERY_NORM_RMS.elements(NORMED), "one per head and row");
        assertEquals(6 * 2, KeptActivation.KEY_NORM_RMS.elements(NORMED));
        assertEquals(KeptActivation.totalFloats(PLAIN) + 2 * (48 + 24 + 24 + 12), KeptActivation.totalFloats(NORMED));
        assertEquals(0, KeptActivation.QUERY_PRE_NORM.instances(PLAIN));
        assertEquals(1, WorkspaceBuffer.QUERY_PRE_NORM_GRADIENT.instances(NORMED));
        assertEquals(0, WorkspaceBuffer.KEY_PRE_NORM_GRADIENT.instances(PLAIN));
        Shape full = NORMED.withSettings(new Settings(PrecisionPolicy.FP32, AttentionKernel.EAGER, Recompute.FULL));
        assertEquals(0, KeptActivation.QUERY_PRE_NORM.instances(full), "full recomputation drops the block's rows");
        assertEquals(1, KeptActivation.QUERY_PRE_NORM.recomputeInstances(full), "and rebuilds them in one buffer");
    }

    /**
     * RMSNorm over 24 query rows and 12 key rows of 2: forward 24*(4*2 + 4) + 12*(4*2 + 4) = 432,
     * backward 24*(11*2 + 4) + 12*(11*2 + 4) = 936, in the QKV projections' component.
     */
    @Test
    void flopsInTheQkvComponent() {
        assertEquals(BigInteger.valueOf(432), ElementwiseFlops.forward(Component.QKV_PROJECTION, NORMED));
        assertEquals(BigInteger.valueOf(936), ElementwiseFlops.backward(Component.QKV_PROJECTION, NORMED));
        assertEquals(BigInteger.ZERO, ElementwiseFlops.forward(Component.QKV_PROJECTION, PLAIN));
        assertEquals(MatmulFlops.forward(Component.QKV_PROJECTION, PLAIN),
                MatmulFlops.forward(Component.QKV_PROJECTION, NORMED), "a norm is no matmul");
        long forwardCalls = OverheadTraffic.of(NORMED).stream().filter(t -> t.opClass().equals(OverheadTraffic.QK_NORM)
                && t.pass().equals("forward")).mapToLong(OverheadTraffic.Traffic::calls).sum();
        assertEquals(4, forwardCalls, "a query and a key norm a block");
        OverheadTraffic.Traffic backward = OverheadTraffic.of(NORMED).stream()
                .filter(t -> t.opClass().equals(OverheadTraffic.QK_NORM) && t.pass().equals("backward")).findFirst()
                .orElseThrow();
        // per block: Q's R = 24 rows and K's 12 of d_k = 2: 4*(7*R*d_k + 2*R + 3*d_k) moved, 4*(3*R*d_k + R + 2*d_k)
        // occupied
        assertEquals(BigInteger.valueOf(2 * 4 * (7 * 48 + 2 * 24 + 6 + 7 * 24 + 2 * 12 + 6)), backward.bytes());
        assertEquals(BigInteger.valueOf(2 * 4 * (3 * 48 + 24 + 4 + 3 * 24 + 12 + 4)), backward.footprint());
        assertEquals(12, backward.calls(), "zeroing, rows and gain columns, for Q and K, in each of 2 blocks");
    }

    /**
     * Over each whole projection (OLMo 2's): gains of h*d_k = 8 and h_kv*d_k = 4 a block, one reciprocal
     * RMS per row (6 each); RMSNorm over 6 rows of 8 and 6 of 4: forward 6*(4*8 + 4) + 6*(4*4 + 4) = 336,
     * backward 6*(11*8 + 4) + 6*(11*4 + 4) = 840.
     */
    @Test
    void overEachWholeProjection() {
        Shape projection = PLAIN.withArchitecture(PLAIN.architecture().withNorms(NormPlacement.PRE, QkNorm.PROJECTION));
        assertEquals(824 + 2 * (8 + 4), ParameterTensor.total(projection));
        assertEquals(8, ParameterTensor.QUERY_NORM_GAIN.elements(projection));
        assertEquals(6, KeptActivation.QUERY_NORM_RMS.elements(projection), "one per row");
        assertEquals(6, KeptActivation.KEY_NORM_RMS.elements(projection));
        assertEquals(KeptActivation.totalFloats(PLAIN) + 2 * (48 + 24 + 6 + 6), KeptActivation.totalFloats(projection));
        assertEquals(BigInteger.valueOf(336), ElementwiseFlops.forward(Component.QKV_PROJECTION, projection));
        assertEquals(BigInteger.valueOf(840), ElementwiseFlops.backward(Component.QKV_PROJECTION, projection));
        assertEquals("V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 qk_norm=projection", projection.describe());
        assertEquals(projection, ShapeKey.parse(projection.describe()));
    }

    /**
     * The pytorch profile (checked by the probe): each QK-norm is an RMSNorm, its input, square and
     * normalized rows saved with one rsqrt a normalized row: per block the queries' 48 + 48 + 24 + 48 and
     * the keys' 24 + 24 + 12 + 24 floats per head, or 48 + 48 + 6 + 48 and 24 + 24 + 6 + 24 over each
     * projection; 4 bytes each, two blocks.
     */
    @Test
    void thePytorchProfileSavesEachNormsRows() {
        assertTrue(TorchSavedTensor.covers(NORMED));
        Shape projection = PLAIN.withArchitecture(PLAIN.architecture().withNorms(NormPlacement.PRE, QkNorm.PROJECTION));
        assertEquals(TorchSavedTensor.savedBytes(PLAIN) + 2 * 4 * (48 + 48 + 24 + 48 + 24 + 24 + 12 + 24), TorchSavedTensor.savedBytes(NORMED));
        assertEquals(TorchSavedTensor.savedBytes(PLAIN) + 2 * 4 * (48 + 48 + 6 + 48 + 24 + 24 + 6 + 24), TorchSavedTensor.savedBytes(projection));
    }

    @Test
    void describedAndParsedBack() {
        assertEquals("V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 qk_norm", NORMED.describe());
        assertEquals(NORMED, ShapeKey.parse(NORMED.describe()));
        assertTrue(!NORMED.seedArchitecture());
    }
}
