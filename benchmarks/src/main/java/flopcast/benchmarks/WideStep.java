package flopcast.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The whole training step at the wide shape (V=4096 T=256 L=4 d=512 h=8 d_ff=2048 B=4) on every
 * processor: what the two backend comparison benchmarks time, each on its own backend and with
 * iterations sized to it ({@link BackendComparisonBenchmark}, {@link BackendComparisonEjmlBenchmark}).
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public abstract class WideStep extends BenchmarkSettings {
    private StepFixture fixture;

    /** The {@link Backends} parameter this comparison runs on. */
    protected abstract String backend();

    @Setup(Level.Trial)
    public void buildModel() {
        if (backend().startsWith("ejml")) {
            ModelProfileWarmup.run(backend());
        }
        fixture = new StepFixture(NamedShape.WIDE.shape(), backend());
    }

    @Benchmark
    public float step(Work work) {
        return fixture.step(work);
    }
}
