package flopcast.benchmarks;

import flopcast.analytic.Shape;
import flopcast.analytic.TensorSpec;
import flopcast.measure.buffers.TensorAllocation;
import java.util.Random;
import org.ejml.data.FMatrixRMaj;

/**
 * A {@link ComponentKernel}'s buffers: each one instance of a tensor-table row at the kernel's
 * shape, allocated as the model allocates it ({@link TensorAllocation}), zeroed or filled from one
 * seeded source. Where the model reuses one row's buffer per thread or per (sequence, head) pair,
 * a kernel may ask for several instances of it.
 */
final class KernelBuffers {
    private final Shape shape;
    private final Random random;

    KernelBuffers(Shape shape, Random random) {
        this.shape = shape;
        this.random = random;
    }

    /** The row's one matrix, zeroed. */
    FMatrixRMaj zero(TensorSpec row) {
        return TensorAllocation.matrix(row, shape);
    }

    /** The row's one matrix, standard normal values. */
    FMatrixRMaj random(TensorSpec row) {
        return fill(zero(row));
    }

    /** A 4-axis row's matrices (one per sequence and head), zeroed. */
    FMatrixRMaj[] zeros(TensorSpec row) {
        return TensorAllocation.matrices(row, shape);
    }

    /** A 4-axis row's matrices, standard normal values. */
    FMatrixRMaj[] randoms(TensorSpec row) {
        FMatrixRMaj[] matrices = zeros(row);
        for (FMatrixRMaj matrix : matrices) {
            fill(matrix);
        }
        return matrices;
    }

    /** {@code count} instances of the row's one matrix, zeroed. */
    FMatrixRMaj[] zeros(TensorSpec row, int count) {
        FMatrixRMaj[] matrices = new FMatrixRMaj[count];
        for (int i = 0; i < count; i++) {
            matrices[i] = zero(row);
        }
        return matrices;
    }

    /** {@code count} instances of the row's one matrix, standard normal values. */
    FMatrixRMaj[] randoms(TensorSpec row, int count) {
        FMatrixRMaj[] matrices = new FMatrixRMaj[count];
        for (int i = 0; i < count; i++) {
            matrices[i] = random(row);
        }
        return matrices;
    }

    /** An int32 row's values, each uniform in {@code [0, bound)}. */
    int[] ints(TensorSpec row, long bound) {
        int[] values = TensorAllocation.ints(row, shape);
        int limit = Math.toIntExact(bound);
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(limit);
        }
        return values;
    }

    /** {@code matrix} filled with standard normal values from this source. */
    FMatrixRMaj fill(FMatrixRMaj matrix) {
        return fill(matrix, random);
    }

    static FMatrixRMaj fill(FMatrixRMaj matrix, Random random) {
        for (int i = 0; i < matrix.data.length; i++) {
            matrix.data[i] = (float) random.nextGaussian();
        }
        return matrix;
    }
}
