package flopcast.measure;

import flopcast.analytic.Component;
import org.ejml.data.FMatrixRMaj;

/**
 * Mean cross-entropy of the logits against the next tokens. The logits are softmaxed in place,
 * and the backward pass writes their gradient over the probabilities.
 * Forward N*(5V + 5) + 1 FLOPs, backward N*(V + 1) + 1.
 */
public final class CrossEntropy {
    /** Rows below which a part is not worth a thread. */
    private static final int GRAIN = 4;
    private final CountingOps ops;
    private final FMatrixRMaj rowLosses;

    /**
     * @param rowLosses scratch of at least one float per row, free during the forward pass: the
     *                  rows' losses, computed in parallel, are summed from it in row order (the
     *                  model lends the first N floats of its norm-output gradient)
     */
    public CrossEntropy(CountingOps ops, FMatrixRMaj rowLosses) {
        this.ops = ops;
        this.rowLosses = rowLosses;
    }

    /** Softmaxes each row of {@code logits} in place and returns the mean loss. */
    public float forward(FMatrixRMaj logits, int[] targets) {
        ElementwiseKernels kernels = ops.kernels();
        int rows = logits.numRows;
        int vocab = logits.numCols;
        float[] z = logits.data;
        float[] losses = rowLosses.data;
        if (losses.length < rows) {
            throw new IllegalArgumentException("row-loss scratch holds " + losses.length + " floats, need " + rows);
        }
        ops.split(Component.CROSS_ENTROPY, rows, GRAIN, (part, from, to) -> {
            for (int row = from; row < to; row++) {
                int base = row * vocab;
                float target = z[base + targets[row]];
                float max = kernels.max(z, base, base + vocab);                  // 1 per logit
                float sum = kernels.expSum(z, base, base + vocab, max);          // 3 per logit
                kernels.scale(z, base, base + vocab, 1f / sum);                  // 1 per row, 1 per logit
                losses[row] = (float) (Math.log(sum) + max - target);            // 3: log, +, -
            }
            return (5L * vocab + 4) * (to - from);
        });
        double total = 0;
        for (int row = 0; row < rows; row++) {
            total += losses[row];                                                // 1 per row
        }
        float mean = (float) (total / rows);                                     // 1
        ops.elementwise(Component.CROSS_ENTROPY, rows + 1L);
        return mean;
    }

    /** Differentiates the mean loss: (p - onehot(target)) / N, written over the probabilities. */
    public void backward(FMatrixRMaj probabilities, int[] targets) {
        ElementwiseKernels kernels = ops.kernels();
        int rows = probabilities.numRows;
        int vocab = probabilities.numCols;
        float[] p = probabilities.data;
        float scale = 1f / rows;                                 // 1
        ops.elementwise(Component.CROSS_ENTROPY, 1);
        ops.split(Component.CROSS_ENTROPY, rows, GRAIN, (part, from, to) -> {
            for (int row = from; row < to; row++) {
                int base = row * vocab;
                p[base + targets[row]] -= 1f;                    // 1
                kernels.scale(p, base, base + vocab, scale);     // 1 per logit
            }
            return (vocab + 1L) * (to - from);
        });
    }
}
