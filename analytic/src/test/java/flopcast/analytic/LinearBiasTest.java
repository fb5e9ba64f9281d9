package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Biases as rows of the parameter table: counts by hand, FLOPs by hand, the seed's model untouched. */
class LinearBiasTest {
    /** (V, T, L, d, h, d_ff, B) = (7, 3, 2, 8, 4, 6, 2): d_k = 2, N = B*T = 6; 952 parameters unbiased. */
    private static final Shape PLAIN = new Shape(7, 3, 2, 8, 4, 6, 2);

    private static Shape biased(LinearBias bias, long kvHeads) {
        return PLAIN.withArchitecture(new Architecture(kvHeads, false, bias));
    }

    /**
     * qkv: each block adds d + 2*h_kv*d_k = 8 + 16 (h_kv = 4) or 8 + 8 (h_kv = 2) values;
     * all: 3d + 2*h_kv*d_k + 2*d_ff = 24 + 16 + 12 more; two blocks.
     */
    @Test
    void biasesAddTheirWidthsPerBlock() {
        assertEquals(952, ParameterTensor.total(PLAIN));
        assertEquals(952 + 2 * 24, ParameterTensor.total(biased(LinearBias.QKV, 4)));
        assertEquals(824 + 2 * 16, ParameterTensor.total(biased(LinearBias.QKV, 2)), "GQA: K and V biases h_kv*d_k");
        assertEquals(952 + 2 * (24 + 16 + 12), ParameterTensor.total(biased(LinearBias.ALL, 4)));
        assertEquals(ParameterTensor.total(biased(LinearBias.ALL, 4)),
                CompleteAccounting.predict(biased(LinearBias.ALL, 4)).parameters(), "the prediction counts the rows");
        for (ParameterTensor row : ParameterTensor.values()) {
            if (row.isBias()) {
                assertEquals(0, row.instances(PLAIN), row + " is no row of an unbiased model");
            }
        }
        assertEquals(List.of(ParameterTensor.QUERY_BIAS, ParameterTensor.KEY_BIAS, ParameterTensor.VALUE_BIAS),
                ParameterTensor.biasesOf(Component.QKV_PROJECTION));
    }

    /** One add per output element forward and one per gradient element backward, in the projection's component. */
    @Test
    void biasFlopsBelongToTheirProjection() {
        Shape qkv = biased(LinearBias.QKV, 2);
        assertEquals(BigInteger.valueOf(6 * 16), ElementwiseFlops.forward(Component.QKV_PROJECTION, qkv));
        assertEquals(BigInteger.valueOf(6 * 16), ElementwiseFlops.backward(Component.QKV_PROJECTION, qkv));
        assertEquals(BigInteger.valueOf(6 * 8), ElementwiseFlops.forward(Component.OUTPUT_PROJECTION, qkv),
                "the residual add alone: qkv leaves the output projection unbiased");
        Shape all = biased(LinearBias.ALL, 4);
        assertEquals(BigInteger.valueOf(6 * 8 + 6 * 8), ElementwiseFlops.forward(Component.OUTPUT_PROJECTION, all),
                "the residual add and the bias");
        assertEquals(BigInteger.valueOf(6 * 6), ElementwiseFlops.backward(Component.FFN_W1, all));
        assertEquals(BigInteger.ZERO, ElementwiseFlops.forward(Component.OUTPUT_EMBEDDING, all), "no LM head bias");
        assertEquals(BigInteger.ZERO, ElementwiseFlops.forward(Component.QKV_PROJECTION, PLAIN));
        assertEquals(MatmulFlops.forward(Component.QKV_PROJECTION, PLAIN),
                MatmulFlops.forward(Component.QKV_PROJECTION, all), "a bias is no matmul");
    }

    /** The bias's calls and bytes for the step-time model: forward y read and written, backward dY read. */
    @Test
    void theOverheadTableTimesEveryBias() {
        Shape qkv = biased(LinearBias.QKV, 2);
        OverheadTraffic.Traffic forward = OverheadTraffic.of(qkv).stream()
                .filter(t -> t.opClass().equals(OverheadTraffic.BIAS) && t.pass().equals("forward")).findFirst()
                .orElseThrow();
        // 3 biases a block (widths 8, 4, 4), 2 blocks: 4*(2*N*out + out) summed
        assertEquals(6, forward.calls());
        assertEquals(BigInteger.valueOf(2 * 4 * (2 * 6 * 16 + 16)), forward.bytes());
        assertTrue(OverheadTraffic.of(PLAIN).stream().noneMatch(t -> t.opClass().equals(OverheadTraffic.BIAS)));
    }

    /** describe() writes bias= only where there is one, and parse reads it back; a name not allowed is one line. */
    @Test
    void describedAndParsedBack() {
        Shape all = biased(LinearBias.ALL, 2);
        assertEquals("V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 bias=all", all.describe());
        assertEquals(all, ShapeKey.parse(all.describe()));
        assertEquals("V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2", PLAIN.describe());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> LinearBias.byCliName("qk"));
        assertEquals("unknown bias 'qk': allowed are none, qkv, all", e.getMessage());
        assertTrue(PLAIN.seedArchitecture());
        assertTrue(!biased(LinearBias.QKV, 4).seedArchitecture(), "a bias is not the seed's model");
    }
}
