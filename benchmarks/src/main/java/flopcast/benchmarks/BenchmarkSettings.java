package flopcast.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Settings every benchmark shares: average time per op in seconds, one fork, a short warm-up
 * (JIT: the first call of a kernel is far slower than the rest) and five measured iterations, of
 * 300 ms so that the default run stays under ten minutes on the slower of the 2-core hosts it has
 * run on (an AMD EPYC with AVX2, where 500 ms iterations made it twelve). {@code mvn jmh:run
 * -Dflopcast.quick} and JMH's own properties override them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 300, timeUnit = TimeUnit.MILLISECONDS)
public abstract class BenchmarkSettings {
}
