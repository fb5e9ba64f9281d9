package flopcast.measure;

import flopcast.analytic.Component;
import org.ejml.data.FMatrixRMaj;

/** y = x W for every projection of the model (Q, K, V, output, W1, W3, W2, LM head). */
public final class Linear {
    private final CountingOps ops;
    private final Component component;

    public Linear(CountingOps ops, Component component) {
        this.ops = ops;
        this.component = component;
    }

    public void forward(FMatrixRMaj x, FMatrixRMaj weight, FMatrixRMaj y) {
        ops.mult(component, x, weight, y);
    }

    /** Differentiates {@link #forward} for the input: dx = dy W^T, or dx += dy W^T. */
    public void backwardInput(FMatrixRMaj dy, FMatrixRMaj weight, FMatrixRMaj dx, boolean accumulate) {
        if (accumulate) {
            ops.multAddTransB(component, dy, weight, dx);
        } else {
            ops.multTransB(component, dy, weight, dx);
        }
    }

    /** Differentiates {@link #forward} for the weight: dW += x^T dy. */
    public void backwardWeight(FMatrixRMaj x, FMatrixRMaj dy, FMatrixRMaj dWeight) {
        ops.multAddTransA(component, x, dy, dWeight);
    }
}
