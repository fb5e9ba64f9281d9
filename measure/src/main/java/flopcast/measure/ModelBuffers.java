package flopcast.measure;

import flopcast.analytic.DataType;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Scope;
import flopcast.analytic.Shape;
import flopcast.analytic.TensorSpec;
import flopcast.analytic.WorkspaceBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.ejml.data.FMatrixRMaj;

/**
 * Every buffer the model holds, allocated once from the analytic tables: one {@link Parameter}
 * per parameter row and instance, one {@link KeptTensor} per kept-activation row and instance the
 * shape's settings hold, one matrix per workspace row they hold. Adding a row to a table adds its
 * buffer here.
 */
final class ModelBuffers {
    private final Map<ParameterTensor, Parameter[]> parameters = new EnumMap<>(ParameterTensor.class);
    private final Map<KeptActivation, KeptTensor[]> kept = new EnumMap<>(KeptActivation.class);
    private final Map<WorkspaceBuffer, FMatrixRMaj> workspace = new EnumMap<>(WorkspaceBuffer.class);
    /** Full recomputation's one block of buffers, shared by every block. */
    private final Map<KeptActivation, KeptTensor> recomputed = new EnumMap<>(KeptActivation.class);
    private final List<Parameter> allParameters = new ArrayList<>();
    private final List<KeptTensor> allKept = new ArrayList<>();

    ModelBuffers(Shape shape) {
        for (ParameterTensor row : ParameterTensor.values()) {
            Parameter[] instances = new Parameter[instances(row.scope(), shape)];
            for (int layer = 0; layer < instances.length; layer++) {
                instances[layer] = new Parameter(row, layer, one(row, shape), one(row, shape), one(row, shape),
                        one(row, shape));
                allParameters.add(instances[layer]);
            }
            parameters.put(row, instances);
        }
        for (KeptActivation row : KeptActivation.values()) {
            KeptTensor[] instances = new KeptTensor[Math.toIntExact(row.instances(shape))];
            for (int layer = 0; layer < instances.length; layer++) {
                instances[layer] = row.dataType() == DataType.INT32
                        ? new KeptTensor(row, new FMatrixRMaj[0], TensorAllocation.ints(row, shape))
                        : new KeptTensor(row, TensorAllocation.matrices(row, shape), null);
                allKept.add(instances[layer]);
            }
            kept.put(row, instances);
            if (row.recomputeInstances(shape) > 0) {
                recomputed.put(row, new KeptTensor(row, TensorAllocation.matrices(row, shape), null, true));
            }
        }
        for (WorkspaceBuffer row : WorkspaceBuffer.values()) {
            if (row.instances(shape) > 0) {
                workspace.put(row, one(row, shape));
            }
        }
    }

    private static FMatrixRMaj one(TensorSpec row, Shape shape) {
        return TensorAllocation.matrix(row, shape);
    }

    private static int instances(Scope scope, Shape shape) {
        return Math.toIntExact(scope.instances(shape));
    }

    Parameter parameter(ParameterTensor row, int layer) {
        return parameters.get(row)[layer];
    }

    Parameter parameter(ParameterTensor row) {
        return parameter(row, 0);
    }

    KeptTensor kept(KeptActivation row, int layer) {
        return kept.get(row)[layer];
    }

    /** True where the shape's settings keep {@code row} (eager's probabilities are dropped under selective recomputation). */
    boolean keeps(KeptActivation row) {
        return kept.get(row).length > 0;
    }

    /**
     * Block {@code layer}'s instance of {@code row}: its kept one, or under full recomputation the
     * one block's buffer every block shares; null where the settings hold neither.
     */
    KeptTensor keptOrRecomputed(KeptActivation row, int layer) {
        if (keeps(row)) {
            return kept(row, layer);
        }
        return recomputed.get(row);
    }

    KeptTensor kept(KeptActivation row) {
        return kept(row, 0);
    }

    /** The buffer of {@code row}; an error where the shape's settings hold none. */
    FMatrixRMaj workspace(WorkspaceBuffer row) {
        FMatrixRMaj buffer = workspace.get(row);
        if (buffer == null) {
            throw new IllegalStateException("workspace row " + row.tensorName() + " is not held under these settings");
        }
        return buffer;
    }

    /** The buffer of {@code row}, or null where the shape's settings hold none. */
    FMatrixRMaj workspaceIfHeld(WorkspaceBuffer row) {
        return workspace.get(row);
    }

    List<Parameter> parameters() {
        return allParameters;
    }

    void startStep() {
        for (int i = 0; i < allKept.size(); i++) {
            allKept.get(i).startStep();
        }
    }
}
