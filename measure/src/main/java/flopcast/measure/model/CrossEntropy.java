package flopcast.measure.model;

import static flopcast.analytic.ElementwiseFlops.ADD;
import static flopcast.analytic.ElementwiseFlops.CROSS_ENTROPY_BACKWARD_PER_LOGIT;
import static flopcast.analytic.ElementwiseFlops.CROSS_ENTROPY_FORWARD_PER_LOGIT;
import static flopcast.analytic.ElementwiseFlops.CROSS_ENTROPY_PER_STEP;
import static flopcast.analytic.ElementwiseFlops.CROSS_ENTROPY_ROW_LOSS;
import static flopcast.analytic.ElementwiseFlops.CROSS_ENTROPY_TARGET_PER_ROW;
import static flopcast.analytic.ElementwiseFlops.SOFTCAP_BACKWARD_PER_VALUE;
import static flopcast.analytic.ElementwiseFlops.SOFTCAP_FORWARD_PER_VALUE;
import static flopcast.analytic.ElementwiseFlops.SOFTMAX_PER_ROW;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.OpClass;
import flopcast.measure.kernels.Arithmetic;
import flopcast.measure.kernels.ElementwiseKernels;
import org.ejml.data.FMatrixRMaj;

/**
 * Mean cross-entropy of the logits against the next tokens. The logits are softmaxed in place,
 * and the backward pass writes their gradient over the probabilities. Each loop records its
 * element count times its cost declared in {@link flopcast.analytic.ElementwiseFlops}. Under a logit
 * soft-cap ({@link flopcast.analytic.SoftCap}) each logit z becomes c * tanh(z / c) first, tanh(z / c)
 * kept for the backward pass, which multiplies the gradient by 1 - tanh^2.
 */
public final class CrossEntropy {
    /** Rows below which a part is not worth a thread. */
    private static final int GRAIN = 4;
    private final CountingOps ops;
    private final FMatrixRMaj rowLosses;
    /** The logits' soft-cap c, or 0 for none. */
    private final float cap;

    /**
     * @param rowLosses scratch of at least one float per row, free during the forward pass: the
     *                  rows' losses, computed in parallel, are summed from it in row order (the
     *                  model lends the first N floats of its norm-output gradient)
     */
    public CrossEntropy(CountingOps ops, FMatrixRMaj rowLosses) {
        this(ops, rowLosses, 0f);
    }

    /** As above, each logit capped to c * tanh(z / c) first where {@code cap} is positive. */
    public CrossEntropy(CountingOps ops, FMatrixRMaj rowLosses, float cap) {
        this.ops = ops;
        this.rowLosses = rowLosses;
        this.cap = cap;
    }

    /** Softmaxes each row of {@code logits} in place and returns the mean loss. */
    public float forward(FMatrixRMaj logits, int[] targets) {
        return forward(logits, targets, null);
    }

    /** As above; under a cap each logit is capped first, tanh(z / c) written into {@code tanh}. */
    public float forward(FMatrixRMaj logits, int[] targets, FMatrixRMaj tanh) {
        ElementwiseKernels kernels = ops.kernels();
        Arithmetic f = kernels.arithmetic();
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
                if (cap > 0) {
                    SoftCapping.forward(f, z, tanh.data, base, base + vocab, cap);
                }
                float target = z[base + targets[row]];
                float max = kernels.max(z, base, base + vocab);
                float sum = kernels.expSum(z, base, base + vocab, max);
                kernels.scale(z, base, base + vocab, f.div(1f, sum));
                losses[row] = (float) f.sub(f.add(f.log(sum), max), target);
            }
            return ((CROSS_ENTROPY_FORWARD_PER_LOGIT + (cap > 0 ? SOFTCAP_FORWARD_PER_VALUE : 0)) * vocab
                    + SOFTMAX_PER_ROW + CROSS_ENTROPY_ROW_LOSS) * (to - from);
        });
        long start = ops.profile().start();
        double total = 0;
        for (int row = 0; row < rows; row++) {
            total = f.add(total, losses[row]);
        }
        float mean = (float) f.div(total, rows);
        ops.profile().stop(OpClass.CROSS_ENTROPY, start);
        ops.elementwise(Component.CROSS_ENTROPY, ADD * rows + CROSS_ENTROPY_PER_STEP);
        return mean;
    }

    /** Differentiates the mean loss: (p - onehot(target)) / N, written over the probabilities. */
    public void backward(FMatrixRMaj probabilities, int[] targets) {
        backward(probabilities, targets, null);
    }

    /** As above; under a cap the gradient is taken through it, times 1 - t^2, t the kept tanh(z / c). */
    public void backward(FMatrixRMaj probabilities, int[] targets, FMatrixRMaj tanh) {
        backward(probabilities, targets, tanh, 1);
    }

    /**
     * As above, for one of {@code passes} micro-batches whose gradients a step accumulates: the mean
     * over every pass's N rows, (p - onehot(target)) / (passes x N), so that the passes' gradients sum
     * to the whole batch's.
     */
    public void backward(FMatrixRMaj probabilities, int[] targets, FMatrixRMaj tanh, int passes) {
        ElementwiseKernels kernels = ops.kernels();
        Arithmetic f = kernels.arithmetic();
        int rows = probabilities.numRows;
        int vocab = probabilities.numCols;
        float[] p = probabilities.data;
        float scale = f.div(1f, Math.multiplyExact(rows, passes));
        ops.elementwise(Component.CROSS_ENTROPY, CROSS_ENTROPY_PER_STEP);
        ops.split(Component.CROSS_ENTROPY, rows, GRAIN, (part, from, to) -> {
            for (int row = from; row < to; row++) {
                int base = row * vocab;
                p[base + targets[row]] = f.sub(p[base + targets[row]], 1f);
                kernels.scale(p, base, base + vocab, scale);
                if (cap > 0) {
                    SoftCapping.backward(f, p, tanh.data, base, base + vocab);
                }
            }
            return ((CROSS_ENTROPY_BACKWARD_PER_LOGIT + (cap > 0 ? SOFTCAP_BACKWARD_PER_VALUE : 0)) * vocab
                    + CROSS_ENTROPY_TARGET_PER_ROW) * (to - from);
        });
    }
}
