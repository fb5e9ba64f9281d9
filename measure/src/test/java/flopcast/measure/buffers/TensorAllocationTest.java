package flopcast.measure.buffers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flopcast.analytic.Architecture;
import flopcast.analytic.DataType;
import flopcast.analytic.Experts;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.Lora;
import flopcast.analytic.LoraTarget;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.analytic.TensorSpec;
import flopcast.analytic.WorkspaceBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.api.Test;

/** A table row becomes arrays of exactly its elements, in the layout the ops index. */
class TensorAllocationTest {
    /** LoRA on every projection, so that each adapter row has elements too. */
    private static final Shape SHAPE = new Shape(13, 5, 2, 12, 3, 20, 2)
            .withSettings(Settings.DEFAULT.withLora(Lora.of(2, EnumSet.allOf(LoraTarget.class))));

    /** Three experts a block, two a token, so that the router's and the routed rows have elements too. */
    private static final Shape EXPERTS = new Shape(13, 5, 2, 12, 3, 20, 2, Architecture.seed(3)
            .withExperts(new Experts(3, 2)));

    @Test
    void everyRowOfTheThreeTablesAllocatesExactlyItsElements() {
        List<TensorSpec> rows = new ArrayList<>(List.of(ParameterTensor.values()));
        rows.addAll(List.of(KeptActivation.values()));
        rows.addAll(List.of(WorkspaceBuffer.values()));
        for (Shape shape : List.of(SHAPE, EXPERTS)) {
            for (TensorSpec row : rows) {
                long allocated = 0;
                if (row.dataType() == DataType.INT32) {
                    allocated = TensorAllocation.ints(row, shape).length;
                } else {
                    for (FMatrixRMaj matrix : TensorAllocation.matrices(row, shape)) {
                        allocated += matrix.getNumElements();
                    }
                }
                assertEquals(row.elements(shape), allocated, row.tensorName() + " at " + shape.describe());
            }
        }
        assertEquals(2 * 5 * 2, TensorAllocation.matrix(KeptActivation.W1_OUTPUT, EXPERTS).numRows,
                "one row per token and chosen expert");
        assertEquals(ParameterTensor.values().length + KeptActivation.values().length
                + WorkspaceBuffer.values().length, rows.size());
    }

    @Test
    void aFourAxisRowIsOneTByTMatrixPerSequenceAndHead() {
        FMatrixRMaj[] matrices = TensorAllocation.matrices(KeptActivation.ATTENTION_PROBABILITIES, SHAPE);
        assertEquals(2 * 3, matrices.length);
        assertEquals(5, matrices[0].numRows);
        assertEquals(5, matrices[0].numCols);
        assertThrows(IllegalArgumentException.class,
                () -> TensorAllocation.matrix(KeptActivation.ATTENTION_PROBABILITIES, SHAPE));
    }

    @Test
    void anyOtherRowIsOneMatrixWhoseColumnsAreItsLastAxis() {
        FMatrixRMaj query = TensorAllocation.matrix(KeptActivation.QUERY, SHAPE);
        assertEquals(2 * 5, query.numRows);
        assertEquals(12, query.numCols);
        FMatrixRMaj gain = TensorAllocation.matrix(ParameterTensor.FINAL_NORM_GAIN, SHAPE);
        assertEquals(1, gain.numRows);
        assertEquals(12, gain.numCols);
    }
}
