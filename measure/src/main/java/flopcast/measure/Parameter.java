package flopcast.measure;

import flopcast.analytic.ParameterTensor;
import org.ejml.data.FMatrixRMaj;

/**
 * One instance of a parameter tensor with its gradient and AdamW moments, all of the table row's
 * shape.
 */
public final class Parameter {
    private final ParameterTensor row;
    private final int layer;
    final FMatrixRMaj value;
    final FMatrixRMaj grad;
    final FMatrixRMaj m;
    final FMatrixRMaj v;

    /** {@code row} is null for a tensor outside the model (a benchmark's AdamW alone). */
    public Parameter(ParameterTensor row, int layer, FMatrixRMaj value, FMatrixRMaj grad, FMatrixRMaj m, FMatrixRMaj v) {
        this.row = row;
        this.layer = layer;
        this.value = value;
        this.grad = grad;
        this.m = m;
        this.v = v;
    }

    public ParameterTensor row() {
        return row;
    }

    /** The block it belongs to, or 0 for a tensor the model has once. */
    public int layer() {
        return layer;
    }

    public FMatrixRMaj value() {
        return value;
    }

    public FMatrixRMaj grad() {
        return grad;
    }

    public int size() {
        return value.getNumElements();
    }
}
