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
 *
 * <p>Each call is also a timed region of the counter's {@link OpProfile} under the component's
 * {@link OpClass} (a residual add under {@link OpClass#RESIDUAL_ADD}), its wall time on the calling
 * thread however many threads the backend splits it across; off, the profile reads no clock.
 */
public final class CountingOps {
    private final FlopCounter counter;
    private final MatmulBackend backend;
    private final OpProfile profile;

    /** EJML on one thread. */
    public CountingOps(FlopCounter counter) {
        this(counter, MatmulBackend.ejml());
    }

    public CountingOps(FlopCounter counter, MatmulBackend backend) {
        this.counter = counter;
        this.backend = backend;
        this.profile = counter.profile();
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
        split(component, OpClass.of(component), count, grain, part);
    }

    /**
     * As {@link #split(Component, int, int, Workers.Part)}, its FLOPs counted as {@code component}'s and
     * its time as {@code opClass}'s: a kernel the profile keeps apart from its component's (QK-norm in
     * the QKV projections).
     */
    public void split(Component component, OpClass opClass, int count, int grain, Workers.Part part) {
        long start = profile.start();
        long flops = workers().split(count, grain, 1, part);
        profile.stop(opClass, start, flops);
        counter.elementwise(component, flops);
    }

    /** {@code matrix} set to 0 (no FLOPs), timed as {@code opClass}. */
    public void zero(OpClass opClass, FMatrixRMaj matrix) {
        long start = profile.start();
        java.util.Arrays.fill(matrix.data, 0, matrix.getNumElements(), 0f);
        profile.stop(opClass, start);
    }

    /** The profile the calls are timed into, for the op classes' own timed regions. */
    public OpProfile profile() {
        return profile;
    }

    public FlopCounter counter() {
        return counter;
    }

    /** c = a * b. */
    public void mult(Component component, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        long start = profile.start();
        backend.mult(a, b, c);
        long flops = matmulFlops(a.numRows, b.numCols, a.numCols);
        profile.stop(OpClass.of(component), start, flops);
        counter.matmul(component, flops);
    }

    /** c = a^T * b. */
    public void multTransA(Component component, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        long start = profile.start();
        backend.multTransA(a, b, c);
        long flops = matmulFlops(a.numCols, b.numCols, a.numRows);
        profile.stop(OpClass.of(component), start, flops);
        counter.matmul(component, flops);
    }

    /** c = a * b^T. */
    public void multTransB(Component component, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        long start = profile.start();
        backend.multTransB(a, b, c);
        long flops = matmulFlops(a.numRows, b.numRows, a.numCols);
        profile.stop(OpClass.of(component), start, flops);
        counter.matmul(component, flops);
    }

    /** c += a^T * b. */
    public void multAddTransA(Component component, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        long start = profile.start();
        backend.multAddTransA(a, b, c);
        long flops = matmulFlops(a.numCols, b.numCols, a.numRows);
        profile.stop(OpClass.of(component), start, flops);
        counter.matmul(component, flops);
    }

    /** c += a * b^T. */
    public void multAddTransB(Component component, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
        long start = profile.start();
        backend.multAddTransB(a, b, c);
        long flops = matmulFlops(a.numRows, b.numRows, a.numCols);
        profile.stop(OpClass.of(component), start, flops);
        counter.matmul(component, flops);
    }

    /** a += b (a residual add), on the backend's kernels, at the declared cost of an add per element. */
    public void addEquals(Component component, FMatrixRMaj a, FMatrixRMaj b) {
        if (a.numRows != b.numRows || a.numCols != b.numCols) {
            throw new IllegalArgumentException("a is " + a.numRows + " x " + a.numCols + ", b is " + b.numRows + " x "
                    + b.numCols + ": an elementwise add needs one shape");
        }
        long start = profile.start();
        kernels().accumulate(a.data, 0, b.data, 0, a.getNumElements());
        long flops = ElementwiseFlops.ADD * a.getNumElements();
        profile.stop(OpClass.RESIDUAL_ADD, start, flops);
        counter.elementwise(component, flops);
    }

    /**
     * y += b on every row of y (a projection's bias, b one float per column), on the backend's kernels,
     * at the declared cost of an add per element of y, timed as {@link OpClass#BIAS}.
     */
    public void addBias(Component component, FMatrixRMaj y, FMatrixRMaj bias) {
        addByRow(component, y, bias, true);
    }

    /** dB += the sum of dy's rows (a bias's gradient), an add per element of dy, timed as {@link OpClass#BIAS}. */
    public void addRowSums(Component component, FMatrixRMaj dy, FMatrixRMaj biasGradient) {
        addByRow(component, dy, biasGradient, false);
    }

    /** Over each row of {@code matrix}: the row += {@code bias} ({@code intoRows}), or {@code bias} += the row. */
    private void addByRow(Component component, FMatrixRMaj matrix, FMatrixRMaj bias, boolean intoRows) {
        if (bias.getNumElements() != matrix.numCols) {
            throw new IllegalArgumentException("a bias of " + bias.getNumElements() + " values for rows of "
                    + matrix.numCols + ": a bias has one value per column");
        }
        long start = profile.start();
        for (int row = 0; row < matrix.numRows; row++) {
            int offset = row * matrix.numCols;
            if (intoRows) {
                kernels().accumulate(matrix.data, offset, bias.data, 0, matrix.numCols);
            } else {
                kernels().accumulate(bias.data, 0, matrix.data, offset, matrix.numCols);
            }
        }
        long flops = ElementwiseFlops.ADD * matrix.getNumElements();
        profile.stop(OpClass.BIAS, start, flops);
        counter.elementwise(component, flops);
    }

    /**
     * x *= factor over the whole matrix (a LoRA adapter's scale), on the backend's kernels, one multiply
     * an element, timed as {@link OpClass#LORA_SCALE}.
     */
    public void scale(Component component, FMatrixRMaj x, float factor) {
        long start = profile.start();
        kernels().scale(x.data, 0, x.getNumElements(), factor);
        long flops = ElementwiseFlops.LORA_SCALE_PER_ELEMENT * x.getNumElements();
        profile.stop(OpClass.LORA_SCALE, start, flops);
        counter.elementwise(component, flops);
    }

    /**
     * What a plain-loop kernel of {@code component} executed, summed from its loop bounds; the
     * kernel times its loops itself, as {@code OpClass.of(component)}, through {@link #profile}.
     */
    public void elementwise(Component component, long flops) {
        profile.flops(OpClass.of(component), flops);
        counter.elementwise(component, flops);
    }

    /**
     * What a plain-loop kernel of {@code component} executed, timed by the kernel as {@code opClass}: a
     * component whose matmuls are its own class's and whose loops are another's (the router's routing).
     */
    public void elementwise(Component component, OpClass opClass, long flops) {
        profile.flops(opClass, flops);
        counter.elementwise(component, flops);
    }

    /** AdamW's FLOPs of one step; AdamW times its updates itself, as {@link OpClass#ADAMW}. */
    public void optimizer(long flops) {
        profile.flops(OpClass.ADAMW, flops);
        counter.optimizer(flops);
    }

    private static long matmulFlops(long m, long n, long k) {
        return Math.multiplyExact(Math.multiplyExact(2L, m), Math.multiplyExact(n, k));
    }
}
