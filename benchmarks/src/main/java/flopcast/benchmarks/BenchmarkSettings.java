package flopcast.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Settings every benchmark shares: average time per op in seconds, one fork (with the Vector API
 * module: the vector backend and the FMA probe need it), one warm-up iteration
 * of 100 ms and sixteen measured iterations of 25 ms. Each iteration is one sample: the derivation
 * times a row by the samples' lower quartile and tells their spread, so many short iterations say
 * more than a few long ones of the same total (three of 150 ms gave a mean and a spread no one could
 * trust; eight of 50 ms left 100 of 201 rows of one run noisy). The
 * JIT's warm-up is not JMH's: every benchmark's trial setup runs its op until compilation has settled
 * ({@link SteadyState}), so JMH's warm-up iteration only lets JMH's own loop compile around it. The
 * default run's vector rows take turns in {@link InterleavedBenchmark}, an iteration each; the probes
 * and any class named alone use these.
 * {@code mvn jmh:run -Dflopcast.quick} and JMH's own properties override them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 1, time = 100, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 16, time = 25, timeUnit = TimeUnit.MILLISECONDS)
public abstract class BenchmarkSettings {
}
