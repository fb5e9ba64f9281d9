package flopcast.measure.buffers;

import flopcast.analytic.DataType;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Scope;
import flopcast.analytic.Shape;
import flopcast.analytic.TensorSpec;
import flopcast.analytic.WorkingCopies;
import flopcast.analytic.WorkspaceBuffer;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.counting.OpProfile;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.ejml.data.FMatrixRMaj;

/**
 * Every buffer the model holds, allocated from the analytic tables (all of them as the model is built; a
 * {@link BufferPool} may release and allocate them anew as a step's timeline says): one {@link Parameter}
 * per parameter row and instance, one {@link KeptTensor} per kept-activation row and instance the
 * shape's settings hold, one buffer per workspace row they hold, each in the type the precision
 * policy gives it (a QLoRA projection's weight in NF4, {@link StoredTensor#nf4}), and under a bf16
 * policy one float32 working copy per bfloat16 row ({@link WorkingCopies}). Where blocks differ (a
 * {@code --freeze-layers} range, dense layers among experts) each block's rows are allocated at its own
 * view ({@link Shape#block}), and a buffer the blocks share at the largest, each block seeing it in its own
 * shape ({@link StoredTensor#reshaped}). Adding a row to a table adds its buffer here.
 */
public final class ModelBuffers {
    private final Map<ParameterTensor, Parameter[]> parameters = new EnumMap<>(ParameterTensor.class);
    private final Map<KeptActivation, KeptTensor[]> kept = new EnumMap<>(KeptActivation.class);
    private final Map<WorkspaceBuffer, StoredTensor> workspace = new EnumMap<>(WorkspaceBuffer.class);
    /** The int32 workspace rows: a mixture of experts' dispatch order and expert counts. */
    private final Map<WorkspaceBuffer, PooledInts> workspaceInts = new EnumMap<>(WorkspaceBuffer.class);
    /** Full recomputation's one block of buffers, shared by every block. */
    private final Map<KeptActivation, KeptTensor> recomputed = new EnumMap<>(KeptActivation.class);
    /** LoRA's scratch for a forward output no adapter keeps ({@link WorkspaceBuffer#frozenInput}), by row. */
    private final Map<KeptActivation, KeptTensor> scratch = new EnumMap<>(KeptActivation.class);
    private final List<Parameter> allParameters = new ArrayList<>();
    private final List<Parameter> trainable = new ArrayList<>();
    private final List<KeptTensor> allKept = new ArrayList<>();
    /** Float32 elements of the working copies allocated: {@link WorkingCopies}' rows. */
    private long workingCopyFloats;
    private final OpProfile profile;
    /** When the step uses each buffer: every buffer here is tracked in it. */
    private final MemoryLog memoryLog = new MemoryLog();
    private final Shape shape;
    /**
     * True where blocks differ (a --freeze-layers range that leaves some training, dense layers among experts):
     * a block row's kept slots are by block, and a buffer blocks share is shaped for each block's kind.
     */
    private final boolean blockShapes;
    /** Each block's view of the shape ({@link Shape#block}): the shape itself where blocks are alike. */
    private final Shape[] blocks;
    /** Where each block's instances of a per-layer parameter row start: E a block for an expert's matrix. */
    private final Map<ParameterTensor, int[]> offsets = new EnumMap<>(ParameterTensor.class);

    /** Every buffer at {@code shape}; the bfloat16 conversions untimed. */
    public ModelBuffers(Shape shape) {
        this(shape, new FlopCounter().profile());
    }

