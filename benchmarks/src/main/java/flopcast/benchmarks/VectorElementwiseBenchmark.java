package flopcast.benchmarks;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * How fast are the model's elementwise kernels on the vector backend (Vector API loops), on one
 * thread and split across all? The same kernels as {@link ElementwiseBenchmark} (which times the
 * reference backend's plain loops), at the small and wide shapes: the memory-bound rows the vector
 * backend's calibration fits. In-place kernels get their inputs restored before each call (outside
 * the timing).
 *
 * <p>A broken result looks like all threads no faster than one at the wide shape, or bytes per
 * second above the measured bandwidth at a size that does not fit in cache. Run alone:
 * {@code mvn jmh:run -Djmh.include=VectorElementwise}.
 */
public class VectorElementwiseBenchmark extends ComponentBenchmark {
    @Param({"rmsnorm", "attention_softmax", "ffn_silu", "cross_entropy"})
    public String component;

    @Param({"small", "wide"})
    public String shape;

    @Param({"vector"})
    public String backend;

    /** One thread, or split across every processor ({@link Identity}). */
    @Param({"1", "all"})
    public String threads;

    @Setup(Level.Invocation)
    public void restoreInputs() {
        kernel.prepare();
    }
}
