package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** Learned position embeddings: a P x d table, an add per element each way, counted by hand. */
class PositionsTest {
    /** (V, T, L, d, h, d_ff, B) = (7, 3, 2, 8, 4, 6, 2): N = 6, 952 parameters without a table. */
    private static final Shape ROTARY = new Shape(7, 3, 2, 8, 4, 6, 2);
    private static final Shape LEARNED = positioned(5, 3);

    private static Shape positioned(long rows, long context) {
        return new Shape(7, context, 2, 8, 4, 6, 2, new Architecture(4, false, LinearBias.NONE, 0, false, 0,
                NormKind.RMS, rows));
    }

    @Test
    void aTableOfPRowsAndAnAddPerElementEachWay() {
        assertEquals(952 + 5 * 8, ParameterTensor.total(LEARNED), "P x d once, whatever the context");
        assertEquals(0, ParameterTensor.POSITION_EMBEDDING_WEIGHT.instances(ROTARY));
        assertEquals(BigInteger.valueOf(6 * 8), ElementwiseFlops.forward(Component.TOKEN_EMBEDDING, LEARNED));
        assertEquals(BigInteger.valueOf(2 * 6 * 8), ElementwiseFlops.backward(Component.TOKEN_EMBEDDING, LEARNED),
                "the token table's scatter-add and the positions'");
        assertEquals(BigInteger.ZERO, ElementwiseFlops.forward(Component.TOKEN_EMBEDDING, ROTARY));
        assertEquals(KeptActivation.totalFloats(ROTARY), KeptActivation.totalFloats(LEARNED), "it keeps nothing");
        // ids, token rows read, output written, and the table's T rows: 4*(N + 2*N*d + T*d)
        assertEquals(BigInteger.valueOf(4 * (6 + 96 + 24)), MinimumTraffic.forward(Component.TOKEN_EMBEDDING, LEARNED));
        assertEquals(TorchSavedTensor.savedBytes(ROTARY) + 3 * 8, TorchSavedTensor.savedBytes(LEARNED),
                "autograd saves the T positions' int64 indices");
    }

    @Test
    void aContextPastTheTableIsRefused() {
        assertEquals("V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 positions=5", LEARNED.describe());
        assertEquals(LEARNED, ShapeKey.parse(LEARNED.describe()));
        assertEquals(positioned(3, 3), ShapeKey.parse(positioned(3, 3).describe()));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> positioned(2, 3));
        assertEquals("context_length 3 is longer than the 2 learned positions: a position past the table has no"
                + " embedding (allowed: a context of at most 2)", e.getMessage());
    }
}
