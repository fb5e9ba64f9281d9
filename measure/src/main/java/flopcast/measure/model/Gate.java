package flopcast.measure.model;

import org.ejml.data.FMatrixRMaj;

/**
 * A gated MLP's activation: s = act(a), g = s * b, with a = W1 x and b = W3 x, its output s kept for
 * the backward pass: SiLU's ({@link SwiGlu}) or GELU's ({@link Gelu}).
 */
interface Gate {
    void forward(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj activation, FMatrixRMaj product);

    /** Differentiates {@link #forward}: dB = dG * s, dA = dG * b * act'(a) written over dG. */
    void backward(FMatrixRMaj dProductThenDA, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj activation, FMatrixRMaj dB);
}
