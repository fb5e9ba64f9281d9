package flopcast.benchmarks;

import flopcast.analytic.AdamWFlops;
import flopcast.analytic.MinimumTraffic;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

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
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AdamWBenchmark extends BenchmarkSettings {
    @Param({"1048576", "16777216"})
    public int parameters;

    /** See {@link Backends}: the reference's plain loop, or Vector API loops on one thread or split across all. */
    @Param({"ejml", "vector", "vector-all"})
    public String backend;

    private ComponentKernel kernel;
    private Work.PerOp perOp;

    @Setup(Level.Trial)
    public void buildOptimizer() {
        kernel = ComponentKernel.adamW(parameters, 1, Backends.of(backend));
        perOp = new Work.PerOp(0, 0, AdamWFlops.step(parameters).longValueExact(),
                MinimumTraffic.adamW(parameters).longValueExact());
        SteadyState.warm(() -> {
            kernel.forward();
            return kernel;
        });
    }

    @Benchmark
    public ComponentKernel step(Work work) {
        kernel.forward();
        work.add(perOp);
        return kernel;
    }
}
