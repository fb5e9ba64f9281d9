package flopcast.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * EJML's side of {@link BackendComparisonBenchmark}: the same wide step on EJML's concurrent ops,
 * its loops and heads split, on every processor. One step takes 12 s on the AVX-512 host and 24 s
 * on the AVX2 one, so each iteration is one step, and the warm-up is ten steps of the tiny model on
 * the same backend before the trial ({@link ModelProfileWarmup}, two seconds) instead of a 24 s
 * warm-up iteration. Three measured steps, few enough for the default run's time limit: JMH's
 * 99.9% error is then wide (t factor 31.6), but this row is only the reference the vector step is
 * compared with. The quick run leaves this class out. A broken result looks like a step within a
 * small factor of the vector backend's.
 */
@Warmup(iterations = 0)
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
