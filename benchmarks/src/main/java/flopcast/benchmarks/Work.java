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
    /**
     * Ops: one per invocation, or the several one invocation runs where its op is too short to time
     * alone (a bandwidth probe's sweeps over arrays in the first cache level).
     */
    public long ops;
    /** Invocations: the derivation times an op as an invocation's time times calls over ops. */
    public long calls;
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
    /** Threads each op's kernel ran on: per op, the row's threads (times JMH's threads). */
    public long kernelThreads;
    /** The heap the analytic module predicts for what the op runs, where the derivation measures it; else 0. */
    public long predictedHeapBytes;
    /**
     * Which of {@link InterleavedBenchmark}'s turns ran, plus 1, per op (0 in any other benchmark): the
     * derivation reads each iteration's turn from it and gives every turn its own row.
     */
    public long turn;
    /** How many rows take turns in {@link InterleavedBenchmark}'s trial, per op (0 in any other benchmark). */
    public long rotation;

    @Setup(Level.Iteration)
    public void reset() {
        ops = 0;
        calls = 0;
        matmulFlops = 0;
        elementwiseFlops = 0;
        optimizerFlops = 0;
        bytes = 0;
        unsettled = 0;
        kernelThreads = 0;
        predictedHeapBytes = 0;
        turn = 0;
        rotation = 0;
    }

    /** Records one invocation of one op, unsettled where any warm-up in this JVM was. */
    public void add(PerOp perOp) {
        add(perOp, 1);
    }

    /** Records one invocation that ran {@code count} ops, unsettled where any warm-up in this JVM was. */
    public void add(PerOp perOp, int count) {
        add(perOp, -1, 0, SteadyState.settled(), count);
    }

    /**
     * Records one invocation, {@code count} ops, of {@link InterleavedBenchmark}'s turn {@code index}
     * of {@code rows} (-1 of 0 in any other benchmark), whose warm-up {@code settled} or not.
     */
    void add(PerOp perOp, int index, int rows, boolean settled, int count) {
        calls++;
        ops += count;
        turn += (long) count * (index + 1);
        rotation += (long) count * rows;
        matmulFlops += count * perOp.matmulFlops();
        elementwiseFlops += count * perOp.elementwiseFlops();
        optimizerFlops += count * perOp.optimizerFlops();
        bytes += count * perOp.bytes();
        kernelThreads += (long) count * perOp.kernelThreads();
        predictedHeapBytes += count * perOp.predictedHeapBytes();
        if (!settled) {
            unsettled += count;
        }
    }

    /**
     * One op's work, and what the row needs to know of the kernel that did it: its threads and, where
     * the derivation measures the live heap, the predicted heap.
     */
    public record PerOp(long matmulFlops, long elementwiseFlops, long optimizerFlops, long bytes, int kernelThreads,
            long predictedHeapBytes) {
        public PerOp {
            if (kernelThreads < 1) {
                throw new IllegalArgumentException("kernel threads must be 1 or more, got " + kernelThreads);
            }
        }

        /** On one thread, heap not measured. */
        public PerOp(long matmulFlops, long elementwiseFlops, long optimizerFlops, long bytes) {
            this(matmulFlops, elementwiseFlops, optimizerFlops, bytes, 1, 0);
        }

        public PerOp onThreads(int threads) {
            return new PerOp(matmulFlops, elementwiseFlops, optimizerFlops, bytes, threads, predictedHeapBytes);
        }

        public PerOp withPredictedHeap(long heapBytes) {
            return new PerOp(matmulFlops, elementwiseFlops, optimizerFlops, bytes, kernelThreads, heapBytes);
        }
    }
}