    /** Every buffer at {@code shape}, its bfloat16 conversions timed into {@code profile} where that is on. */
    public ModelBuffers(Shape shape, OpProfile profile) {
        this.profile = profile;
        this.shape = shape;
        this.blockShapes = shape.mixedBlocks();
        blocks = new Shape[Math.toIntExact(shape.layers())];
        for (int layer = 0; layer < blocks.length; layer++) {
            blocks[layer] = shape.block(layer);
        }
        PrecisionPolicy policy = shape.policy();
        // the workspace first: QLoRA's NF4 weights are dequantized into one of its rows
        for (WorkspaceBuffer row : WorkspaceBuffer.values()) {
            // one buffer every block shares, shaped for the kind of block that needs most
            Shape largest = largest(row);
            if (row.instances(shape) > 0 && row.dataType() == DataType.INT32) {
                PooledInts values = new PooledInts(TensorAllocation.ints(row, largest));
                memoryLog.track(values.bytes(), MemoryLog.Kind.WORKSPACE, values);
                workspaceInts.put(row, values);
            } else if (row.instances(shape) > 0) {
                StoredTensor.WorkingCopy copy = WorkingCopies.copies(row, shape) ? workingCopy(row, largest) : null;
                StoredTensor buffer = stored(row, largest, row.dataType(shape), copy);
                buffer.track(memoryLog, MemoryLog.Kind.WORKSPACE);
                workspace.put(row, buffer);
            }
        }
        for (ParameterTensor row : ParameterTensor.values()) {
            List<WorkingCopies.Role> roles = WorkingCopies.parameterRoles(row, shape);
            boolean perLayer = row.scope() == Scope.PER_LAYER;
            int[] starts = new int[blocks.length + 1];
            for (int layer = 0; perLayer && layer < blocks.length; layer++) {
                starts[layer + 1] = starts[layer] + Math.toIntExact(row.instances(blocks[layer]) / shape.layers());
            }
            offsets.put(row, starts);
            Parameter[] instances = new Parameter[Math.toIntExact(perLayer ? starts[blocks.length]
                    : row.instances(shape))];
            Map<WorkingCopies.Role, StoredTensor.WorkingCopy> copies = new EnumMap<>(WorkingCopies.Role.class);
            if (instances.length > 0) {
                Shape largest = perLayer ? largest(row) : shape;
                for (WorkingCopies.Role role : roles) {
                    copies.put(role, workingCopy(row, largest));
                }
            }
            int layer = 0;
            for (int index = 0; index < instances.length; index++) {
                while (perLayer && index >= starts[layer + 1]) {
                    layer++;
                }
                // a block's row trains, and is shaped, by its block: a frozen range, a dense layer among experts
                Shape at = perLayer ? blocks[layer] : shape;
                StoredTensor weights = row.nf4(at) ? nf4(row, at)
                        : stored(row, at, policy.weightType(), reshaped(copies.get(WorkingCopies.Role.WEIGHT), row, at));
                weights.track(memoryLog, MemoryLog.Kind.WEIGHTS);
                if (!row.trains(at)) {
                    // frozen under LoRA, by kind or by block: the weights alone, no gradient, master copy or moments
                    instances[index] = new Parameter(row, index, weights, null, null, null, null);
                    allParameters.add(instances[index]);
                    continue;
                }
                StoredTensor master = policy.masterWeightType() == null ? null
                        : stored(row, at, policy.masterWeightType(), null);
                instances[index] = new Parameter(row, index, weights,
                        stored(row, at, policy.gradientType(), reshaped(copies.get(WorkingCopies.Role.GRADIENT), row, at)),
                        master,
                        stored(row, at, policy.firstMomentType(),
                                reshaped(copies.get(WorkingCopies.Role.FIRST_MOMENT), row, at)),
                        stored(row, at, policy.secondMomentType(),
                                reshaped(copies.get(WorkingCopies.Role.SECOND_MOMENT), row, at)));
                instances[index].grad.track(memoryLog, MemoryLog.Kind.GRADIENTS);
                for (StoredTensor state : new StoredTensor[] {master, instances[index].m, instances[index].v}) {
                    if (state != null) {
                        state.track(memoryLog, MemoryLog.Kind.OPTIMIZER_STATE);
                    }
                }
                allParameters.add(instances[index]);
                trainable.add(instances[index]);
            }
            parameters.put(row, instances);
        }
        for (KeptActivation row : KeptActivation.values()) {
            // where blocks differ, one slot a block, empty where the block keeps none
            boolean byBlock = blockShapes && row.scope() != Scope.ONCE;
            KeptTensor[] instances = new KeptTensor[Math.toIntExact(byBlock ? shape.layers() : row.instances(shape))];
            Shape largest = byBlock ? largest(row) : shape;
            StoredTensor.WorkingCopy copy = WorkingCopies.copies(row, shape) ? workingCopy(row, largest) : null;
            for (int layer = 0; layer < instances.length; layer++) {
                Shape at = byBlock ? blocks[layer] : shape;
                if (byBlock && row.instances(at) == 0) {
                    continue;
                }
                instances[layer] = row.dataType() == DataType.INT32
                        ? new KeptTensor(row, TensorAllocation.ints(row, at))
                        : new KeptTensor(row, stored(row, at, row.dataType(shape), reshaped(copy, row, at)), false);
                instances[layer].track(memoryLog, MemoryLog.Kind.ACTIVATIONS);
                allKept.add(instances[layer]);
            }
            kept.put(row, instances);
            if (row.recomputeInstances(shape) > 0) {
                // full recomputation's one block of buffers, shaped for the block that needs most
                Shape buffer = byBlock ? largest(row) : shape;
                KeptTensor blockBuffer = row.dataType() == DataType.INT32
                        ? new KeptTensor(row, TensorAllocation.ints(row, buffer))
                        : new KeptTensor(row, stored(row, buffer, row.dataType(shape), copy), true);
                blockBuffer.track(memoryLog, MemoryLog.Kind.ACTIVATIONS);
                recomputed.put(row, blockBuffer);
            }
        }
        for (KeptActivation row : KeptActivation.values()) {
            WorkspaceBuffer buffer = WorkspaceBuffer.frozenInput(row);
            if (buffer != null && unreadSomewhere(row, shape) && buffer.instances(shape) > 0) {
                // never read by backward, so recorded as no kept read (a buffer, as full recomputation's)
                scratch.put(row, new KeptTensor(row, workspace(buffer), true));
            }
        }
    }

