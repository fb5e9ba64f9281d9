package flopcast.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * EJML's side of {@link BackendComparisonBenchmark}: the same wide step on EJML's concurrent ops,
 * its loops and heads split, on every processor. One step takes 12 s on the AVX-512 host and 24 s
 * on the AVX2 one, so each iteration is one step: one warm-up step (the first runs about 10%
 * slower) and three measured, few enough for the default run's time limit. Three make JMH's 99.9%
 * error wide (t factor 31.6); this row is only the reference the vector step is compared with, and
 * a speed-up of 10x or more is not in doubt at a spread of a few percent. The quick run leaves this
 * class out. A broken result looks like a step within a small factor of the vector backend's.
 */
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
public class BackendComparisonEjmlBenchmark extends WideStep {
    /** One value: a parameter, so that results name their backend like every other step's. */
    @Param({"ejml-all"})
    public String backend;

    @Override
    protected String backend() {
        return backend;
    }
}
