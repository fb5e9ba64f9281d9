package flopcast.measure.buffers;

import flopcast.analytic.KeptActivation;
import flopcast.measure.counting.FlopCounter;
import org.ejml.data.FMatrixRMaj;

/**
 * One instance of a kept activation, stored in its row's type ({@link StoredTensor}). The forward
 * pass writes it through {@link #matrix()} and rounds what it wrote into storage with
 * {@link #store()}; a later forward op reads it through {@link #use()}; the backward pass reads it
 * through {@link #read}, which records its elements in the counter the first time in a step, so
 * the counted kept floats are exactly the kept tensors the backward pass used. A recomputation
 * buffer (full recomputation: one block's worth, rewritten block by block) is read the same way
 * but records nothing: it is workspace, not kept.
 */
public final class KeptTensor {
    private final KeptActivation row;
    private final StoredTensor stored;
    /** An int32 tensor's values; null for a float tensor. */
    private final PooledInts ints;
    private final boolean recomputeBuffer;
    private boolean readThisStep;
    /** An int32 tensor's uses in the step's {@link MemoryLog}; null for a float tensor (its storage tracks) or untracked. */
    private MemoryLog.Tracker intTracker;

    /** A float tensor. */
    public KeptTensor(KeptActivation row, StoredTensor stored, boolean recomputeBuffer) {
        this.row = row;
        this.stored = stored;
        this.ints = null;
        this.recomputeBuffer = recomputeBuffer;
    }

    /** An int32 tensor. */
    public KeptTensor(KeptActivation row, int[] ints) {
        this.row = row;
        this.stored = null;
        this.ints = new PooledInts(ints);
        this.recomputeBuffer = false;
    }

    public KeptActivation row() {
        return row;
    }

    /** Tracks its storage's uses in {@code log} as {@code kind}: an int32 tensor's 4 bytes an element. */
    void track(MemoryLog log, MemoryLog.Kind kind) {
        if (stored != null) {
            stored.track(log, kind);
        } else {
            intTracker = log.track(ints.bytes(), kind, ints);
        }
    }

    /** Its float storage (null for an int32 tensor): for a buffer that blocks of different kinds see shaped each their way. */
    StoredTensor stored() {
        return stored;
    }

    /** True for full recomputation's buffer or a scratch row: written, but no kept read recorded. */
    boolean recomputeBuffer() {
        return recomputeBuffer;
    }

    /** For the writer: the tensor's one matrix, to be written whole, then {@link #store()}. */
    public FMatrixRMaj matrix() {
        return stored.open();
    }

    /** For the writer: all of a 4-axis tensor's matrices, to be written whole, then {@link #store()}. */
    public FMatrixRMaj[] matrices() {
        return stored.openAll();
    }

    /** For the writer: rounds what it wrote into the tensor's storage (nothing to do under float32). */
    public void store() {
        stored.store();
    }

    /** For a later op of the forward pass: the one matrix's stored values. */
    public FMatrixRMaj use() {
        return stored.load();
    }

    /** For the writer: an int32 tensor's values. */
    public int[] ints() {
        if (intTracker != null) {
            intTracker.touch();
        }
        return ints == null ? null : ints.values();
    }

    /** For the backward pass: the one matrix's stored values, recorded as read. */
    public FMatrixRMaj read(FlopCounter counter) {
        record(counter);
        return stored.load();
    }

    /** For the backward pass: every matrix's stored values, recorded as read. */
    public FMatrixRMaj[] readAll(FlopCounter counter) {
        record(counter);
        return stored.loadAll();
    }

    public void startStep() {
        readThisStep = false;
    }

    private void record(FlopCounter counter) {
        if (!readThisStep && !recomputeBuffer) {
            counter.keptRead(row, stored.elements());
        }
        readThisStep = true;
    }
}