    /**
     * The view of the shape at which {@code row} has the most elements among the kinds of block that hold it:
     * a buffer every block shares is allocated there. The shape itself where blocks are alike.
     */
    private Shape largest(TensorSpec row) {
        Shape largest = shape;
        long most = -1;
        for (Shape block : blockShapes ? blocks : new Shape[] {shape}) {
            long elements = row.instances(block) > 0 || row instanceof KeptActivation kept
                    && kept.recomputeInstances(block) > 0 ? row.elements(block) : 0;
            if (elements > most) {
                most = elements;
                largest = block;
            }
        }
        return largest;
    }

    /** {@code copy} shaped as {@code row} is at {@code at}: itself where the shapes agree; null for none. */
    private static StoredTensor.WorkingCopy reshaped(StoredTensor.WorkingCopy copy, TensorSpec row, Shape at) {
        if (copy == null) {
            return null;
        }
        FMatrixRMaj own = copy.matrices()[0];
        long columns = row.dims().get(row.dims().size() - 1).size(at);
        long rows = columns == 0 ? 0 : row.elements(at) / columns;
        return copy.matrices().length == 1 && (own.getNumRows() != rows || own.getNumCols() != columns)
                ? copy.reshaped(Math.toIntExact(rows), Math.toIntExact(columns)) : copy;
    }

    /** {@code stored} shaped as {@code row} is at block {@code layer}'s view: itself where the shapes agree. */
    private StoredTensor atBlock(StoredTensor stored, TensorSpec row, int layer) {
        if (!blockShapes || stored.isNf4()) {
            return stored;
        }
        Shape at = blocks[layer];
        long columns = row.dims().get(row.dims().size() - 1).size(at);
        long rows = columns == 0 ? 0 : row.elements(at) / columns;
        return TensorAllocation.perHead(row) ? stored : stored.reshaped(Math.toIntExact(rows), Math.toIntExact(columns));
    }

