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
 * of 100 ms and three measured iterations of 150 ms. The JIT's warm-up is not JMH's: every
 * benchmark's trial setup runs its op until compilation has settled ({@link SteadyState}), so JMH's
 * warm-up iteration only lets JMH's own loop compile around it. Short iterations keep the default
 * run, some two hundred trials, within ten minutes on 2 cores (four of 250 ms made it 12.5 minutes, three of 200 ms 10). {@code mvn jmh:run -Dflopcast.quick}
 * and JMH's own properties override them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 1, time = 100, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 3, time = 150, timeUnit = TimeUnit.MILLISECONDS)
public abstract class BenchmarkSettings {
}
