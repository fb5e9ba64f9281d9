package flopcast.measure.kernels.vector;

import flopcast.measure.kernels.ElementwiseKernels;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.kernels.Workers;
import org.ejml.data.FMatrixRMaj;

/** The Vector API GEMM behind the matmul facade, and Vector API loops for the model's own kernels. */
public final class VectorBackend implements MatmulBackend {
    private final Workers workers;
    private final VectorGemm gemm;
    private final VectorKernels kernels = new VectorKernels();

    public VectorBackend(int threads) {
        this.workers = new Workers(threads);
        this.gemm = new VectorGemm(workers);
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public Workers workers() {
        return workers;
    }

    @Override
    public ElementwiseKernels kernels() {
        return kernels;
    }

    @Override
    public void mult(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        check(a.numCols, b.numRows, c, a.numRows, b.numCols);
        gemm.gemm(a.numRows, b.numCols, a.numCols, a.data, false, b.data, false, c.data, false);
    }

    @Override
    public void multTransA(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        check(a.numRows, b.numRows, c, a.numCols, b.numCols);
        gemm.gemm(a.numCols, b.numCols, a.numRows, a.data, true, b.data, false, c.data, false);
    }

    @Override
    public void multTransB(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        check(a.numCols, b.numCols, c, a.numRows, b.numRows);
        gemm.gemm(a.numRows, b.numRows, a.numCols, a.data, false, b.data, true, c.data, false);
    }

    @Override
    public void multAddTransA(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        check(a.numRows, b.numRows, c, a.numCols, b.numCols);
        gemm.gemm(a.numCols, b.numCols, a.numRows, a.data, true, b.data, false, c.data, true);
    }

    @Override
    public void multAddTransB(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        check(a.numCols, b.numCols, c, a.numRows, b.numRows);
        gemm.gemm(a.numRows, b.numRows, a.numCols, a.data, false, b.data, true, c.data, true);
    }

    /** Inner dimensions must agree and C must have the product's shape (EJML's own contract). */
    private static void check(int inner1, int inner2, FMatrixRMaj c, int rows, int cols) {
        if (inner1 != inner2 || c.numRows != rows || c.numCols != cols) {
            throw new IllegalArgumentException("matmul dimensions do not agree: inner " + inner1 + " vs " + inner2
                    + ", C " + c.numRows + "x" + c.numCols + " for a " + rows + "x" + cols + " product");
        }
    }
}
