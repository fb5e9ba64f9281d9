package flopcast.benchmarks;

import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * What the whole-step benchmarks share: a model at a named shape on a backend and thread count
 * (the subclass's {@code @Param}s, {@link Identity}), one fixed batch, and the step's FLOPs, bytes
 * and, where the derivation measures it, predicted heap per op ({@link StepFixture}).
 */
@State(Scope.Thread)
public abstract class WholeStepBenchmark extends BenchmarkSettings {
    /** One value: a step is its own component. */
    @Param({"step"})
    public String component;

    /** One value: forward, backward and AdamW. */
    @Param({"step"})
    public String pass;

    private StepFixture fixture;

    @Setup(Level.Trial)
    public void buildModel(BenchmarkParams params) {
        Identity identity = Identity.of(params);
        identity.expect("step", "step");
        fixture = new StepFixture(identity, measuresHeap());
        warm(identity, fixture);
    }

    /**
     * Whether the derivation measures this step's live heap, building the model once more outside
     * JMH's timing: yes, unless a subclass says otherwise.
     */
    boolean measuresHeap() {
        return true;
    }

    /** Brings the step to the state JMH times: until {@link SteadyState} has seen the step settle. */
    void warm(Identity identity, StepFixture fixture) {
        SteadyState.warm(fixture::step, SteadyState.STEP_MIN_SECONDS);
    }

    /**
     * The row of {@code benchmark} with parameters {@code params} as a turn of
     * {@link InterleavedBenchmark}: the model and batch this class's trial would build, its heap
     * predicted for the derivation to measure.
     */
    static Turn turn(String benchmark, Map<String, String> params) {
        Identity identity = Identity.of(benchmark, params);
        identity.expect("step", "step");
        StepFixture fixture = new StepFixture(identity, true);
        return new Turn(fixture::step, () -> { }, fixture.perOp(), true);
    }

    @Benchmark
    public float step(Work work) {
        return fixture.step(work);
    }
}
