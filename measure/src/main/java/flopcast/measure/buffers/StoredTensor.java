package flopcast.measure.buffers;

import flopcast.analytic.Bf16Conversions;
import flopcast.analytic.DataType;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.counting.OpClass;
import flopcast.measure.counting.OpProfile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ejml.data.FMatrixRMaj;

/**
 * One stored instance of a tensor-table row, in the type the shape's policy gives it: float32
 * matrices the ops use in place, or bfloat16 bits (one {@code short[]} per matrix) that an op
 * reaches through its row's float32 {@link WorkingCopy}: {@link #load} widens the bits into the
 * copy, {@link #open} hands the copy over to be written, {@link #store} rounds the copy back into
 * the bits (to nearest even) and leaves the rounded values in it. Under float32 load and open
 * return the matrices themselves and store does nothing, so an op's code is the same under every
 * policy. A frozen QLoRA weight is a third kind: NF4 codes ({@link Nf4Weight}) that {@link #load}
 * dequantizes into the one bfloat16 buffer every NF4 weight shares (the dequantized-weight
 * workspace row) and widens into that buffer's working copy; it is never written.
 */
public final class StoredTensor {
    /** Float32 storage; null under bfloat16. */
    private final FMatrixRMaj[] matrices;
    /** bfloat16 storage, one array per matrix of the working copy; null under float32. */
    private final short[][] bits;
    private final WorkingCopy copy;
    /** Times the widening and rounding as {@link OpClass#BF16_CONVERSION}; null under float32 (nothing to time). */
    private final OpProfile profile;
    /** The NF4 codes of a frozen QLoRA weight; null for any other tensor. */
    private final Nf4Weight nf4;
    /** An NF4 weight's view of the shared buffer's working copy, shaped as the weight; null for any other tensor. */
    private final FMatrixRMaj dequantized;
    /** Marks each use of the storage in the step's {@link MemoryLog}; shared by every view of it; null: untracked. */
    private MemoryLog.Tracker tracker;
    /** An NF4 weight's: the shared buffer it is dequantized into, marked used where the weight is loaded. */
    private MemoryLog.Tracker dequantizedTracker;
    /** A float32 storage's views of another shape over its first matrix's floats ({@link #reshaped}), kept in step. */
    private final List<FMatrixRMaj> views = new ArrayList<>();
    /** The storage whose floats this one views ({@link #reshaped}); itself for storage of its own. */
    private StoredTensor root = this;

    private StoredTensor(FMatrixRMaj[] matrices, short[][] bits, WorkingCopy copy, OpProfile profile) {
        this(matrices, bits, copy, profile, null, null);
    }

    private StoredTensor(FMatrixRMaj[] matrices, short[][] bits, WorkingCopy copy, OpProfile profile, Nf4Weight nf4,
            FMatrixRMaj dequantized) {
        this.matrices = matrices;
        this.bits = bits;
        this.copy = copy;
        this.profile = profile;
        this.nf4 = nf4;
        this.dequantized = dequantized;
    }

    /** A float32 tensor of {@code matrices}. */
    public static StoredTensor float32(FMatrixRMaj... matrices) {
        return new StoredTensor(matrices, null, null, null);
    }

    /** A bfloat16 tensor shaped as {@code copy}, zeroed, whose ops go through {@code copy}; its conversions untimed. */
    public static StoredTensor bfloat16(WorkingCopy copy) {
        return bfloat16(copy, new FlopCounter().profile());
    }

    /** {@link #bfloat16(WorkingCopy)}, its conversions timed into {@code profile} where that is on. */
    public static StoredTensor bfloat16(WorkingCopy copy, OpProfile profile) {
        FMatrixRMaj[] shapes = copy.matrices();
        short[][] bits = new short[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            bits[i] = new short[shapes[i].getNumElements()];
        }
        return new StoredTensor(null, bits, copy, profile);
    }

