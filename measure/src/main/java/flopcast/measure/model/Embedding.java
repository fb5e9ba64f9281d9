package flopcast.measure.model;

import flopcast.analytic.Component;
import flopcast.analytic.ElementwiseFlops;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.OpClass;
import flopcast.measure.kernels.ElementwiseKernels;
import org.ejml.data.FMatrixRMaj;

/**
 * Token embedding: a row lookup forward (0 FLOPs), a scatter-add backward; with learned positions,
 * each position's row added forward (an add per element) and each row's gradient summed into it
 * backward; each timed as the token embedding.
 */
public final class Embedding {
    private final CountingOps ops;

    public Embedding(CountingOps ops) {
        this.ops = ops;
    }

    /** out[row] = table[ids[row]]. */
    public void forward(int[] ids, FMatrixRMaj table, FMatrixRMaj out) {
        long start = ops.profile().start();
        int width = table.numCols;
        for (int row = 0; row < ids.length; row++) {
            System.arraycopy(table.data, ids[row] * width, out.data, row * width, width);
        }
        ops.profile().stop(OpClass.TOKEN_EMBEDDING, start);
    }

    /** out[row] += positions[row mod T]: a learned position's row added to each of the B sequences' tokens. */
    public void addPositions(FMatrixRMaj positions, FMatrixRMaj out, int context) {
        long start = ops.profile().start();
        int width = out.numCols;
        ElementwiseKernels kernels = ops.kernels();
        for (int row = 0; row < out.numRows; row++) {
            kernels.accumulate(out.data, row * width, positions.data, (row % context) * width, width);
        }
        ops.profile().stop(OpClass.TOKEN_EMBEDDING, start);
        ops.elementwise(Component.TOKEN_EMBEDDING, ElementwiseFlops.ADD * out.getNumElements());
    }

    /** Differentiates {@link #addPositions}: positionsGrad[row mod T] += dOut[row], one add per element. */
    public void positionsBackward(FMatrixRMaj dOut, FMatrixRMaj positionsGrad, int context) {
        long start = ops.profile().start();
        int width = dOut.numCols;
        ElementwiseKernels kernels = ops.kernels();
        for (int row = 0; row < dOut.numRows; row++) {
            kernels.accumulate(positionsGrad.data, (row % context) * width, dOut.data, row * width, width);
        }
        ops.profile().stop(OpClass.TOKEN_EMBEDDING, start);
        ops.elementwise(Component.TOKEN_EMBEDDING, ElementwiseFlops.ADD * dOut.getNumElements());
    }

    /** Differentiates {@link #forward}: tableGrad[ids[row]] += dOut[row], one add per element. */
    public void backward(int[] ids, FMatrixRMaj dOut, FMatrixRMaj tableGrad) {
        long start = ops.profile().start();
        int width = tableGrad.numCols;
        ElementwiseKernels kernels = ops.kernels();
        long flops = 0;
        for (int row = 0; row < ids.length; row++) {
            kernels.accumulate(tableGrad.data, ids[row] * width, dOut.data, row * width, width);
            flops += ElementwiseFlops.ADD * width;
        }
        ops.profile().stop(OpClass.TOKEN_EMBEDDING, start);
        ops.elementwise(Component.TOKEN_EMBEDDING, flops);
    }
}
