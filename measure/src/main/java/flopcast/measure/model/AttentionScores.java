package flopcast.measure.model;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import org.ejml.data.FMatrixRMaj;

/**
 * The scores of one (sequence, head) pair: S = Q K^T, T x d_k by d_k x T, the full T x T square
 * (the 1/sqrt(d_k) scale and the mask are {@link CausalSoftmax}'s).
 */
public final class AttentionScores {
    private final CountingOps ops;

    public AttentionScores(CountingOps ops) {
        this.ops = ops;
    }

    /** s = q k^T. */
    public void forward(FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj scores) {
        ops.multTransB(Component.ATTENTION_SCORES, query, key, scores);
    }

    /** Differentiates {@link #forward}: dQ = dS K, dK = dS^T Q. */
    public void backward(FMatrixRMaj dScores, FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj dQuery,
            FMatrixRMaj dKey) {
        backward(dScores, query, key, dQuery, dKey, false);
    }

    /** {@link #backward}, with dK += dS^T Q where {@code accumulateKey} (a key head shared by several queries). */
    public void backward(FMatrixRMaj dScores, FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj dQuery,
            FMatrixRMaj dKey, boolean accumulateKey) {
        ops.mult(Component.ATTENTION_SCORES, dScores, key, dQuery);
        if (accumulateKey) {
            ops.multAddTransA(Component.ATTENTION_SCORES, dScores, query, dKey);
        } else {
            ops.multTransA(Component.ATTENTION_SCORES, dScores, query, dKey);
        }
    }
}
