package flopcast.measure;

import flopcast.analytic.Component;
import org.ejml.data.FMatrixRMaj;

/**
 * The SwiGLU gate: s = SiLU(a) = a / (1 + exp(-a)), g = s * b, with a = W1 x and b = W3 x.
 * 5 FLOPs per element forward, 11 backward; the elements are split across the backend's threads.
 */
public final class SwiGlu {
    /** Elements below which a part is not worth a thread. */
    private static final int GRAIN = 1 << 14;
    private final CountingOps ops;

    public SwiGlu(CountingOps ops) {
        this.ops = ops;
    }

    public void forward(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj silu, FMatrixRMaj product) {
        ElementwiseKernels kernels = ops.kernels();
        ops.split(Component.FFN_SILU, a.getNumElements(), GRAIN, (part, from, to) -> {
            kernels.siluForward(a.data, b.data, silu.data, product.data, from, to);
            return 5L * (to - from);
        });
    }

    /**
     * Differentiates {@link #forward}: dB = dG * s; dA = dG * b * SiLU'(a) with
     * SiLU'(a) = sigmoid(a) * (1 + a * (1 - sigmoid(a))). dA is written over dG.
     */
    public void backward(FMatrixRMaj dProductThenDA, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj silu, FMatrixRMaj dB) {
        ElementwiseKernels kernels = ops.kernels();
        ops.split(Component.FFN_SILU, a.getNumElements(), GRAIN, (part, from, to) -> {
            kernels.siluBackward(dProductThenDA.data, a.data, b.data, silu.data, dB.data, from, to);
            return 11L * (to - from);
        });
    }
}
