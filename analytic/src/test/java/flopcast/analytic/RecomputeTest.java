package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Flash attention and recomputation against hand-derived differences from the eager, nothing
 * recomputed prediction, at (V, T, L, d, h, d_ff, B) = (7, 3, 2, 6, 3, 10, 2): one head's
 * probabilities are T^2 = 9 floats, all of them L*B*h*T^2 = 108; the log-sum-exp L*B*h*T = 36;
 * one layer's scores Q K^T 2*B*T*d*T = 216 FLOPs; a tile t_b = min(T, 64) = 3 on a side.
 */
class RecomputeTest {
    private static final Shape BASE = new Shape(7, 3, 2, 6, 3, 10, 2);

    private static Prediction at(String attention, String recompute) {
        return CompleteAccounting.predict(BASE.withSettings(new Settings(PrecisionPolicy.FP32,
                AttentionKernel.byName(attention), Recompute.byName(recompute))));
    }

    /**
     * kept: float elements more than eager/none; workspace: float elements more; recompute: matmul
     * FLOPs executed again.
     * flash: -108 + 36 kept; workspace -9 (dP's T x T) + 9 + 9 (scores and gradient tiles) + 5*6 (Q, K,
     * V, dO and product tiles of t_b x d_k = 3 x 2) + 3 + 3 + 3 (row max, row sum, row scale) = 48;
     * one Q K^T a layer again. selective eager: -108 kept, +9 (one head's recomputed P), one Q K^T.
     * selective flash: -108 kept (no log-sum-exp either), flash's workspace and one head's log-sum-exp
     * (T = 3), two Q K^T a layer.
     */
    @ParameterizedTest
    @CsvSource({"eager, none, 0, 0, 0", "flash, none, -72, 48, 432", "eager, selective, -108, 9, 432",
            "flash, selective, -108, 51, 864"})
    void keptWorkspaceAndRecomputeDifferByHand(String attention, String recompute, long keptDelta,
            long workspaceDelta, long recomputeFlops) {
        Prediction base = at("eager", "none");
        Prediction prediction = at(attention, recompute);
        assertEquals(keptDelta * 4, prediction.memory().activationsBytes() - base.memory().activationsBytes());
        assertEquals(workspaceDelta * 4, prediction.memory().workspaceBytes() - base.memory().workspaceBytes());
        assertEquals(BigInteger.valueOf(recomputeFlops), prediction.flops().recompute());
        assertEquals(base.flops().step(), prediction.flops().step(), "model FLOPs never include recomputation");
        assertEquals(base.flops().step().add(BigInteger.valueOf(recomputeFlops)), prediction.flops().hardware());
        assertEquals(base.parameters(), prediction.parameters());
    }

    /**
     * Full recomputation keeps, of each block, only its output (B*T*d = 36 floats); every other
     * block row moves into one block's recomputation buffers, in the workspace; it reruns each
     * block's forward: the forward FLOPs less the LM head's 2*B*T*d*V.
     */
    @Test
    void fullKeepsBlockOutputsAndRerunsEachBlock() {
        Prediction base = at("eager", "none");
        Prediction full = at("eager", "full");
        long perLayerKept = 0;
        long onceKept = 0;
        for (KeptActivation tensor : KeptActivation.values()) {
            if (tensor.dataType() != DataType.FLOAT32) {
                continue;
            }
            long one = tensor.elements(BASE) * tensor.instances(BASE);
            if (tensor.scope() == Scope.ONCE) {
                onceKept += one;
            } else if (tensor != KeptActivation.ATTENTION_LOGSUMEXP) {
                perLayerKept += one / BASE.layers();
            }
        }
        long blockOutput = 2 * 3 * 6;
        long ints = 2 * 2 * 3;
        assertEquals((onceKept + 2 * blockOutput) * 4 + ints * 4, full.memory().activationsBytes());
        assertEquals(base.memory().workspaceBytes() + (perLayerKept - blockOutput) * 4,
                full.memory().workspaceBytes().longValue(), "one block's buffers");
        BigInteger lmHead = BigInteger.valueOf(2L * 2 * 3 * 6 * 7);
        assertEquals(base.flops().forward().subtract(lmHead), full.flops().recompute());
        BigInteger rerun = BigInteger.ZERO;
        for (Component component : Component.values()) {
            if (component.inBlock()) {
                rerun = rerun.add(ElementwiseFlops.forward(component, BASE)
                        .multiply(BigInteger.valueOf(component.scope().instances(BASE))));
            }
        }
        assertEquals(base.flops().elementwise().add(rerun), full.flops().elementwise(),
                "each block's forward elementwise work runs again");
        // flash with selective recomputation reruns the log-sum-exp pass: per head 5*T*(T+1)/2 + 4*T + 2*T
        // = 5*6 + 12 + 6 = 48, for B*h*L = 12 heads
        assertEquals(at("flash", "none").flops().elementwise().add(BigInteger.valueOf(12 * 48)),
                at("flash", "selective").flops().elementwise());
    }

    /** Under every policy, kernel and mode the polynomial at B is the total at B. */
    @Test
    void polynomialMatchesTheTotalUnderEverySetting() {
        for (PrecisionPolicy policy : PrecisionPolicy.values()) {
            for (AttentionKernel attention : AttentionKernel.values()) {
                for (Recompute recompute : Recompute.values()) {
                    Shape shape = BASE.withArchitecture(new Architecture(1, true)).withSettings(new Settings(policy, attention,
                            recompute));
                    MemoryBreakdown memory = CompleteAccounting.predict(shape).memory();
                    assertEquals(memory.totalBytes(), memory.polynomial().bytesAt(shape.batchSize()),
                            shape.describe());
                }
            }
        }
    }
}