    /** Whether some block writes {@code row} where no gradient reads it: at any kind of block where blocks differ. */
    private boolean unreadSomewhere(KeptActivation row, Shape shape) {
        if (blockShapes && row.scope() != Scope.ONCE) {
            for (Shape block : blocks) {
                if (!row.readUnderLora(block)) {
                    return true;
                }
            }
            return false;
        }
        return !row.readUnderLora(shape);
    }

    /** One instance of {@code row} stored as {@code type}: float32 matrices, or bfloat16 bits through {@code copy}. */
    private StoredTensor stored(TensorSpec row, Shape shape, DataType type, StoredTensor.WorkingCopy copy) {
        if (type == DataType.FLOAT32) {
            return StoredTensor.float32(TensorAllocation.matrices(row, shape));
        }
        if (type != DataType.BFLOAT16 || copy == null) {
            throw new IllegalStateException("tensor " + row.tensorName() + " is stored as " + type.label()
                    + " without a working copy");
        }
        return StoredTensor.bfloat16(copy, profile);
    }

    /** One instance of a QLoRA projection's weight in NF4, dequantized into the shared workspace row. */
    private StoredTensor nf4(ParameterTensor row, Shape shape) {
        long columns = row.dims().get(row.dims().size() - 1).size(shape);
        return StoredTensor.nf4(Math.toIntExact(row.elements(shape) / columns), Math.toIntExact(columns),
                workspace(WorkspaceBuffer.DEQUANTIZED_WEIGHT));
    }

    private StoredTensor.WorkingCopy workingCopy(TensorSpec row, Shape shape) {
        StoredTensor.WorkingCopy copy = new StoredTensor.WorkingCopy(TensorAllocation.matrices(row, shape));
        workingCopyFloats += copy.elements();
        return copy;
    }

    /** Float32 elements of the working copies it allocated. */
    public long workingCopyFloats() {
        return workingCopyFloats;
    }

    /** Block {@code layer}'s instance of {@code row} (its first expert's under experts); 0 for a row outside the blocks. */
    public Parameter parameter(ParameterTensor row, int layer) {
        return parameter(row, layer, 0);
    }

    /** Block {@code layer}'s copy {@code copy} of {@code row}: expert {@code copy}'s matrix under experts. */
    public Parameter parameter(ParameterTensor row, int layer, int copy) {
        Parameter held = parameterIfHeld(row, layer, copy);
        if (held == null) {
            throw new IllegalStateException("block " + layer + " holds no " + row.tensorName());
        }
        return held;
    }

    public Parameter parameter(ParameterTensor row) {
        return parameter(row, 0);
    }

    /** Block {@code layer}'s instance of {@code row}, or null where the architecture holds none (an unused bias). */
    public Parameter parameterIfHeld(ParameterTensor row, int layer) {
        return parameterIfHeld(row, layer, 0);
    }

    /** Block {@code layer}'s copy {@code copy} of {@code row}, or null where its block holds none. */
    public Parameter parameterIfHeld(ParameterTensor row, int layer, int copy) {
        Parameter[] instances = parameters.get(row);
        if (row.scope() != Scope.PER_LAYER) {
            return instances.length == 0 ? null : instances[layer + copy];
        }
        int[] starts = offsets.get(row);
        return starts[layer] + copy < starts[layer + 1] ? instances[starts[layer] + copy] : null;
    }

    public KeptTensor kept(KeptActivation row, int layer) {
        return kept.get(row)[layer];
    }

