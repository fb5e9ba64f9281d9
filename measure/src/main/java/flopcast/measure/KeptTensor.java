package flopcast.measure;

import flopcast.analytic.DataType;
import flopcast.analytic.KeptActivation;
import org.ejml.data.FMatrixRMaj;

/**
 * One instance of a kept activation. The forward pass writes it through {@link #matrix()}; the
 * backward pass reads it through {@link #read}, which records its floats in the counter the first
 * time in a step, so the counted kept floats are exactly the kept tensors the backward pass used.
 * A recomputation buffer (full recomputation: one block's worth, rewritten block by block) is read
 * the same way but records nothing: it is workspace, not kept.
 */
public final class KeptTensor {
    private final KeptActivation row;
    private final FMatrixRMaj[] matrices;
    private final int[] ints;
    private final long floats;
    private final boolean recomputeBuffer;
    private boolean readThisStep;

    KeptTensor(KeptActivation row, FMatrixRMaj[] matrices, int[] ints) {
        this(row, matrices, ints, false);
    }

    KeptTensor(KeptActivation row, FMatrixRMaj[] matrices, int[] ints, boolean recomputeBuffer) {
        this.row = row;
        this.recomputeBuffer = recomputeBuffer;
        this.matrices = matrices;
        this.ints = ints;
        long count = 0;
        for (FMatrixRMaj matrix : matrices) {
            count += matrix.getNumElements();
        }
        this.floats = count;
    }

    public KeptActivation row() {
        return row;
    }

    /** For the writer: the tensor's one matrix. */
    FMatrixRMaj matrix() {
        return matrices[0];
    }

    /** For the writer: all of a 4-axis tensor's matrices. */
    FMatrixRMaj[] matrices() {
        return matrices;
    }

    /** For the writer: an int32 tensor's values. */
    int[] ints() {
        return ints;
    }

    /** For the backward pass: the one matrix, recorded as read. */
    FMatrixRMaj read(FlopCounter counter) {
        record(counter);
        return matrices[0];
    }

    /** For the backward pass: every matrix, recorded as read. */
    FMatrixRMaj[] readAll(FlopCounter counter) {
        record(counter);
        return matrices;
    }

    void startStep() {
        readThisStep = false;
    }

    private void record(FlopCounter counter) {
        if (!readThisStep && !recomputeBuffer && row.dataType() == DataType.FLOAT32) {
            counter.keptRead(row, floats);
        }
        readThisStep = true;
    }
}
