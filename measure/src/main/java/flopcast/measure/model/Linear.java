package flopcast.measure.model;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import org.ejml.data.FMatrixRMaj;

/**
 * y = x W for every projection of the model (Q, K, V, output, W1, W3, W2, LM head), and y = x E^T
 * for a weight stored transposed: the LM head tied to the V x d token embedding E; y += b where the
 * architecture gives the projection a bias.
 */
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

    /** y += b on every row: the bias, after {@link #forward}. */
    public void addBias(FMatrixRMaj y, FMatrixRMaj bias) {
        ops.addBias(component, y, bias);
    }

    /** Differentiates {@link #addBias} for the bias: dB += the sum of dy's rows. */
    public void backwardBias(FMatrixRMaj dy, FMatrixRMaj biasGradient) {
        ops.addRowSums(component, dy, biasGradient);
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

    /** y = x E^T, E the weight's transpose as stored (out x in): what {@link #forward} costs. */
    public void forwardTransposed(FMatrixRMaj x, FMatrixRMaj transposedWeight, FMatrixRMaj y) {
        ops.multTransB(component, x, transposedWeight, y);
    }

    /** Differentiates {@link #forwardTransposed} for the input: dx = dy E. */
    public void backwardInputTransposed(FMatrixRMaj dy, FMatrixRMaj transposedWeight, FMatrixRMaj dx) {
        ops.mult(component, dy, transposedWeight, dx);
    }

    /** Differentiates {@link #forwardTransposed} for the weight: dE += dy^T x, into E's gradient. */
    public void backwardWeightTransposed(FMatrixRMaj x, FMatrixRMaj dy, FMatrixRMaj dTransposedWeight) {
        ops.multAddTransA(component, dy, x, dTransposedWeight);
    }
}
