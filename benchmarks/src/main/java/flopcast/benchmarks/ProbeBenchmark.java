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
 * What the hardware probes share: their rows' pass and backend are {@code probe}, and their
 * {@code all} rows split the work over the model's own threads ({@code Workers}), one JMH thread
 * calling, as every model row does: so the probes take turns with the rows they describe in
 * {@link InterleavedBenchmark}, and each measures the same mix of the host's states as they do
 * (timed in forks of their own, a probe saw the host minutes away from the rows it divided, and a
 * row ran above the peak or bandwidth it was measured against). Subclasses name their component and
 * build their {@link Probe}.
 */
@State(Scope.Thread)
public abstract class ProbeBenchmark extends BenchmarkSettings {
    /** One value: a probe of the host, not a pass of the model. */
    @Param({"probe"})
    public String pass;

    /** One value: no model backend runs. */
    @Param({"probe"})
    public String backend;

    @Param({"1", "all"})
    public String threads;

    private Probe probe;

    /**
     * A probe as a call: what one call runs, what each of its ops does, and how many ops one call runs
     * (several where one is too short to time alone beside the threads' hand-off).
     */
    record Probe(SteadyState.Op call, Work.PerOp perOp, int opsPerCall) {
        Turn turn() {
            return new Turn(call, () -> { }, perOp, false, opsPerCall);
        }
    }

    @Setup(Level.Trial)
    public void buildProbe(BenchmarkParams params) {
        probe = probe(params.getBenchmark(), Identity.values(params));
        SteadyState.warm(probe.call());
    }

    /** The probe of {@code benchmark}'s trial with parameters {@code params}. */
    abstract Probe probe(String benchmark, Map<String, String> params);

    @Benchmark
    public Object run(Work work) {
        Object result = probe.call().run();
        work.add(probe.perOp(), probe.opsPerCall());
        return result;
    }
}
