package flopcast.measure.model;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import org.ejml.data.FMatrixRMaj;

/** The output of one (sequence, head) pair: O = P V, T x T by T x d_k. */
public final class AttentionWeightedSum {
    private final CountingOps ops;

    public AttentionWeightedSum(CountingOps ops) {
        this.ops = ops;
    }

    /** out = p v. */
    public void forward(FMatrixRMaj probabilities, FMatrixRMaj value, FMatrixRMaj out) {
        ops.mult(Component.ATTENTION_WEIGHTED_SUM, probabilities, value, out);
    }

    /** Differentiates {@link #forward}: dP = dO V^T, dV = P^T dO. */
    public void backward(FMatrixRMaj dOut, FMatrixRMaj probabilities, FMatrixRMaj value, FMatrixRMaj dProbabilities,
            FMatrixRMaj dValue) {
        backward(dOut, probabilities, value, dProbabilities, dValue, false);
    }

    /** {@link #backward}, with dV += P^T dO where {@code accumulateValue} (a value head shared by several queries). */
    public void backward(FMatrixRMaj dOut, FMatrixRMaj probabilities, FMatrixRMaj value, FMatrixRMaj dProbabilities,
            FMatrixRMaj dValue, boolean accumulateValue) {
        ops.multTransB(Component.ATTENTION_WEIGHTED_SUM, dOut, value, dProbabilities);
        if (accumulateValue) {
            ops.multAddTransA(Component.ATTENTION_WEIGHTED_SUM, probabilities, dOut, dValue);
        } else {
            ops.multTransA(Component.ATTENTION_WEIGHTED_SUM, probabilities, dOut, dValue);
        }
    }
}
