package flopcast.measure.buffers;

import flopcast.analytic.ParameterTensor;
import org.ejml.data.FMatrixRMaj;

/**
 * One instance of a parameter tensor with its gradient and AdamW moments, all of the table row's
 * shape, each stored in the type the shape's precision policy gives it ({@link StoredTensor}), and
 * the float32 master copy a mixed-precision policy updates (null where it keeps none).
 */
public final class Parameter {
    private final ParameterTensor row;
    private final int layer;
    public final StoredTensor value;
    public final StoredTensor grad;
    /** The float32 weights AdamW updates under a mixed policy; null where the weights are updated in place. */
    public final StoredTensor master;
    public final StoredTensor m;
    public final StoredTensor v;

    /** A float32 parameter; {@code row} is null for a tensor outside the model (a benchmark's AdamW alone). */
    public Parameter(ParameterTensor row, int layer, FMatrixRMaj value, FMatrixRMaj grad, FMatrixRMaj m, FMatrixRMaj v) {
        this(row, layer, StoredTensor.float32(value), StoredTensor.float32(grad), null, StoredTensor.float32(m),
                StoredTensor.float32(v));
    }

    public Parameter(ParameterTensor row, int layer, StoredTensor value, StoredTensor grad, StoredTensor master,
            StoredTensor m, StoredTensor v) {
        this.row = row;
        this.layer = layer;
        this.value = value;
        this.grad = grad;
        this.master = master;
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

    /** The float32 weights, used in place; an error where the policy stores them in bfloat16 (see {@link #weights}). */
    public FMatrixRMaj value() {
        return float32(value, "weights");
    }

    /** The float32 gradient, used in place; an error where the policy stores it in bfloat16 (see {@link #gradient}). */
    public FMatrixRMaj grad() {
        return float32(grad, "gradient");
    }

    private FMatrixRMaj float32(StoredTensor tensor, String what) {
        if (tensor.dataType() != flopcast.analytic.DataType.FLOAT32) {
            throw new IllegalStateException((row == null ? "this parameter" : row.tensorName()) + "'s " + what
                    + " are stored as " + (tensor.isNf4() ? "NF4" : "bfloat16") + "; read them with weights() or"
                    + " gradient()");
        }
        return tensor.load();
    }

    /** The weights the forward pass multiplies by, widened to float32, in a new array. */
    public float[] weights() {
        return value.values();
    }

    /** The gradient of the last backward pass, widened to float32, in a new array. */
    public float[] gradient() {
        return grad.values();
    }

    /**
     * Sets the weights: the master copy to {@code values} exactly where there is one, and the
     * stored weights to {@code values} rounded to the policy's weight type.
     */
    public void setWeights(float[] values) {
        if (master != null) {
            master.setValues(values);
        }
        value.setValues(values);
    }

    public int size() {
        return Math.toIntExact(value.elements());
    }
}
