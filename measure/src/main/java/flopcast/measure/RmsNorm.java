package flopcast.measure;

import flopcast.analytic.Component;
import org.ejml.data.FMatrixRMaj;

/**
 * RMSNorm over each row: y = x * r * g with r = 1 / sqrt(mean(x^2) + eps). FLOP counts follow
 * {@link flopcast.analytic.ElementwiseFlops}: forward 4d + 4 per row, backward 11d + 4.
 */
public final class RmsNorm {
    static final float EPSILON = 1e-5f;
    /** Rows (or gain columns) below which a part is not worth a thread. */
    private static final int GRAIN = 16;
    private final CountingOps ops;
    private final Component component;

    public RmsNorm(CountingOps ops, Component component) {
        this.ops = ops;
        this.component = component;
    }

    /** out = x * r * gain per row; r is kept for the backward pass. Rows split across threads. */
    public void forward(FMatrixRMaj x, FMatrixRMaj gain, FMatrixRMaj out, FMatrixRMaj reciprocalRms) {
        ElementwiseKernels kernels = ops.kernels();
        int width = x.numCols;
        float[] xs = x.data;
        float[] g = gain.data;
        float[] y = out.data;
        ops.split(component, x.numRows, GRAIN, (part, from, to) -> {
            for (int row = from; row < to; row++) {
                int base = row * width;
                float sumOfSquares = kernels.dot(xs, xs, base, base + width);  // 2 per element
                float r = 1f / (float) Math.sqrt(sumOfSquares / width + EPSILON); // 4: /, +, sqrt, 1/x
                reciprocalRms.data[row] = r;
                for (int j = 0; j < width; j++) {
                    y[base + j] = xs[base + j] * r * g[j];                  // 2
                }
            }
            return (4L * width + 4) * (to - from);
        });
    }

    /**
     * Differentiates {@link #forward}: dx += r*(dy*g) - (r^3/d) * sum(dy*g*x) * x, rows split across
     * threads, then dgain += dy * x * r, accumulated, its columns split across threads.
     */
    public void backward(FMatrixRMaj dOut, FMatrixRMaj x, FMatrixRMaj gain, FMatrixRMaj reciprocalRms, FMatrixRMaj dX,
            FMatrixRMaj dGain) {
        int rows = x.numRows;
        int width = x.numCols;
        float[] dy = dOut.data;
        float[] xs = x.data;
        float[] g = gain.data;
        float[] r = reciprocalRms.data;
        float[] dx = dX.data;
        float[] dg = dGain.data;
        ops.split(component, rows, GRAIN, (part, from, to) -> {
            for (int row = from; row < to; row++) {
                int base = row * width;
                float dot = 0;
                for (int j = 0; j < width; j++) {
                    dot += dy[base + j] * g[j] * xs[base + j];                    // 3
                }
                float c = dot * r[row] * r[row] * r[row] / width;                  // 4
                for (int j = 0; j < width; j++) {
                    dx[base + j] += r[row] * (dy[base + j] * g[j]) - c * xs[base + j]; // 5
                }
            }
            return (8L * width + 4) * (to - from);
        });
        ops.split(component, width, GRAIN, (part, from, to) -> {
            for (int row = 0; row < rows; row++) {
                int base = row * width;
                for (int j = from; j < to; j++) {
                    dg[j] += dy[base + j] * (xs[base + j] * r[row]);               // 3
                }
            }
            return 3L * rows * (to - from);
        });
    }
}
