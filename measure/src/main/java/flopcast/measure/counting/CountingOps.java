package flopcast.measure.counting;

import flopcast.analytic.Component;
import flopcast.analytic.ElementwiseFlops;
import flopcast.measure.kernels.ElementwiseKernels;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.kernels.Workers;
import org.ejml.data.FMatrixRMaj;

/**
 * The one door to the matmuls: the same method names as the {@code CommonOps_FDRM} calls it wraps,
 * run by the chosen {@link MatmulBackend}, each recording its FLOPs into the counter from the
 * matrices' actual dimensions (2*m*n*k for a matmul), never from a formula, whichever backend runs. Kernels written as plain loops report what their loops executed
 * through {@link #elementwise}.
 */
public final class CountingOps {
    private final FlopCounter counter;
    private final MatmulBackend backend;

    /** EJML on one thread. */
    public CountingOps(FlopCounter counter) {
        this(counter, MatmulBackend.ejml());
    }

    public CountingOps(FlopCounter counter, MatmulBackend backend) {
        this.counter = counter;
        this.backend = backend;
    }

    public MatmulBackend backend() {
        return backend;
    }

    /** The backend's inner loops for the model's own kernels. */
    public ElementwiseKernels kernels() {
        return backend.kernels();
    }

    /** The backend's threads. */
    public Workers workers() {
        return backend.workers();
    }

    /**
     * Runs a plain-loop kernel of {@code component} over items {@code [0, count)} split across the
     * backend's threads (parts of at least {@code grain} items) and records the FLOPs its parts
     * return, summed from their loop bounds.
     */
    public void split(Component component, int count, int grain, Workers.Part part) {
        counter.elementwise(component, workers().split(count, grain, 1, part));
    }

    public FlopCounter counter() {
        return counter;
    }

    /** c = a * b. */
    public void mult(Component component, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        backend.mult(a, b, c);
        counter.matmul(component, matmulFlops(a.numRows, b.numCols, a.numCols));
    }

    /** c = a^T * b. */
    public void multTransA(Component component, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        backend.multTransA(a, b, c);
        counter.matmul(component, matmulFlops(a.numCols, b.numCols, a.numRows));
    }

    /** c = a * b^T. */
    public void multTransB(Component component, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        backend.multTransB(a, b, c);
        counter.matmul(component, matmulFlops(a.numRows, b.numRows, a.numCols));
    }

    /** c += a^T * b. */
    public void multAddTransA(Component component, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        backend.multAddTransA(a, b, c);
        counter.matmul(component, matmulFlops(a.numCols, b.numCols, a.numRows));
    }

    /** c += a * b^T. */
    public void multAddTransB(Component component, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        backend.multAddTransB(a, b, c);
        counter.matmul(component, matmulFlops(a.numRows, b.numRows, a.numCols));
    }

    /** a += b, on the backend's kernels, at the declared cost of an add per element. */
    public void addEquals(Component component, FMatrixRMaj a, FMatrixRMaj b) {
        if (a.numRows != b.numRows || a.numCols != b.numCols) {
            throw new IllegalArgumentException("a is " + a.numRows + " x " + a.numCols + ", b is " + b.numRows + " x "
                    + b.numCols + ": an elementwise add needs one shape");
        }
        kernels().accumulate(a.data, 0, b.data, 0, a.getNumElements());
        counter.elementwise(component, ElementwiseFlops.ADD * a.getNumElements());
    }

    /** What a plain-loop kernel of {@code component} executed, summed from its loop bounds. */
    public void elementwise(Component component, long flops) {
        counter.elementwise(component, flops);
    }

    private static long matmulFlops(long m, long n, long k) {
        return Math.multiplyExact(Math.multiplyExact(2L, m), Math.multiplyExact(n, k));
    }
}
