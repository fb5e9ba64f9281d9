package flopcast.measure;

import flopcast.analytic.Component;
import org.ejml.data.FMatrixRMaj;

/**
 * The SwiGLU gate: s = SiLU(a) = a / (1 + exp(-a)), g = s * b, with a = W1 x and b = W3 x.
 * 5 FLOPs per element forward, 11 backward.
 */
final class SwiGlu {
    private final CountingOps ops;

    SwiGlu(CountingOps ops) {
        this.ops = ops;
    }

    void forward(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj silu, FMatrixRMaj product) {
        float[] as = a.data;
        float[] bs = b.data;
        float[] s = silu.data;
        float[] g = product.data;
        int n = a.getNumElements();
        for (int i = 0; i < n; i++) {
            s[i] = as[i] / (1f + (float) Math.exp(-as[i]));    // 4: -, exp, +, /
            g[i] = s[i] * bs[i];                               // 1
        }
        ops.elementwise(Component.FFN_SILU, 5L * n);
    }

    /**
     * Differentiates {@link #forward}: dB = dG * s; dA = dG * b * SiLU'(a) with
     * SiLU'(a) = sigmoid(a) * (1 + a * (1 - sigmoid(a))). dA is written over dG.
     */
    void backward(FMatrixRMaj dProductThenDA, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj silu, FMatrixRMaj dB) {
        float[] d = dProductThenDA.data;
        float[] as = a.data;
        float[] bs = b.data;
        float[] s = silu.data;
        float[] db = dB.data;
        int n = a.getNumElements();
        for (int i = 0; i < n; i++) {
            float dg = d[i];
            db[i] = dg * s[i];                                          // 1
            float ds = dg * bs[i];                                      // 1
            float sigmoid = 1f / (1f + (float) Math.exp(-as[i]));       // 4
            float derivative = sigmoid * (1f + as[i] * (1f - sigmoid)); // 4
            d[i] = ds * derivative;                                     // 1
        }
        ops.elementwise(Component.FFN_SILU, 11L * n);
    }
}