    /**
     * A frozen {@code rows} x {@code columns} weight stored as NF4, all zero until
     * {@link #setValues}; {@link #load} dequantizes it into {@code buffer}, a bfloat16 tensor of at
     * least as many elements that every NF4 weight shares, timed as {@link OpClass#NF4_DEQUANTIZE}.
     */
    public static StoredTensor nf4(int rows, int columns, StoredTensor buffer) {
        if (buffer.bits == null || buffer.bits.length != 1 || buffer.bits[0].length < (long) rows * columns) {
            throw new IllegalArgumentException("an NF4 weight of " + rows + " x " + columns + " is dequantized into"
                    + " one bfloat16 matrix at least as large");
        }
        FMatrixRMaj view = FMatrixRMaj.wrap(rows, columns, buffer.copy.matrices()[0].data);
        StoredTensor weight = new StoredTensor(null, buffer.bits, buffer.copy, buffer.profile,
                new Nf4Weight(rows, columns), view);
        weight.dequantizedTracker = buffer.tracker;
        return weight;
    }

    /**
     * Tracks this storage's uses in {@code log} as {@code kind}: its bytes, float32's 4 an element,
     * bfloat16's 2, an NF4 weight's codes, maxima and constants.
     */
    void track(MemoryLog log, MemoryLog.Kind kind) {
        long bytes = nf4 != null ? nf4Bytes() : Math.multiplyExact(elements(), (long) dataType().bytes());
        // an NF4 weight's codes persist (its bits are the dequantized workspace row's, which the pool renews)
        tracker = log.track(bytes, kind, nf4 != null ? null : new PooledArrays());
    }

    /**
     * Its arrays as the pool releases and allocates them: dropped (a matrix's {@code data} set to null, so a
     * use the pool did not expect fails at once) and allocated anew, zeroed, for it and every view of it.
     */
    private final class PooledArrays implements MemoryLog.Storage {
        private final int[] lengths;

        PooledArrays() {
            lengths = new int[bits == null ? matrices.length : bits.length];
            for (int i = 0; i < lengths.length; i++) {
                lengths[i] = bits == null ? matrices[i].data.length : bits[i].length;
            }
        }

        @Override
        public void release() {
            for (int i = 0; i < lengths.length; i++) {
                if (bits == null) {
                    matrices[i].data = null;
                } else {
                    bits[i] = null;
                }
            }
            for (FMatrixRMaj view : views) {
                view.data = null;
            }
        }

        @Override
        public void allocate() {
            for (int i = 0; i < lengths.length; i++) {
                if (bits == null) {
                    matrices[i].data = new float[lengths[i]];
                } else {
                    bits[i] = new short[lengths[i]];
                }
            }
            for (FMatrixRMaj view : views) {
                view.data = matrices[0].data;
            }
        }
    }

    private void touch() {
        if (tracker != null) {
            tracker.touch();
        }
    }

    /**
     * This one-matrix tensor's storage as a {@code rows} x {@code columns} matrix of at most as many elements:
     * one buffer that blocks of different kinds share, each seeing its own shape (a workspace row sized for the
     * largest, read by a dense layer's smaller MLP among experts). Under bfloat16 the bits are the same arrays,
     * converted whole, through the working copy's storage shaped alike.
     */
    public StoredTensor reshaped(int rows, int columns) {
        requireWritable();
        FMatrixRMaj[] own = shape();
        if (own.length != 1 || (long) rows * columns > own[0].getNumElements()) {
            throw new IllegalArgumentException("a " + rows + " x " + columns + " view needs one matrix of at least"
                    + " as many elements");
        }
        if (own[0].getNumRows() == rows && own[0].getNumCols() == columns) {
            return this;
        }
        StoredTensor view;
        if (bits == null) {
            FMatrixRMaj matrix = wrap(matrices, rows, columns);
            // the pool allocates this storage anew after releasing it: the view follows
            root.views.add(matrix);
            view = new StoredTensor(new FMatrixRMaj[] {matrix}, null, null, null);
            view.root = root;
        } else {
            // the bits are the same arrays: the pool replaces their elements, which the view shares
            view = new StoredTensor(null, bits, copy.reshaped(rows, columns), profile);
        }
        view.tracker = tracker;
        return view;
    }

