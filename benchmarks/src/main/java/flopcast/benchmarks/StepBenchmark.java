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
 * How long does one whole training step take (forward, backward, AdamW) on the reference backend
 * (EJML, one thread), and what MFU is that? The model FLOPs counter is the forward plus backward
 * matmul FLOPs (what MFU divides by); elementwise and AdamW FLOPs ride along apart. The vector
 * backend's steps, at many more shapes, are {@link VectorStepBenchmark}'s. Timed after
 * {@link SteadyState} has seen the step settle.
 *
 * <p>A broken result looks like a step faster than the sum of its parts. Run alone:
 * {@code mvn jmh:run -Djmh.include=StepBenchmark}.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class StepBenchmark extends BenchmarkSettings {
    @Param({"tiny", "small"})
    public String shape;

    /** One value: a parameter, so that results name their backend like every other step's. */
    @Param({"ejml"})
    public String backend;

    private StepFixture fixture;

    @Setup(Level.Trial)
    public void buildModel() {
        if (!shape.equals("tiny")) {
            ModelProfileWarmup.run(backend);
        }
        fixture = new StepFixture(NamedShape.byName(shape).shape(), backend);
        SteadyState.warm(fixture::step, SteadyState.STEP_MIN_SECONDS);
    }

    @Benchmark
    public float step(Work work) {
        return fixture.step(work);
    }
}
