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
 * Every buffer the model holds, allocated once from the analytic tables: one {@link Parameter}
 * per parameter row and instance, one {@link KeptTensor} per kept-activation row and instance the
 * shape's settings hold, one buffer per workspace row they hold, each in the type the precision
 * policy gives it (a QLoRA projection's weight in NF4, {@link StoredTensor#nf4}), and under a bf16
 * policy one float32 working copy per bfloat16 row ({@link WorkingCopies}). Adding a row to a table adds its buffer here.
 */
public final class ModelBuffers {
    private final Map<ParameterTensor, Parameter[]> parameters = new EnumMap<>(ParameterTensor.class);
    private final Map<KeptActivation, KeptTensor[]> kept = new EnumMap<>(KeptActivation.class);
    private final Map<WorkspaceBuffer, StoredTensor> workspace = new EnumMap<>(WorkspaceBuffer.class);
    /** The int32 workspace rows: a mixture of experts' dispatch order and expert counts. */
    private final Map<WorkspaceBuffer, int[]> workspaceInts = new EnumMap<>(WorkspaceBuffer.class);
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
    private final Shape shape;
    /** True under a --freeze-layers range that leaves some blocks training: a block row's slots are by block. */
    private final boolean blockShapes;

    /** Every buffer at {@code shape}; the bfloat16 conversions untimed. */
    public ModelBuffers(Shape shape) {
        this(shape, new FlopCounter().profile());
    }

    /** Every buffer at {@code shape}, its bfloat16 conversions timed into {@code profile} where that is on. */
    public ModelBuffers(Shape shape, OpProfile profile) {
        this.profile = profile;
        this.shape = shape;
        this.blockShapes = shape.partlyFrozen();
        PrecisionPolicy policy = shape.policy();
        // the workspace first: QLoRA's NF4 weights are dequantized into one of its rows
        for (WorkspaceBuffer row : WorkspaceBuffer.values()) {
            if (row.instances(shape) > 0 && row.dataType() == DataType.INT32) {
                workspaceInts.put(row, TensorAllocation.ints(row, shape));
            } else if (row.instances(shape) > 0) {
                StoredTensor.WorkingCopy copy = WorkingCopies.copies(row, shape) ? workingCopy(row, shape) : null;
                workspace.put(row, stored(row, shape, row.dataType(shape), copy));
            }
        }
        for (ParameterTensor row : ParameterTensor.values()) {
            List<WorkingCopies.Role> roles = WorkingCopies.parameterRoles(row, shape);
            Parameter[] instances = new Parameter[Math.toIntExact(row.instances(shape))];
            Map<WorkingCopies.Role, StoredTensor.WorkingCopy> copies = new EnumMap<>(WorkingCopies.Role.class);
            if (instances.length > 0) {
                for (WorkingCopies.Role role : roles) {
                    copies.put(role, workingCopy(row, shape));
                }
            }
            for (int layer = 0; layer < instances.length; layer++) {
                StoredTensor weights = row.nf4(shape) ? nf4(row, shape)
                        : stored(row, shape, policy.weightType(), copies.get(WorkingCopies.Role.WEIGHT));
                // a block's row trains by its block under a --freeze-layers range (an expert's matrices: E a block)
                boolean trains = row.trains(row.scope() == Scope.PER_LAYER
                        ? shape.block(layer / (instances.length / shape.layers())) : shape);
                if (!trains) {
                    // frozen under LoRA, by kind or by block: the weights alone, no gradient, master copy or moments
                    instances[layer] = new Parameter(row, layer, weights, null, null, null, null);
                    allParameters.add(instances[layer]);
                    continue;
                }
                StoredTensor master = policy.masterWeightType() == null ? null
                        : stored(row, shape, policy.masterWeightType(), null);
                instances[layer] = new Parameter(row, layer, weights,
                        stored(row, shape, policy.gradientType(), copies.get(WorkingCopies.Role.GRADIENT)), master,
                        stored(row, shape, policy.firstMomentType(), copies.get(WorkingCopies.Role.FIRST_MOMENT)),
                        stored(row, shape, policy.secondMomentType(), copies.get(WorkingCopies.Role.SECOND_MOMENT)));
                allParameters.add(instances[layer]);
                trainable.add(instances[layer]);
            }
            parameters.put(row, instances);
        }
        for (KeptActivation row : KeptActivation.values()) {
            // under a --freeze-layers range one slot a block, empty where the block keeps none
            boolean byBlock = shape.partlyFrozen() && row.scope() != Scope.ONCE;
            KeptTensor[] instances = new KeptTensor[Math.toIntExact(byBlock ? shape.layers() : row.instances(shape))];
            StoredTensor.WorkingCopy copy = WorkingCopies.copies(row, shape) ? workingCopy(row, shape) : null;
            for (int layer = 0; layer < instances.length; layer++) {
                if (byBlock && row.instances(shape.block(layer)) == 0) {
                    continue;
                }
                instances[layer] = row.dataType() == DataType.INT32
                        ? new KeptTensor(row, TensorAllocation.ints(row, shape))
                        : new KeptTensor(row, stored(row, shape, row.dataType(shape), copy), false);
                allKept.add(instances[layer]);
            }
            kept.put(row, instances);
            if (row.recomputeInstances(shape) > 0) {
                recomputed.put(row, row.dataType() == DataType.INT32
                        ? new KeptTensor(row, TensorAllocation.ints(row, shape))
                        : new KeptTensor(row, stored(row, shape, row.dataType(shape), copy), true));
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

    /** Whether some block writes {@code row} where no gradient reads it: at either view under a --freeze-layers range. */
    private static boolean unreadSomewhere(KeptActivation row, Shape shape) {
        if (shape.partlyFrozen() && row.scope() != Scope.ONCE) {
            return !row.readUnderLora(shape.trainedBlocks()) || !row.readUnderLora(shape.frozenBlocks());
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

    public Parameter parameter(ParameterTensor row, int layer) {
        return parameters.get(row)[layer];
    }

    public Parameter parameter(ParameterTensor row) {
        return parameter(row, 0);
    }

    /** Block {@code layer}'s instance of {@code row}, or null where the architecture holds none (an unused bias). */
    public Parameter parameterIfHeld(ParameterTensor row, int layer) {
        Parameter[] instances = parameters.get(row);
        return instances.length == 0 ? null : instances[layer];
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
        // a --freeze-layers range: the block's own kind of block decides
        KeptTensor[] instances = kept.get(row);
        int slot = row.scope() == Scope.ONCE ? 0 : layer;
        if (slot < instances.length && instances[slot] != null) {
            return instances[slot];
        }
        Shape view = row.scope() == Scope.ONCE ? shape : shape.block(layer);
        return row.recomputeInstances(view) > 0 ? recomputed.get(row) : scratch.get(row);
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
        int[] values = workspaceInts.get(row);
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
}