    /**
     * True where the shape's settings keep {@code row} (eager's probabilities are dropped under selective
     * recomputation), in some block under a {@code --freeze-layers} range.
     */
    public boolean keeps(KeptActivation row) {
        for (KeptTensor instance : kept.get(row)) {
            if (instance != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Block {@code layer}'s instance of {@code row}: its kept one, or under full recomputation the
     * one block's buffer every block shares, or under LoRA the scratch a forward output no adapter
     * keeps is written into; null where the settings hold none.
     */
    public KeptTensor keptOrRecomputed(KeptActivation row, int layer) {
        if (!blockShapes) {
            if (keeps(row)) {
                return kept(row, layer);
            }
            KeptTensor buffer = recomputed.get(row);
            return buffer != null ? buffer : scratch.get(row);
        }
        // where blocks differ, the block's own kind of block decides, and a shared buffer takes the block's shape
        KeptTensor[] instances = kept.get(row);
        int slot = row.scope() == Scope.ONCE ? 0 : layer;
        if (slot < instances.length && instances[slot] != null) {
            return instances[slot];
        }
        if (row.scope() == Scope.ONCE) {
            KeptTensor buffer = recomputed.get(row);
            return buffer != null ? buffer : scratch.get(row);
        }
        KeptTensor buffer = row.recomputeInstances(blocks[layer]) > 0 ? recomputed.get(row) : scratch.get(row);
        if (buffer == null || buffer.stored() == null) {
            return buffer;
        }
        return new KeptTensor(row, atBlock(buffer.stored(), row, layer), buffer.recomputeBuffer());
    }

    public KeptTensor kept(KeptActivation row) {
        return kept(row, 0);
    }

    /**
     * Block {@code layer}'s output of {@code layers}: its kept instance, or, where only the last block's is
     * kept (no norm before attention and no gradient reading a block's input, {@link KeptActivation#instances}),
     * the last block's for the last and the scratch between blocks (block 0's input's) for the others.
     */
    public KeptTensor blockOutput(int layer, int layers) {
        KeptTensor[] instances = kept.get(KeptActivation.FFN_RESIDUAL);
        if (instances.length == layers) {
            return instances[layer];
        }
        if (layer == layers - 1) {
            return instances[0];
        }
        KeptTensor between = scratch.get(KeptActivation.EMBEDDING_OUTPUT);
        if (between == null) {
            throw new IllegalStateException("block " + layer + "'s output is neither kept nor scratch");
        }
        return between;
    }

    /**
     * The buffer of {@code row} as block {@code layer} sees it: shaped for that block's kind where blocks differ
     * (a dense layer's narrower MLP among experts), the one buffer itself where they agree.
     */
    public StoredTensor workspace(WorkspaceBuffer row, int layer) {
        return atBlock(workspace(row), row, layer);
    }

    /** The buffer of {@code row}, in the type the policy gives it; an error where the shape's settings hold none. */
    public StoredTensor workspace(WorkspaceBuffer row) {
        StoredTensor buffer = workspace.get(row);
        if (buffer == null) {
            throw new IllegalStateException("workspace row " + row.tensorName() + " is not held under these settings");
        }
        return buffer;
    }

    /** The values of an int32 workspace row; an error where the settings hold none. */
    public int[] workspaceInts(WorkspaceBuffer row) {
        PooledInts held = workspaceInts.get(row);
        int[] values = held == null ? null : held.values();
        if (held != null && values == null) {
            throw new IllegalStateException("int32 workspace row " + row.tensorName() + " is used while the pool has"
                    + " given it back");
        }
        if (values == null) {
            throw new IllegalStateException("int32 workspace row " + row.tensorName() + " is not held under these"
                    + " settings");
        }
        return values;
    }

    /**
     * The float32 matrix of a scratch row (an attention kernel's, float32 under every policy),
     * used in place; an error where the settings hold none.
     */
    public FMatrixRMaj scratch(WorkspaceBuffer row) {
        StoredTensor buffer = workspace(row);
        if (buffer.dataType() != DataType.FLOAT32) {
            throw new IllegalStateException("workspace row " + row.tensorName() + " is stored as "
                    + buffer.dataType().label() + ", not float32 scratch");
        }
        return buffer.open();
    }

    public List<Parameter> parameters() {
        return allParameters;
    }

    /** The parameter instances the step trains (every one, or LoRA's adapters), in table order. */
    public List<Parameter> trainableParameters() {
        return trainable;
    }

    public void startStep() {
        for (int i = 0; i < allKept.size(); i++) {
            allKept.get(i).startStep();
        }
    }

    /** When the step uses each buffer ({@link MemoryLog}). */
    public MemoryLog memoryLog() {
        return memoryLog;
    }
}
