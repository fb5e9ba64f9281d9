package flopcast.measure.model;

import static flopcast.analytic.ElementwiseFlops.SOFTMAX_BACKWARD_PER_ENTRY;
import static flopcast.analytic.ElementwiseFlops.SOFTMAX_FORWARD_PER_ENTRY;
import static flopcast.analytic.ElementwiseFlops.SOFTMAX_PER_ROW;
import static flopcast.analytic.ElementwiseFlops.SOFTCAP_BACKWARD_PER_VALUE;
import static flopcast.analytic.ElementwiseFlops.SOFTCAP_FORWARD_PER_VALUE;

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
 * Where the scores are soft-capped ({@link flopcast.analytic.SoftCap}) each scaled score s becomes
 * c * tanh(s / c) before the softmax, tanh(s / c) kept beside the probabilities for the backward pass.
 *
 * <p>{@code span} is how many positions a query sees, itself included: T for the model, or its
 * sliding window where that is shorter ({@code Shape.attentionSpan}); a test also narrows it to break
 * attention and watch learning and the counts fail.
 */
public final class CausalSoftmax {
    private final CountingOps ops;
    private final int span;
    private final float scale;
    /** The scores' soft-cap c, or 0 for none. */
    private final float cap;
    /** Whose FLOPs it executes: the softmax's, or the global layers' beside windowed ones. */
    private final Component component;

    public CausalSoftmax(CountingOps ops, int span, long headDim) {
        this(ops, span, headDim, 0f, Component.ATTENTION_SOFTMAX);
    }

    /**
     * As above, each scaled score capped to c * tanh(s / c) where {@code cap} is positive, its FLOPs
     * recorded as {@code component}'s.
     */
    public CausalSoftmax(CountingOps ops, int span, long headDim, float cap, Component component) {
        this.ops = ops;
        this.span = span;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.cap = cap;
        this.component = component;
    }

    /** Scores in, probabilities out, in place; masked entries 0. */
    public void forward(FMatrixRMaj scores) {
        forward(scores, null);
    }

    /**
     * As above; under a cap each score is capped after its scale and tanh(s / c) written into
     * {@code tanh} (masked entries 0).
     */
    public void forward(FMatrixRMaj scores, FMatrixRMaj tanh) {
        ElementwiseKernels kernels = ops.kernels();
        Arithmetic f = kernels.arithmetic();
        long start = ops.profile().start();
        int context = scores.numRows;
        float[] p = scores.data;
        long flops = 0;
        for (int i = 0; i < context; i++) {
            int row = i * context;
            int first = Math.max(0, i - span + 1);
            float max = cap > 0 ? scaleCapMax(f, p, tanh.data, row + first, row + i + 1)
                    : kernels.scaleMax(p, row + first, row + i + 1, scale);
            float sum = kernels.expSum(p, row + first, row + i + 1, max);
            kernels.scale(p, row + first, row + i + 1, f.div(1f, sum));
            mask(p, row, context, first, i);
            if (cap > 0) {
                mask(tanh.data, row, context, first, i);
            }
            flops += (SOFTMAX_FORWARD_PER_ENTRY + (cap > 0 ? SOFTCAP_FORWARD_PER_VALUE : 0)) * (i - first + 1)
                    + SOFTMAX_PER_ROW;
        }
        ops.profile().stop(OpClass.ATTENTION_SOFTMAX, start);
        ops.elementwise(component, flops);
    }

    /** Each of p[from, to) scaled and capped, tanh written beside; returns their max. */
    private float scaleCapMax(Arithmetic f, float[] p, float[] tanh, int from, int to) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) {
            p[j] = SoftCapping.cap(f, f.mul(p[j], scale), cap, tanh, j);
            max = f.max(max, p[j]);
        }
        return max;
    }

    /** Differentiates {@link #forward}: dP becomes dS = P (dP - rowsum(P dP)) * scale in place. */
    public void backward(FMatrixRMaj probabilities, FMatrixRMaj gradient) {
        backward(probabilities, gradient, null);
    }

    /** As above; under a cap dS = P (dP - rowsum(P dP)) * (1 - t^2) * scale, t the kept tanh(s / c). */
    public void backward(FMatrixRMaj probabilities, FMatrixRMaj gradient, FMatrixRMaj tanh) {
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
            if (cap > 0) {
                Arithmetic f = kernels.arithmetic();
                float[] t = tanh.data;
                for (int j = row + first; j <= row + i; j++) {
                    d[j] = f.mul(SoftCapping.through(f, f.mul(p[j], f.sub(d[j], dot)), t[j]), scale);
                }
            } else {
                kernels.softmaxGradient(p, d, row + first, row + i + 1, dot, scale);
            }
            mask(d, row, context, first, i);
            flops += (SOFTMAX_BACKWARD_PER_ENTRY + (cap > 0 ? SOFTCAP_BACKWARD_PER_VALUE : 0)) * (i - first + 1);
        }
        ops.profile().stop(OpClass.ATTENTION_SOFTMAX, start);
        ops.elementwise(component, flops);
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
