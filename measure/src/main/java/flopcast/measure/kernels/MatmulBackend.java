package flopcast.measure.kernels;

import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

/**
 * Who multiplies, and whose loops run the model's own kernels: EJML (the reference backend the
 * project was specified with; its concurrent ops on more than one thread) with plain Java loops, or
 * the Vector API GEMM with Vector API loops. Both split the model's loops and attention heads across
 * their {@link Workers}. Every backend computes the same products; the counting facade counts the
 * same FLOPs whichever runs.
 */
public interface MatmulBackend {

    /** ejml or vector. */
    String name();

    /** The threads its matmuls, and the model's own loops, run on. */
    Workers workers();

    /** The inner loops of the model's own kernels on this backend. */
    ElementwiseKernels kernels();

    /** Threads a matmul, a split loop or the attention heads may use. */
    default int threads() {
        return workers().threads();
    }

    /** c = a b. */
    void mult(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c);

    /** c = a^T b. */
    void multTransA(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c);

    /** c = a b^T. */
    void multTransB(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c);

    /** c += a^T b. */
    void multAddTransA(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c);

    /** c += a b^T. */
    void multAddTransB(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c);

    /**
     * The most threads a backend starts: each is a platform thread that spins between parts, so
     * more threads than processors only slow a step, and 2^31 of them cannot be started at all.
     */
    int MAX_THREADS = 1024;

    /** EJML on one thread: the reference. */
    static MatmulBackend ejml() {
        return Ejml.SINGLE;
    }

    /** EJML on {@code threads} threads: its concurrent ops on more than one. */
    static MatmulBackend ejml(int threads) {
        return threads == 1 ? Ejml.SINGLE : new Ejml(threads);
    }

    /** EJML: CommonOps_FDRM on one thread, CommonOps_MT_FDRM (its concurrent ops) on more. */
    public final class Ejml implements MatmulBackend {
        static final Ejml SINGLE = new Ejml(1);
        private final Workers workers;
        private final ElementwiseKernels kernels;

        Ejml(int threads) {
            this(threads, ScalarKernels.INSTANCE);
        }

        /** On other kernels: a test's, which tally the arithmetic they execute. */
        Ejml(int threads, ElementwiseKernels kernels) {
            this.kernels = kernels;
            this.workers = new Workers(threads);
            if (threads > 1) {
                EjmlConcurrency.setMaxThreads(threads);
            }
        }

        @Override
        public String name() {
            return "ejml";
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
            if (threads() == 1) {
                CommonOps_FDRM.mult(a, b, c);
            } else {
                CommonOps_MT_FDRM.mult(a, b, c);
            }
        }

        @Override
        public void multTransA(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
            if (threads() == 1) {
                CommonOps_FDRM.multTransA(a, b, c);
            } else {
                CommonOps_MT_FDRM.multTransA(a, b, c);
            }
        }

        @Override
        public void multTransB(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
            if (threads() == 1) {
                CommonOps_FDRM.multTransB(a, b, c);
            } else {
                CommonOps_MT_FDRM.multTransB(a, b, c);
            }
        }

        @Override
        public void multAddTransA(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
            if (threads() == 1) {
                CommonOps_FDRM.multAddTransA(a, b, c);
            } else {
                CommonOps_MT_FDRM.multAddTransA(a, b, c);
            }
        }

        @Override
        public void multAddTransB(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj c) {
            if (threads() == 1) {
                CommonOps_FDRM.multAddTransB(a, b, c);
            } else {
                CommonOps_MT_FDRM.multAddTransB(a, b, c);
            }
        }
    }
}
