package flopcast.measure;

import flopcast.analytic.Component;
import flopcast.analytic.Shape;
import flopcast.analytic.WorkspaceBuffer;
import org.ejml.data.FMatrixRMaj;

/**
 * Causal multi-head attention over Q, K, V of shape (B*T) x d: per sequence b and head h,
 * P = softmax(Q_bh K_bh^T / sqrt(d_k)) with the upper triangle masked, O_bh = P V_bh. The scores
 * are the full T x T square (counted so); the softmax is {@link CausalSoftmax}, over
 * {@code span} positions.
 */
final class CausalAttention {
    private final CountingOps ops;
    private final int batch;
    private final int context;
    private final int heads;
    private final int headDim;
    private final CausalSoftmax softmax;
    // one head's slices (T x d_k) and its probability gradient (T x T): workspace rows
    private final FMatrixRMaj headQuery;
    private final FMatrixRMaj headKey;
    private final FMatrixRMaj headValue;
    private final FMatrixRMaj headOutput;
    private final FMatrixRMaj headQueryGradient;
    private final FMatrixRMaj headKeyGradient;
    private final FMatrixRMaj headValueGradient;
    private final FMatrixRMaj headProbabilityGradient;

    CausalAttention(CountingOps ops, Shape shape, int span, ModelBuffers buffers) {
        this.ops = ops;
        this.batch = Math.toIntExact(shape.batchSize());
        this.context = Math.toIntExact(shape.contextLength());
        this.heads = Math.toIntExact(shape.heads());
        this.headDim = Math.toIntExact(shape.headDim());
        this.softmax = new CausalSoftmax(ops, span, headDim);
        this.headQuery = buffers.workspace(WorkspaceBuffer.HEAD_QUERY);
        this.headKey = buffers.workspace(WorkspaceBuffer.HEAD_KEY);
        this.headValue = buffers.workspace(WorkspaceBuffer.HEAD_VALUE);
        this.headOutput = buffers.workspace(WorkspaceBuffer.HEAD_OUTPUT);
        this.headQueryGradient = buffers.workspace(WorkspaceBuffer.HEAD_QUERY_GRADIENT);
        this.headKeyGradient = buffers.workspace(WorkspaceBuffer.HEAD_KEY_GRADIENT);
        this.headValueGradient = buffers.workspace(WorkspaceBuffer.HEAD_VALUE_GRADIENT);
        this.headProbabilityGradient = buffers.workspace(WorkspaceBuffer.HEAD_PROBABILITY_GRADIENT);
    }

    /** probabilities[b*h + head] = softmax of the masked scores; out = P V per head. */
    void forward(FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj value, FMatrixRMaj[] probabilities,
            FMatrixRMaj out) {
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                FMatrixRMaj p = probabilities[b * heads + h];
                gatherHead(query, key, value, b, h);
                ops.multTransB(Component.ATTENTION_SCORES, headQuery, headKey, p);
                softmax.forward(p);
                ops.mult(Component.ATTENTION_WEIGHTED_SUM, p, headValue, headOutput);
                scatter(headOutput, b, h, out);
            }
        }
    }

    /**
     * Differentiates {@link #forward}: dP = dO V^T, dV = P^T dO, dS = P (dP - rowsum(P dP)) / sqrt(d_k),
     * dQ = dS K, dK = dS^T Q.
     */
    void backward(FMatrixRMaj dOut, FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj value,
            FMatrixRMaj[] probabilities, FMatrixRMaj dQuery, FMatrixRMaj dKey, FMatrixRMaj dValue) {
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                FMatrixRMaj p = probabilities[b * heads + h];
                gatherHead(query, key, value, b, h);
                gather(dOut, b, h, headOutput);
                ops.multTransB(Component.ATTENTION_WEIGHTED_SUM, headOutput, headValue, headProbabilityGradient);
                ops.multTransA(Component.ATTENTION_WEIGHTED_SUM, p, headOutput, headValueGradient);
                softmax.backward(p, headProbabilityGradient);
                ops.mult(Component.ATTENTION_SCORES, headProbabilityGradient, headKey, headQueryGradient);
                ops.multTransA(Component.ATTENTION_SCORES, headProbabilityGradient, headQuery, headKeyGradient);
                scatter(headQueryGradient, b, h, dQuery);
                scatter(headKeyGradient, b, h, dKey);
                scatter(headValueGradient, b, h, dValue);
            }
        }
    }

    /** Sequence b, head h of Q, K and V into the head scratch. */
    private void gatherHead(FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj value, int b, int h) {
        gather(query, b, h, headQuery);
        gather(key, b, h, headKey);
        gather(value, b, h, headValue);
    }

    /** Copies sequence b, head h of a (B*T) x d matrix into a T x d_k one. */
    private void gather(FMatrixRMaj source, int b, int h, FMatrixRMaj head) {
        int width = source.numCols;
        for (int t = 0; t < context; t++) {
            System.arraycopy(source.data, (b * context + t) * width + h * headDim, head.data, t * headDim, headDim);
        }
    }

    /** Copies a T x d_k matrix into sequence b, head h of a (B*T) x d one. */
    private void scatter(FMatrixRMaj head, int b, int h, FMatrixRMaj target) {
        int width = target.numCols;
        for (int t = 0; t < context; t++) {
            System.arraycopy(head.data, t * headDim, target.data, (b * context + t) * width + h * headDim, headDim);
        }
    }
}
