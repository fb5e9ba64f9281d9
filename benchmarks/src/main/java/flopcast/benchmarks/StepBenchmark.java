package flopcast.benchmarks;

import flopcast.analytic.NamedShape;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
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
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class StepBenchmark extends WholeStepBenchmark {
    @Param({"tiny", "small"})
    public String shape;

    /** The reference backend on one thread. */
    @Param({"ejml"})
    public String backend;

    @Param({"1"})
    public String threads;

    @Override
    void warm(Identity identity, StepFixture fixture) {
        if (!identity.shapeName().equals(NamedShape.TINY.paramName())) {
            ModelProfileWarmup.run(identity.backend(), identity.threads());
        }
        super.warm(identity, fixture);
    }
}
