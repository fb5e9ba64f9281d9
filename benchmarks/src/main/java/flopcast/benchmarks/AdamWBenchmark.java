package flopcast.benchmarks;

import flopcast.analytic.AdamWFlops;
import flopcast.analytic.MinimumTraffic;
import flopcast.measure.ComponentKernel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * How fast is AdamW alone, from cache-sized to memory-sized parameter counts? p, g, m and v of
 * 64K parameters are 1 MiB (cache); 1M are 16 MiB; 16M are 256 MiB (memory). It reads and writes
 * 28 bytes per parameter: read its bytes per second against the measured bandwidth.
 *
 * <p>A broken result looks like the memory-sized case as fast as the cache-sized one. Run alone:
 * {@code mvn jmh:run -Djmh.include=AdamW}.
 */
@State(Scope.Thread)
public class AdamWBenchmark extends BenchmarkSettings {
    @Param({"65536", "1048576", "16777216"})
    public int parameters;

    private ComponentKernel kernel;
    private Work.PerOp perOp;

    @Setup(Level.Trial)
    public void buildOptimizer() {
        kernel = ComponentKernel.adamW(parameters, 1);
        perOp = new Work.PerOp(0, 0, AdamWFlops.step(parameters).longValueExact(),
                MinimumTraffic.adamW(parameters).longValueExact());
    }

    @Benchmark
    public ComponentKernel step(Work work) {
        kernel.forward();
        work.add(perOp);
        return kernel;
    }
}
