package flopcast.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How fast is the vector backend's whole training step on every processor at the wide shape, and
 * so how much faster than EJML's concurrent ops ({@link BackendComparisonEjmlBenchmark}, the same
 * step)? The vector backend's first steps run the Vector API's Java fallbacks until C2 has compiled
 * every kernel (about three seconds of steps on the AVX-512 host, five on the AVX2 one), so one
 * 6 s warm-up iteration. Ten measured iterations: JMH's error is a 99.9% interval, whose t factor
 * falls from 8.6 at five to 4.8 at ten, and on the noisier AVX2 host five gave 29%. The quick run
 * leaves this class out. A broken result looks like a step within a small factor of EJML's. Run
 * alone, with EJML's: {@code mvn jmh:run -Djmh.include=BackendComparison}.
 */
@Warmup(iterations = 1, time = 6, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 10, time = 2, timeUnit = TimeUnit.SECONDS)
public class BackendComparisonBenchmark extends WideStep {
    /** One value: a parameter, so that results name their backend like every other step's. */
    @Param({"vector-all"})
    public String backend;

    @Override
    protected String backend() {
        return backend;
    }
}
