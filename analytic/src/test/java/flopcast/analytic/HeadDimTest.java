package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** d_k given apart from d / h: Q and the attention output h*d_k wide, counted by hand. */
class HeadDimTest {
    /** (V, T, L, d, h, d_ff, B) = (7, 3, 2, 8, 4, 6, 2), h_kv = 2, d_k = 3: h*d_k = 12 where d = 8; N = 6. */
    private static final Shape OWN = new Shape(7, 3, 2, 8, 4, 6, 2, new Architecture(2, false, LinearBias.NONE, 3));

    /**
     * Per block: Q 8 x 12 = 96, K and V 8 x 6 = 48 each, the output projection 12 x 8 = 96, the MLP
     * 3 x 48 = 144, the norms 16: 448; two blocks, the embedding and head 2 x 56 and the final norm 8.
     */
    @Test
    void parametersFollowTheHeadWidth() {
        assertEquals(3, OWN.headDim());
        assertEquals(12, OWN.queryWidth());
        assertEquals(6, OWN.kvWidth());
        assertEquals(112 + 2 * 448 + 8, ParameterTensor.total(OWN));
        assertEquals(112 + 2 * 448 + 8, CompleteAccounting.predict(OWN).parameters());
        assertEquals(8 * 12, ParameterTensor.QUERY_WEIGHT.elements(OWN));
        assertEquals(12 * 8, ParameterTensor.OUTPUT_WEIGHT.elements(OWN));
    }

    /** QKV 2*N*d*(h*d_k + 2*h_kv*d_k), the heads 2*N*h*d_k*T each, the output projection 2*N*h*d_k*d. */
    @Test
    void matmulsAndKeptRowsFollowTheHeadWidth() {
        assertEquals(BigInteger.valueOf(2 * 6 * 8 * (12 + 12)), MatmulFlops.forward(Component.QKV_PROJECTION, OWN));
        assertEquals(BigInteger.valueOf(2 * 6 * 12 * 3), MatmulFlops.forward(Component.ATTENTION_SCORES, OWN));
        assertEquals(BigInteger.valueOf(2 * 6 * 12 * 3), MatmulFlops.forward(Component.ATTENTION_WEIGHTED_SUM, OWN));
        assertEquals(BigInteger.valueOf(2 * 6 * 12 * 8), MatmulFlops.forward(Component.OUTPUT_PROJECTION, OWN));
        assertEquals("2*B*T*d*(h*d_k + 2*h_kv*d_k)", MatmulFlops.formula(Component.QKV_PROJECTION, OWN));
        assertEquals("2*B*T*h*d_k*T", MatmulFlops.formula(Component.ATTENTION_SCORES, OWN));
        assertEquals(6 * 12, KeptActivation.QUERY.elements(OWN));
        assertEquals(6 * 12, KeptActivation.ATTENTION_OUTPUT.elements(OWN));
        assertEquals(6 * 6, KeptActivation.KEY.elements(OWN));
        assertEquals(6 * 12, WorkspaceBuffer.QUERY_GRADIENT.elements(OWN));
        assertEquals(3 * 3, WorkspaceBuffer.HEAD_QUERY.elements(OWN), "one head's T x d_k");
        // Q's and the output's N x h*d_k, K's N x h_kv*d_k, read once; S written: 4*(72 + 36 + B*h*T*T)
        assertEquals(BigInteger.valueOf(4 * (72 + 36 + 2 * 4 * 9)), MinimumTraffic.forward(Component.ATTENTION_SCORES,
                OWN));
        assertEquals(BigInteger.valueOf(4 * (6 * 12 + 12 * 8 + 6 * 8)),
                MinimumTraffic.forward(Component.OUTPUT_PROJECTION, OWN), "X, W in, Y out, X h*d_k wide");
    }

    /**
     * d need not be a multiple of h once d_k is given; d / h given is the default's value, and
     * describe() writes d_k= only for a width of its own.
     */
    @Test
    void theHeadWidthFreesTheModelWidthAndIsWrittenOnlyWhereItIsItsOwn() {
        Shape ragged = new Shape(7, 3, 2, 10, 4, 6, 2, new Architecture(4, false, LinearBias.NONE, 3));
        assertEquals(12, ragged.queryWidth());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> new Shape(7, 3, 2, 10, 4, 6, 2));
        assertTrue(e.getMessage().endsWith("unless head_dim gives d_k"), e.getMessage());
        Shape given = new Shape(7, 3, 2, 8, 4, 6, 2, new Architecture(4, false, LinearBias.NONE, 2));
        assertEquals(new Shape(7, 3, 2, 8, 4, 6, 2), given, "d_k = d / h given is the default");
        assertEquals("V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 d_k=3", OWN.describe());
        assertEquals(OWN, ShapeKey.parse(OWN.describe()));
        assertEquals(ragged, ShapeKey.parse(ragged.describe()));
        assertTrue(!OWN.seedArchitecture());
        assertThrows(InvalidInputException.class, () -> new Architecture(4, false, LinearBias.NONE, -1));
        InvalidInputException seed = assertThrows(InvalidInputException.class, () -> Accounting.SEED.predict(ragged));
        assertEquals("the seed accounting takes d_k = d_model / num_heads, and d_model 10 is not divisible by num_heads"
                + " 4 (this shape's d_k is its head_dim 3): use the complete accounting", seed.getMessage());
    }
}
