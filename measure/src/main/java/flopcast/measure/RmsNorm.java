package flopcast.measure;

import flopcast.analytic.Component;
import org.ejml.data.FMatrixRMaj;

/**
 * RMSNorm over each row: y = x * r * g with r = 1 / sqrt(mean(x^2) + eps). FLOP counts follow
 * {@link flopcast.analytic.ElementwiseFlops}: forward 4d + 4 per row, backward 11d + 4.
 */
final class RmsNorm {
    static final float EPSILON = 1e-5f;
    private final CountingOps ops;
    private final Component component;

    RmsNorm(CountingOps ops, Component component) {
        this.ops = ops;
        this.component = component;
    }

    /** out = x * r * gain per row; r is kept for the backward pass. */
    void forward(FMatrixRMaj x, FMatrixRMaj gain, FMatrixRMaj out, FMatrixRMaj reciprocalRms) {
        int rows = x.numRows;
        int width = x.numCols;
        float[] xs = x.data;
        float[] g = gain.data;
        float[] y = out.data;
        long flops = 0;
        for (int row = 0; row < rows; row++) {
            int base = row * width;
            float sumOfSquares = 0;
            for (int j = 0; j < width; j++) {
                sumOfSquares += xs[base + j] * xs[base + j];            // 2
            }
            float r = 1f / (float) Math.sqrt(sumOfSquares / width + EPSILON); // 4: /, +, sqrt, 1/x
            reciprocalRms.data[row] = r;
            for (int j = 0; j < width; j++) {
                y[base + j] = xs[base + j] * r * g[j];                  // 2
            }
            flops += 4L * width + 4;
        }
        ops.elementwise(component, flops);
    }

    /**
     * Differentiates {@link #forward}: dx += r*(dy*g) - (r^3/d) * sum(dy*g*x) * x and
     * dgain += dy * x * r, accumulated.
     */
    void backward(FMatrixRMaj dOut, FMatrixRMaj x, FMatrixRMaj gain, FMatrixRMaj reciprocalRms, FMatrixRMaj dX,
            FMatrixRMaj dGain) {
        int rows = x.numRows;
        int width = x.numCols;
        float[] dy = dOut.data;
        float[] xs = x.data;
        float[] g = gain.data;
        float[] dx = dX.data;
        float[] dg = dGain.data;
        long flops = 0;
        for (int row = 0; row < rows; row++) {
            int base = row * width;
            float r = reciprocalRms.data[row];
            float dot = 0;
            for (int j = 0; j < width; j++) {
                float normalized = xs[base + j] * r;                   // 1
                dg[j] += dy[base + j] * normalized;                    // 2
                float scaled = dy[base + j] * g[j];                    // 1
                dot += scaled * xs[base + j];                          // 2
            }
            float c = dot * r * r * r / width;                         // 4
            for (int j = 0; j < width; j++) {
                dx[base + j] += r * (dy[base + j] * g[j]) - c * xs[base + j]; // 5
            }
            flops += 11L * width + 4;
        }
        ops.elementwise(component, flops);
    }
}
