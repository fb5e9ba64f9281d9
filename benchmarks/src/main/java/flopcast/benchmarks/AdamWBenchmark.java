package flopcast.benchmarks;

import flopcast.analytic.AdamWFlops;
import flopcast.analytic.MinimumTraffic;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * How fast is AdamW alone, from cache-sized to memory-sized parameter counts? p, g, m and v of
 * 1M parameters are 16 MiB (cache); 16M are 256 MiB (memory); the quick run takes 64K (1 MiB)
 * and 1M. It reads and writes 28 bytes per parameter: read its bytes per second against the
 * measured bandwidth.
 *
 * <p>A broken result looks like the memory-sized case as fast as the cache-sized one. Run alone:
 * {@code mvn jmh:run -Djmh.include=AdamW}.
 */
@State(Scope.Thread)
public class AdamWBenchmark extends BenchmarkSettings {
    @Param({"1048576", "16777216"})
    public int parameters;

    /** One value: AdamW is its own component. */
    @Param({"adamw"})
    public String component;

    /** One value: the optimizer's step. */
    @Param({"optimizer"})
    public String pass;

    /**
     * Vector API loops: the fits are the vector backend's (the reference's component rows are not
     * in the default run). The reference's plain loop when asked:
     * {@code -Djmh.include=AdamWBenchmark -Djmh.params=backend=ejml,vector}.
     */
    @Param({"vector"})
    public String backend;

    /** One thread, or the loop split across every processor ({@link Identity}). */
    @Param({"1", "all"})
    public String threads;

    /** Parameter, gradient, m and v: four float32s per parameter, the heap the derivation measures. */
    static final long PARAMETER_AND_STATE_BYTES = 4L * Float.BYTES;

    private ComponentKernel kernel;
    private Work.PerOp perOp;

    @Setup(Level.Trial)
    public void buildOptimizer(BenchmarkParams params) {
        Identity identity = Identity.of(params);
        identity.expect("adamw", "optimizer");
        kernel = ComponentKernel.adamW(parameters, 1, identity.matmulBackend());
        perOp = perOp(identity, parameters);
        SteadyState.warm(() -> {
            kernel.forward();
            return kernel;
        });
    }

    /** The row of {@code benchmark} with parameters {@code params} as a turn of {@link InterleavedBenchmark}. */
    static Turn turn(String benchmark, Map<String, String> params) {
        Identity identity = Identity.of(benchmark, params);
        identity.expect("adamw", "optimizer");
        int parameters = Integer.parseInt(params.get("parameters"));
        ComponentKernel kernel = ComponentKernel.adamW(parameters, 1, identity.matmulBackend());
        return new Turn(() -> {
            kernel.forward();
            return kernel;
        }, () -> { }, perOp(identity, parameters), false);
    }

    private static Work.PerOp perOp(Identity identity, int parameters) {
        return new Work.PerOp(0, 0, AdamWFlops.step(parameters).longValueExact(),
                MinimumTraffic.adamW(parameters).longValueExact(), identity.threads(),
                PARAMETER_AND_STATE_BYTES * parameters);
    }

    @Benchmark
    public ComponentKernel step(Work work) {
        kernel.forward();
        work.add(perOp);
        return kernel;
    }
}
