package flopcast.measure.counting;

import flopcast.analytic.Component;
import flopcast.analytic.KeptActivation;

/**
 * What one run executed, by pass and by component: matmul FLOPs of the forward and backward
 * passes, elementwise FLOPs, AdamW FLOPs, and the kept floats the backward pass read. It is
 * passed to whatever counts, never global. Recording allocates nothing. One thread records into a
 * counter; work split across threads counts into one counter per part and {@link #add}s them.
 * Each counter carries its {@link OpProfile}, off unless switched on, which times the same calls.
 */
public final class FlopCounter {

    /**
     * Which pass the work being recorded belongs to; RECOMPUTE: forward work the backward pass runs
     * again; OPTIMIZER: the AdamW step, which has no matmuls.
     */
    public enum Pass { FORWARD, BACKWARD, RECOMPUTE, OPTIMIZER }

    private static final int COMPONENTS = Component.values().length;
    private static final int KEPT_ROWS = KeptActivation.values().length;

    private Pass pass = Pass.FORWARD;
    private final long[] forwardMatmul = new long[COMPONENTS];
    private final long[] backwardMatmul = new long[COMPONENTS];
    private final long[] recomputeMatmul = new long[COMPONENTS];
    private final long[] elementwise = new long[COMPONENTS];
    private final long[] keptFloatsRead = new long[COMPONENTS];
    private final long[] keptFloatsReadByRow = new long[KEPT_ROWS];
    private long optimizer;
    private final OpProfile profile = new OpProfile(this);

    /** Where the counted calls' time goes; off until switched on, and kept across {@link #reset}. */
    public OpProfile profile() {
        return profile;
    }

    public void pass(Pass current) {
        pass = current;
    }

    public Pass pass() {
        return pass;
    }

    /** Adds everything {@code other} recorded to this counter (parts of a loop counted apart). */
    public void add(FlopCounter other) {
        for (int i = 0; i < COMPONENTS; i++) {
            forwardMatmul[i] = Math.addExact(forwardMatmul[i], other.forwardMatmul[i]);
            backwardMatmul[i] = Math.addExact(backwardMatmul[i], other.backwardMatmul[i]);
            recomputeMatmul[i] = Math.addExact(recomputeMatmul[i], other.recomputeMatmul[i]);
            elementwise[i] = Math.addExact(elementwise[i], other.elementwise[i]);
            keptFloatsRead[i] = Math.addExact(keptFloatsRead[i], other.keptFloatsRead[i]);
        }
        for (int i = 0; i < KEPT_ROWS; i++) {
            keptFloatsReadByRow[i] = Math.addExact(keptFloatsReadByRow[i], other.keptFloatsReadByRow[i]);
        }
        optimizer = Math.addExact(optimizer, other.optimizer);
    }

    /** A matmul of {@code component}, 2*m*n*k FLOPs, in the current pass. */
    public void matmul(Component component, long flops) {
        long[] target = switch (pass) {
            case FORWARD -> forwardMatmul;
            case BACKWARD -> backwardMatmul;
            case RECOMPUTE -> recomputeMatmul;
            case OPTIMIZER -> throw new IllegalStateException("a matmul in the optimizer pass: AdamW has none");
        };
        target[component.ordinal()] = Math.addExact(target[component.ordinal()], flops);
    }

    public void elementwise(Component component, long flops) {
        elementwise[component.ordinal()] = Math.addExact(elementwise[component.ordinal()], flops);
    }

    public void optimizer(long flops) {
        optimizer = Math.addExact(optimizer, flops);
    }

    /** The backward pass read an instance of the kept tensor {@code row}, written by its component. */
    public void keptRead(KeptActivation row, long floats) {
        int component = row.component().ordinal();
        keptFloatsRead[component] = Math.addExact(keptFloatsRead[component], floats);
        keptFloatsReadByRow[row.ordinal()] = Math.addExact(keptFloatsReadByRow[row.ordinal()], floats);
    }

    public void reset() {
        java.util.Arrays.fill(forwardMatmul, 0);
        java.util.Arrays.fill(backwardMatmul, 0);
        java.util.Arrays.fill(recomputeMatmul, 0);
        java.util.Arrays.fill(elementwise, 0);
        java.util.Arrays.fill(keptFloatsRead, 0);
        java.util.Arrays.fill(keptFloatsReadByRow, 0);
        optimizer = 0;
        pass = Pass.FORWARD;
    }

    public long forwardMatmulFlops(Component component) {
        return forwardMatmul[component.ordinal()];
    }

    public long backwardMatmulFlops(Component component) {
        return backwardMatmul[component.ordinal()];
    }

    public long recomputeMatmulFlops(Component component) {
        return recomputeMatmul[component.ordinal()];
    }

    public long elementwiseFlops(Component component) {
        return elementwise[component.ordinal()];
    }

    public long keptFloatsRead(Component component) {
        return keptFloatsRead[component.ordinal()];
    }

    /** The floats of every instance of {@code row} the backward pass read. */
    public long keptFloatsRead(KeptActivation row) {
        return keptFloatsReadByRow[row.ordinal()];
    }

    public long forwardMatmulFlops() {
        return sum(forwardMatmul);
    }

    public long backwardMatmulFlops() {
        return sum(backwardMatmul);
    }

    public long elementwiseFlops() {
        return sum(elementwise);
    }

    /** Matmul FLOPs run again in backward (hardware FLOPs beyond the model's). */
    public long recomputeMatmulFlops() {
        return sum(recomputeMatmul);
    }

    public long keptFloatsRead() {
        return sum(keptFloatsRead);
    }

    public long optimizerFlops() {
        return optimizer;
    }

    private static long sum(long[] values) {
        long total = 0;
        for (long value : values) {
            total = Math.addExact(total, value);
        }
        return total;
    }
}
