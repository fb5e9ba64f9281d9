package flopcast.measure.model;

import static flopcast.analytic.ElementwiseFlops.LAYERNORM_BACKWARD_PER_ROW;
import static flopcast.analytic.ElementwiseFlops.LAYERNORM_BACKWARD_ROW_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.LAYERNORM_FORWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.LAYERNORM_FORWARD_PER_ROW;
import static flopcast.analytic.ElementwiseFlops.LAYERNORM_PARAMETER_GRADIENT_PER_ELEMENT;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.kernels.Arithmetic;
import org.ejml.data.FMatrixRMaj;

/**
 * LayerNorm over each row with a bias: y = (x - m) * r * g + b, m the row's mean, r = 1 / sqrt(var +
 * eps). The mean and r are kept for the backward pass. Each loop records its element count times its
 * cost declared in {@link flopcast.analytic.ElementwiseFlops}; the loops are the same on both backends.
 */
public final class LayerNorm {
    static final float EPSILON = 1e-5f;
    /** Rows (or parameter columns) below which a part is not worth a thread. */
    private static final int GRAIN = 16;
    private final CountingOps ops;
    private final Component component;

    public LayerNorm(CountingOps ops, Component component) {
        this.ops = ops;
        this.component = component;
    }

    /** out = (x - m) * r * gain + bias per row; m and r kept. Rows split across threads. */
    public void forward(FMatrixRMaj x, FMatrixRMaj gain, FMatrixRMaj bias, FMatrixRMaj out, FMatrixRMaj reciprocalStd,
            FMatrixRMaj mean) {
        Arithmetic f = ops.kernels().arithmetic();
        int width = x.numCols;
        float[] xs = x.data;
        float[] g = gain.data;
        float[] b = bias.data;
        float[] y = out.data;
        ops.split(component, x.numRows, GRAIN, (part, from, to) -> {
            for (int row = from; row < to; row++) {
                int base = row * width;
                float sum = 0;
                for (int j = 0; j < width; j++) {
                    sum = f.add(sum, xs[base + j]);
                }
                float m = f.div(sum, width);
                float squares = 0;
                for (int j = 0; j < width; j++) {
                    float centred = f.sub(xs[base + j], m);
                    squares = f.add(squares, f.mul(centred, centred));
                }
                float r = f.div(1f, f.sqrt(f.add(f.div(squares, width), EPSILON)));
                mean.data[row] = m;
                reciprocalStd.data[row] = r;
                for (int j = 0; j < width; j++) {
                    y[base + j] = f.add(f.mul(f.mul(f.sub(xs[base + j], m), r), g[j]), b[j]);
                }
            }
            return (LAYERNORM_FORWARD_PER_ELEMENT * width + LAYERNORM_FORWARD_PER_ROW) * (to - from);
        });
    }

    /**
     * Differentiates {@link #forward}: dx += r * (dy*g - mean(dy*g) - xhat * mean(dy*g*xhat)), rows split
     * across threads; then dgain += dy * xhat and dbias += dy, accumulated, the columns split (not where
     * {@code dGain} is null: a frozen norm).
     */
    public void backward(FMatrixRMaj dOut, FMatrixRMaj x, FMatrixRMaj gain, FMatrixRMaj reciprocalStd,
            FMatrixRMaj mean, FMatrixRMaj dX, FMatrixRMaj dGain, FMatrixRMaj dBias) {
        Arithmetic f = ops.kernels().arithmetic();
        int rows = x.numRows;
        int width = x.numCols;
        float[] dy = dOut.data;
        float[] xs = x.data;
        float[] g = gain.data;
        float[] r = reciprocalStd.data;
        float[] m = mean.data;
        float[] dx = dX.data;
        float[] dg = dGain == null ? null : dGain.data;
        float[] db = dBias == null ? null : dBias.data;
        ops.split(component, rows, GRAIN, (part, from, to) -> {
            for (int row = from; row < to; row++) {
                int base = row * width;
                float sumGy = 0;
                float sumGyXhat = 0;
                for (int j = 0; j < width; j++) {
                    float xhat = f.mul(f.sub(xs[base + j], m[row]), r[row]);
                    float gy = f.mul(dy[base + j], g[j]);
                    sumGy = f.add(sumGy, gy);
                    sumGyXhat = f.add(sumGyXhat, f.mul(gy, xhat));
                }
                float meanGy = f.div(sumGy, width);
                float meanGyXhat = f.div(sumGyXhat, width);
                for (int j = 0; j < width; j++) {
                    float xhat = f.mul(f.sub(xs[base + j], m[row]), r[row]);
                    float gy = f.mul(dy[base + j], g[j]);
                    dx[base + j] = f.add(dx[base + j],
                            f.mul(r[row], f.sub(f.sub(gy, meanGy), f.mul(xhat, meanGyXhat))));
                }
            }
            return (LAYERNORM_BACKWARD_ROW_PER_ELEMENT * width + LAYERNORM_BACKWARD_PER_ROW) * (to - from);
        });
        if (dGain == null) {
            return;   // a frozen norm (LoRA): no gain or bias gradient
        }
        ops.split(component, width, GRAIN, (part, from, to) -> {
            for (int row = 0; row < rows; row++) {
                int base = row * width;
                for (int j = from; j < to; j++) {
                    float xhat = f.mul(f.sub(xs[base + j], m[row]), r[row]);
                    dg[j] = f.add(dg[j], f.mul(dy[base + j], xhat));
                    db[j] = f.add(db[j], dy[base + j]);
                }
            }
            return LAYERNORM_PARAMETER_GRADIENT_PER_ELEMENT * rows * (to - from);
        });
    }
}
