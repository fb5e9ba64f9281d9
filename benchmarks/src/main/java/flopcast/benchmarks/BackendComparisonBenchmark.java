package flopcast.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How much faster is the vector backend's whole training step than EJML's concurrent ops, on every
 * processor, at the wide shape (V=4096 T=256 L=4 d=512 h=8 d_ff=2048 B=4)? EJML takes seconds per
 * step here, so few iterations; the vector backend's first steps run the Vector API's Java
 * fallbacks until C2 has compiled every kernel (about three seconds of steps here), so the warm-up
 * is 2 x 3 s. Five measured iterations: JMH's error is a 99.9% interval, and with three its t
 * factor (31.6) made a 0.6% spread a 12% error. The quick run leaves this class out. A broken
 * result looks like the two within a small factor of each other. Run alone:
 * {@code mvn jmh:run -Djmh.include=BackendComparison}.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
public class BackendComparisonBenchmark extends BenchmarkSettings {
    @Param({"ejml-all", "vector-all"})
    public String backend;

    private StepFixture fixture;

    @Setup(Level.Trial)
    public void buildModel() {
        fixture = new StepFixture(NamedShape.WIDE.shape(), backend);
    }

    @Benchmark
    public float step(Work work) {
        return fixture.step(work);
    }
}
