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
 * How long does one whole training step take (forward, backward, AdamW) at each named shape, and
 * what MFU is that? The model FLOPs counter is the forward plus backward matmul FLOPs (what MFU
 * divides by); elementwise and AdamW FLOPs ride along apart. More iterations than the other
 * benchmarks, so that the step's error stays within 5% of its score on a noisy machine.
 *
 * <p>A broken result looks like a step faster than the sum of its parts. Run alone:
 * {@code mvn jmh:run -Djmh.include=Step}.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 15, time = 1, timeUnit = TimeUnit.SECONDS)
public class StepBenchmark extends BenchmarkSettings {
    @Param({"tiny", "small"})
    public String shape;

    /** See {@link Backends}: EJML on one thread, the vector GEMM on every processor. */
    @Param({"ejml", "vector-all"})
    public String backend;

    private StepFixture fixture;

    @Setup(Level.Trial)
    public void buildModel() {
        if (!shape.equals("tiny") && backend.startsWith("ejml")) {
            ModelProfileWarmup.run();
        }
        fixture = new StepFixture(NamedShape.byName(shape).shape(), backend);
    }

    @Benchmark
    public float step(Work work) {
        return fixture.step(work);
    }
}
