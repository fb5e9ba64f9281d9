package flopcast.benchmarks;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * What the hardware probes share: their rows' pass and backend are {@code probe}, and each JMH
 * thread runs its own kernel on one thread (a row's threads are JMH's). Subclasses name their
 * component.
 */
@State(Scope.Thread)
public abstract class ProbeBenchmark extends BenchmarkSettings {
    /** One value: a probe of the host, not a pass of the model. */
    @Param({"probe"})
    public String pass;

    /** One value: no model backend runs. */
    @Param({"probe"})
    public String backend;

    /** One value: per JMH thread. */
    @Param({"1"})
    public String threads;
}
