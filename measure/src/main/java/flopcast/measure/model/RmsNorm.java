package flopcast.measure.model;

import static flopcast.analytic.ElementwiseFlops.RMSNORM_BACKWARD_PER_ROW;
import static flopcast.analytic.ElementwiseFlops.RMSNORM_BACKWARD_ROW_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.RMSNORM_FORWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.RMSNORM_FORWARD_PER_ROW;
import static flopcast.analytic.ElementwiseFlops.RMSNORM_GAIN_GRADIENT_PER_ELEMENT;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.OpClass;
import flopcast.measure.kernels.Arithmetic;
import flopcast.measure.kernels.ElementwiseKernels;
import org.ejml.data.FMatrixRMaj;

/**
 * RMSNorm over each row: y = x * r * g with r = 1 / sqrt(mean(x^2) + eps). Each loop records its
 * element count times its cost declared in {@link flopcast.analytic.ElementwiseFlops}.
 */
public final class RmsNorm {
    static final float EPSILON = 1e-5f;
    /** Rows (or gain columns) below which a part is not worth a thread. */
    private static final int GRAIN = 16;
    private final CountingOps ops;
    private final Component component;
    private final OpClass opClass;

    public RmsNorm(CountingOps ops, Component component) {
        this(ops, component, OpClass.of(component));
    }

    /** FLOPs counted as {@code component}'s, time as {@code opClass}'s (QK-norm: the QKV projections', QK_NORM). */
    public RmsNorm(CountingOps ops, Component component, OpClass opClass) {
        this.ops = ops;
        this.component = component;
        this.opClass = opClass;
    }

    /** out = x * r * gain per row; r is kept for the backward pass. Rows split across threads. */
    public void forward(FMatrixRMaj x, FMatrixRMaj gain, FMatrixRMaj out, FMatrixRMaj reciprocalRms) {
        ElementwiseKernels kernels = ops.kernels();
        Arithmetic f = kernels.arithmetic();
        int width = x.numCols;
        float[] xs = x.data;
        float[] g = gain.data;
        float[] y = out.data;
        ops.split(component, opClass, x.numRows, GRAIN, (part, from, to) -> {
            for (int row = from; row < to; row++) {
                int base = row * width;
                float sumOfSquares = kernels.dot(xs, xs, base, base + width);
                float r = f.div(1f, f.sqrt(f.add(f.div(sumOfSquares, width), EPSILON)));
                reciprocalRms.data[row] = r;
                for (int j = 0; j < width; j++) {
                    y[base + j] = f.mul(f.mul(xs[base + j], r), g[j]);
                }
            }
            return (RMSNORM_FORWARD_PER_ELEMENT * width + RMSNORM_FORWARD_PER_ROW) * (to - from);
        });
    }

    /**
     * Differentiates {@link #forward}: dx += r*(dy*g) - (r^3/d) * sum(dy*g*x) * x, rows split across
     * threads, then dgain += dy * x * r, accumulated, its columns split across threads; no gain gradient
     * where {@code dGain} is null (a frozen gain).
     */
    public void backward(FMatrixRMaj dOut, FMatrixRMaj x, FMatrixRMaj gain, FMatrixRMaj reciprocalRms, FMatrixRMaj dX,
            FMatrixRMaj dGain) {
        Arithmetic f = ops.kernels().arithmetic();
        int rows = x.numRows;
        int width = x.numCols;
        float[] dy = dOut.data;
        float[] xs = x.data;
        float[] g = gain.data;
        float[] r = reciprocalRms.data;
        float[] dx = dX.data;
        float[] dg = dGain == null ? null : dGain.data;
        ops.split(component, opClass, rows, GRAIN, (part, from, to) -> {
            for (int row = from; row < to; row++) {
                int base = row * width;
                float dot = 0;
                for (int j = 0; j < width; j++) {
                    dot = f.add(dot, f.mul(f.mul(dy[base + j], g[j]), xs[base + j]));
                }
                float c = f.div(f.mul(f.mul(f.mul(dot, r[row]), r[row]), r[row]), width);
                for (int j = 0; j < width; j++) {
                    dx[base + j] = f.add(dx[base + j],
                            f.sub(f.mul(r[row], f.mul(dy[base + j], g[j])), f.mul(c, xs[base + j])));
                }
            }
            return (RMSNORM_BACKWARD_ROW_PER_ELEMENT * width + RMSNORM_BACKWARD_PER_ROW) * (to - from);
        });
        if (dGain == null) {
            return;   // a frozen gain (LoRA): no gradient of its own
        }
        ops.split(component, opClass, width, GRAIN, (part, from, to) -> {
            for (int row = 0; row < rows; row++) {
                int base = row * width;
                for (int j = from; j < to; j++) {
                    dg[j] = f.add(dg[j], f.mul(dy[base + j], f.mul(xs[base + j], r[row])));
                }
            }
            return RMSNORM_GAIN_GRADIENT_PER_ELEMENT * rows * (to - from);
        });
    }
}
