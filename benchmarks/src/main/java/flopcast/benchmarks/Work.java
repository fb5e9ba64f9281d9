package flopcast.benchmarks;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What one op does, as JMH auxiliary counters: each invocation adds its op's FLOPs and bytes (from
 * the analytic module) and 1 to {@code ops}, so any counter divided by {@code ops} is that
 * quantity per op, exactly. Event counters are summed, never divided by time, and zero where an
 * op has none of a kind.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class Work {
    /** Invocations. */
    public long ops;
    /** Matmul FLOPs (model FLOPs on step rows; FMA FLOPs in the peak probe). */
    public long matmulFlops;
    /** Elementwise FLOPs. */
    public long elementwiseFlops;
    /** AdamW FLOPs. */
    public long optimizerFlops;
    /** Bytes each input read once and each output written once. */
    public long bytes;
    /** Ops timed after a warm-up that did not settle ({@link SteadyState}): the row is marked invalid. */
    public long unsettled;

    @Setup(Level.Iteration)
    public void reset() {
        ops = 0;
        matmulFlops = 0;
        elementwiseFlops = 0;
        optimizerFlops = 0;
        bytes = 0;
        unsettled = 0;
    }

    /** Records one op. */
    public void add(PerOp perOp) {
        ops++;
        matmulFlops += perOp.matmulFlops();
        elementwiseFlops += perOp.elementwiseFlops();
        optimizerFlops += perOp.optimizerFlops();
        bytes += perOp.bytes();
        if (!SteadyState.settled()) {
            unsettled++;
        }
    }

    /** One op's work. */
    public record PerOp(long matmulFlops, long elementwiseFlops, long optimizerFlops, long bytes) {
    }
}
