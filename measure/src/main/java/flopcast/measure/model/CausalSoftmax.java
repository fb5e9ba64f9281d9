package flopcast.measure.model;

import static flopcast.analytic.ElementwiseFlops.SOFTMAX_BACKWARD_PER_ENTRY;
import static flopcast.analytic.ElementwiseFlops.SOFTMAX_FORWARD_PER_ENTRY;
import static flopcast.analytic.ElementwiseFlops.SOFTMAX_PER_ROW;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.OpClass;
import flopcast.measure.kernels.Arithmetic;
import flopcast.measure.kernels.ElementwiseKernels;
import org.ejml.data.FMatrixRMaj;

/**
 * The attention softmax of one head, in place on a T x T matrix: scale by 1/sqrt(d_k), mask the
 * positions a query may not see, softmax each row over the rest. Only unmasked entries are
 * computed, and counted at their costs declared in {@link flopcast.analytic.ElementwiseFlops}.
 *
 * <p>{@code span} is how many positions a query sees, itself included: T for the model, or its
 * sliding window where that is shorter ({@code Shape.attentionSpan}); a test also narrows it to break
 * attention and watch learning and the counts fail.
 */
public final class CausalSoftmax {
    private final CountingOps ops;
    private final int span;
    private final float scale;

    public CausalSoftmax(CountingOps ops, int span, long headDim) {
        this.ops = ops;
        this.span = span;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    /** Scores in, probabilities out, in place; masked entries 0. */
    public void forward(FMatrixRMaj scores) {
        ElementwiseKernels kernels = ops.kernels();
        Arithmetic f = kernels.arithmetic();
        long start = ops.profile().start();
        int context = scores.numRows;
        float[] p = scores.data;
        long flops = 0;
        for (int i = 0; i < context; i++) {
            int row = i * context;
            int first = Math.max(0, i - span + 1);
            float max = kernels.scaleMax(p, row + first, row + i + 1, scale);
            float sum = kernels.expSum(p, row + first, row + i + 1, max);
            kernels.scale(p, row + first, row + i + 1, f.div(1f, sum));
            mask(p, row, context, first, i);
            flops += SOFTMAX_FORWARD_PER_ENTRY * (i - first + 1) + SOFTMAX_PER_ROW;
        }
        ops.profile().stop(OpClass.ATTENTION_SOFTMAX, start);
        ops.elementwise(Component.ATTENTION_SOFTMAX, flops);
    }

    /** Differentiates {@link #forward}: dP becomes dS = P (dP - rowsum(P dP)) * scale in place. */
    public void backward(FMatrixRMaj probabilities, FMatrixRMaj gradient) {
        ElementwiseKernels kernels = ops.kernels();
        long start = ops.profile().start();
        int context = probabilities.numRows;
        float[] p = probabilities.data;
        float[] d = gradient.data;
        long flops = 0;
        for (int i = 0; i < context; i++) {
            int row = i * context;
            int first = Math.max(0, i - span + 1);
            float dot = kernels.dot(p, d, row + first, row + i + 1);
            kernels.softmaxGradient(p, d, row + first, row + i + 1, dot, scale);
            mask(d, row, context, first, i);
            flops += SOFTMAX_BACKWARD_PER_ENTRY * (i - first + 1);
        }
        ops.profile().stop(OpClass.ATTENTION_SOFTMAX, start);
        ops.elementwise(Component.ATTENTION_SOFTMAX, flops);
    }

    private static void mask(float[] values, int row, int context, int first, int last) {
        for (int j = 0; j < first; j++) {
            values[row + j] = 0f;
        }
        for (int j = last + 1; j < context; j++) {
            values[row + j] = 0f;
        }
    }
}
