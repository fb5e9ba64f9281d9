package flopcast.benchmarks;

import flopcast.analytic.Component;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * How fast is each matmul of a layer, forward and backward, on EJML? One op is one instance of the
 * component at the named shape: the three Q, K, V projections, the B*h per-head Q K^T or P V
 * products, one projection of the FFN, the LM head (the output projection and W2 include the
 * residual add the model fuses after them). Backward is dX and dW (2x forward's FLOPs).
 *
 * <p>A broken result looks like an achieved FLOP/s far from its neighbours at the same size, or a
 * backward that is not about twice its forward. Run alone: {@code mvn jmh:run -Djmh.include=Matmul}.
 */
public class MatmulBenchmark extends ComponentBenchmark {
    @Param({"qkv_projection", "attention_scores", "attention_weighted_sum", "output_projection", "ffn_w1", "ffn_w3",
        "ffn_w2", "output_embedding"})
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

    @Benchmark
    public ComponentKernel run(Work work) {
        return runOnce(work);
    }
}
