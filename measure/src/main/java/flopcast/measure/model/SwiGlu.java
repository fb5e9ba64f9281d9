package flopcast.measure.model;

import static flopcast.analytic.ElementwiseFlops.SWIGLU_BACKWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.SWIGLU_FORWARD_PER_ELEMENT;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.kernels.ElementwiseKernels;
import org.ejml.data.FMatrixRMaj;

/**
 * The SwiGLU gate: s = SiLU(a) = a / (1 + exp(-a)), g = s * b, with a = W1 x and b = W3 x.
 * The elements are split across the backend's threads, and counted at their costs declared in
 * {@link flopcast.analytic.ElementwiseFlops}.
 */
public final class SwiGlu implements Gate {
    /** Elements below which a part is not worth a thread. */
    private static final int GRAIN = 1 << 14;
    private final CountingOps ops;

    public SwiGlu(CountingOps ops) {
        this.ops = ops;
    }

    @Override
    public void forward(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj silu, FMatrixRMaj product) {
        ElementwiseKernels kernels = ops.kernels();
        ops.split(Component.FFN_SILU, a.getNumElements(), GRAIN, (part, from, to) -> {
            kernels.siluForward(a.data, b.data, silu.data, product.data, from, to);
            return SWIGLU_FORWARD_PER_ELEMENT * (to - from);
        });
    }

    /**
     * Differentiates {@link #forward}: dB = dG * s; dA = dG * b * SiLU'(a) with
     * SiLU'(a) = sigmoid(a) * (1 + a * (1 - sigmoid(a))). dA is written over dG.
     */
    @Override
    public void backward(FMatrixRMaj dProductThenDA, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj silu, FMatrixRMaj dB) {
        ElementwiseKernels kernels = ops.kernels();
        ops.split(Component.FFN_SILU, a.getNumElements(), GRAIN, (part, from, to) -> {
            kernels.siluBackward(dProductThenDA.data, a.data, b.data, silu.data, dB.data, from, to);
            return SWIGLU_BACKWARD_PER_ELEMENT * (to - from);
        });
    }
}
