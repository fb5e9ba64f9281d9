package flopcast.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How much faster is the vector backend than EJML's concurrent ops? The wide step (V=4096 T=256
 * L=4 d=512 h=8 d_ff=2048 B=4) on EJML, its loops and heads split, on every processor: the vector
 * side is {@link VectorStepBenchmark}'s {@code wide} row. One step takes 12 s on the AVX-512 host
 * and 24 s on the AVX2 one, so each iteration is one step, and the warm-up is the tiny model's
 * steps on the same backend before the trial ({@link ModelProfileWarmup}, compiled and settled by
 * {@link SteadyState}) instead of a settling of this step itself, which would take a minute. Three
 * measured steps, few enough for the default run's time limit: JMH's 99.9% error is then wide
 * (t factor 31.6), but this row is only the reference the vector step is compared with. The quick
 * run leaves this class out. A broken result looks like a step within a small factor of the vector
 * backend's.
 */
@Warmup(iterations = 0)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
public class BackendComparisonEjmlBenchmark extends WholeStepBenchmark {
    @Param({"wide"})
    public String shape;

    /** EJML's concurrent ops, loops and heads split on every processor. */
    @Param({"ejml"})
    public String backend;

    @Param({"all"})
    public String threads;

    @Override
    boolean measuresHeap() {
        return false;
    }

    @Override
    void warm(Identity identity, StepFixture fixture) {
        ModelProfileWarmup.run(identity.backend(), identity.threads());
    }
}
