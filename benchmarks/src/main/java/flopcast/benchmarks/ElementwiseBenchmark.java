package flopcast.benchmarks;

import flopcast.analytic.Component;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * How fast are the model's elementwise kernels, forward and backward? RMSNorm, the causal
 * softmax of every head, SiLU with the SwiGLU product, cross-entropy. They are memory-bound: read
 * their achieved bytes per second against the measured bandwidth, not their FLOP/s against the
 * peak. In-place kernels get their inputs restored before each call (outside the timing).
 *
 * <p>A broken result looks like bytes per second above the measured bandwidth at a size that does
 * not fit in cache. Run alone: {@code mvn jmh:run -Djmh.include=Elementwise}.
 */
public class ElementwiseBenchmark extends ComponentBenchmark {
    @Param({"rmsnorm", "attention_softmax", "ffn_silu", "cross_entropy"})
    public String component;

    /** The reference backend at one shape, for the default run's time limit (the quick run leaves these out). */
    @Param({"small"})
    public String shape;

    @Override
    protected String shape() {
        return shape;
    }

    /** EJML on one thread: the reference backend. */
    @Override
    protected String backend() {
        return "ejml";
    }

    @Override
    protected Component component() {
        return Component.byJsonName(component);
    }

    @Setup(Level.Invocation)
    public void restoreInputs() {
        kernel.prepare();
    }

    @Benchmark
    public ComponentKernel run(Work work) {
        return runOnce(work);
    }
}