    private static FMatrixRMaj wrap(FMatrixRMaj[] matrices, int rows, int columns) {
        return FMatrixRMaj.wrap(rows, columns, matrices[0].data);
    }

    /** The type an op reads: float32, or bfloat16 (an NF4 weight's too, which is dequantized into bfloat16). */
    public DataType dataType() {
        return bits == null ? DataType.FLOAT32 : DataType.BFLOAT16;
    }

    /** True for a frozen weight stored as NF4. */
    public boolean isNf4() {
        return nf4 != null;
    }

    /** The bytes an NF4 weight's codes, maxima and constants hold ({@link Nf4Weight#bytes}); 0 for any other tensor. */
    public long nf4Bytes() {
        return nf4 == null ? 0 : nf4.bytes();
    }

    /** Elements of all its matrices. */
    public long elements() {
        if (nf4 != null) {
            return nf4.elements();
        }
        long count = 0;
        for (FMatrixRMaj matrix : shape()) {
            count += matrix.getNumElements();
        }
        return count;
    }

    private FMatrixRMaj[] shape() {
        return bits == null ? matrices : copy.matrices();
    }

    /** Its one matrix, as float32 values an op reads (and may update, then {@link #store}). */
    public FMatrixRMaj load() {
        return loadAll()[0];
    }

    /** All its matrices as float32 values. */
    public FMatrixRMaj[] loadAll() {
        touch();
        if (bits == null) {
            return matrices;
        }
        if (nf4 != null) {
            // bitsandbytes' dequantize_4bit into the compute type, then widened as every bfloat16 operand is
            if (dequantizedTracker != null) {
                dequantizedTracker.touch();
            }
            long start = profile.start();
            FMatrixRMaj work = copy.claim(this)[0];
            nf4.dequantize(bits[0]);
            BFloat16.widen(bits[0], work.data, Math.toIntExact(nf4.elements()));
            profile.stop(OpClass.NF4_DEQUANTIZE, start);
            return new FMatrixRMaj[] {dequantized};
        }
        long start = profile.start();
        FMatrixRMaj[] work = copy.claim(this);
        long elements = 0;
        for (int i = 0; i < bits.length; i++) {
            BFloat16.widen(bits[i], work[i].data, bits[i].length);
            elements += bits[i].length;
        }
        profile.stopMoving(OpClass.BF16_CONVERSION, start, elements * Bf16Conversions.WIDEN_BYTES);
        return work;
    }

    /** Its one matrix for an op to write whole (its previous values are not widened), then {@link #store}. */
    public FMatrixRMaj open() {
        return openAll()[0];
    }

    /** All its matrices, to be written whole. */
    public FMatrixRMaj[] openAll() {
        requireWritable();
        touch();
        return bits == null ? matrices : copy.claim(this);
    }

    private void requireWritable() {
        if (nf4 != null) {
            throw new IllegalStateException("an NF4 weight is frozen: it is written by setValues alone");
        }
    }

    /** Rounds what an op wrote into the working copy back into the bits; nothing under float32. */
    public void store() {
        requireWritable();
        touch();
        if (bits == null) {
            return;
        }
        long start = profile.start();
        FMatrixRMaj[] work = copy.heldBy(this);
        long elements = 0;
        for (int i = 0; i < bits.length; i++) {
            BFloat16.narrow(work[i].data, bits[i], bits[i].length);
            elements += bits[i].length;
        }
        profile.stopMoving(OpClass.BF16_CONVERSION, start, elements * Bf16Conversions.ROUND_BYTES);
    }

