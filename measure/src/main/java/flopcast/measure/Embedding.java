package flopcast.measure;

import flopcast.analytic.Component;
import org.ejml.data.FMatrixRMaj;

/** Token embedding: a row lookup forward (0 FLOPs), a scatter-add backward. */
public final class Embedding {
    private final CountingOps ops;

    public Embedding(CountingOps ops) {
        this.ops = ops;
    }

    /** out[row] = table[ids[row]]. */
    public void forward(int[] ids, FMatrixRMaj table, FMatrixRMaj out) {
        int width = table.numCols;
        for (int row = 0; row < ids.length; row++) {
            System.arraycopy(table.data, ids[row] * width, out.data, row * width, width);
        }
    }

    /** Differentiates {@link #forward}: tableGrad[ids[row]] += dOut[row], one add per element. */
    public void backward(int[] ids, FMatrixRMaj dOut, FMatrixRMaj tableGrad) {
        int width = tableGrad.numCols;
        float[] grad = tableGrad.data;
        float[] d = dOut.data;
        long flops = 0;
        for (int row = 0; row < ids.length; row++) {
            int target = ids[row] * width;
            int source = row * width;
            for (int j = 0; j < width; j++) {
                grad[target + j] += d[source + j];
            }
            flops += width;
        }
        ops.elementwise(Component.TOKEN_EMBEDDING, flops);
    }
}