    /**
     * Marks the storage written at this phase with nothing to add: a gradient of zeros (an expert no token
     * reached), which a pool allocates, zeroed, where the gradient was set to none.
     */
    public void written() {
        touch();
    }

    /** Sets every element to 0. */
    public void zero() {
        requireWritable();
        if (tracker != null) {
            tracker.touchZeroed();
            if (!tracker.held) {
                return;   // a gradient set to none: allocated, zeroed, by its first accumulation
            }
        }
        if (bits == null) {
            for (FMatrixRMaj matrix : matrices) {
                Arrays.fill(matrix.data, 0f);
            }
        } else {
            for (short[] values : bits) {
                Arrays.fill(values, (short) 0);
            }
        }
    }

    /** Its values, widened, in a new array (matrix after matrix): for tests and reports. */
    public float[] values() {
        if (nf4 != null) {
            return nf4.values();
        }
        float[] values = new float[Math.toIntExact(elements())];
        int offset = 0;
        for (int i = 0; i < shape().length; i++) {
            int length = shape()[i].getNumElements();
            for (int j = 0; j < length; j++) {
                values[offset + j] = bits == null ? matrices[i].data[j] : BFloat16.widen(bits[i][j]);
            }
            offset += length;
        }
        return values;
    }

    /**
     * Sets its values from {@code values} (matrix after matrix), rounded to nearest even under bfloat16,
     * quantized for an NF4 weight.
     */
    public void setValues(float[] values) {
        if (nf4 != null) {
            nf4.quantize(values);
            return;
        }
        if (values.length != elements()) {
            throw new IllegalArgumentException("expected " + elements() + " values, got " + values.length);
        }
        int offset = 0;
        for (int i = 0; i < shape().length; i++) {
            int length = shape()[i].getNumElements();
            for (int j = 0; j < length; j++) {
                if (bits == null) {
                    matrices[i].data[j] = values[offset + j];
                } else {
                    bits[i][j] = BFloat16.round(values[offset + j]);
                }
            }
            offset += length;
        }
    }

    /**
     * The float32 matrices of one row instance that every bfloat16 instance of the row shares: the
     * table's working copy ({@link flopcast.analytic.WorkingCopies}). It remembers which instance
     * it holds, so a store from an instance another has since claimed is an error, not a silent
     * overwrite.
     */
    public static final class WorkingCopy {
        private final FMatrixRMaj[] matrices;
        /** The copy whose storage this one shapes otherwise ({@link #reshaped}); itself for a copy of its own. */
        private final WorkingCopy root;
        private StoredTensor holder;

        WorkingCopy(FMatrixRMaj[] matrices) {
            this.matrices = matrices;
            this.root = this;
        }

        private WorkingCopy(FMatrixRMaj[] matrices, WorkingCopy root) {
            this.matrices = matrices;
            this.root = root;
        }

        /**
         * This one-matrix copy's storage as a {@code rows} x {@code columns} matrix, at most as many elements: the
         * copy a smaller kind of block's instances of the row share (a dense layer's among experts). Who holds
         * it is this copy's holder, so a store from an instance another shape has since claimed is still caught.
         */
        WorkingCopy reshaped(int rows, int columns) {
            return new WorkingCopy(new FMatrixRMaj[] {wrap(matrices, rows, columns)}, root);
        }

        FMatrixRMaj[] matrices() {
            return matrices;
        }

        long elements() {
            long count = 0;
            for (FMatrixRMaj matrix : matrices) {
                count += matrix.getNumElements();
            }
            return count;
        }

        FMatrixRMaj[] claim(StoredTensor tensor) {
            root.holder = tensor;
            return matrices;
        }

        FMatrixRMaj[] heldBy(StoredTensor tensor) {
            if (root.holder != tensor) {
                throw new IllegalStateException("a working copy is stored from a tensor that no longer holds it");
            }
            return matrices;
        }
    }
}
