package flopcast.measure.counting;

import java.util.Arrays;

/**
 * Where a step's time goes: calls, wall nanoseconds and FLOPs by {@link OpClass} and by the pass of
 * the counter it belongs to, recorded by the counting facade and by the op classes around the work
 * the facade does not see. Each timed region is a leaf: {@link #start} then {@link #stop} on the
 * thread that runs the model, never one inside another (a nested start is an error, so no
 * nanosecond is counted twice and the classes' sum cannot exceed the step). Work split across
 * threads is timed from the calling thread, the wall time of the split, and counted once per split,
 * so a per-call cost (hand-off, waiting) shows as time over calls.
 *
 * <p>Off (the default), {@link #start} returns 0 without reading the clock and {@link #stop}
 * returns at once: no clock read and no allocation per op, so an unprofiled step runs as before.
 * A part of a split ({@code HeadParts}) records into its own counter's profile; the part the
 * calling thread runs adds its calls and time to this one, every part its FLOPs ({@link #addPart}).
 * Pinned by {@code OpProfileTest}.
 */
public final class OpProfile {
    private static final int PASSES = FlopCounter.Pass.values().length;
    private static final int SLOTS = OpClass.values().length * PASSES;

    /** The counter whose pass a record is filed under. */
    private final FlopCounter counter;
    private boolean enabled;
    /** A region is open: {@link #start} was called and its {@link #stop} not yet. */
    private boolean open;
    private final long[] calls = new long[SLOTS];
    private final long[] nanos = new long[SLOTS];
    private final long[] flops = new long[SLOTS];
    /** Bytes moved, where a class counts them (the bfloat16 conversions). */
    private final long[] bytes = new long[SLOTS];

    OpProfile(FlopCounter counter) {
        this.counter = counter;
    }

    public boolean enabled() {
        return enabled;
    }

    /** Switches recording on or off; what was recorded stays. */
    public void enabled(boolean on) {
        enabled = on;
    }

    /** The clock at the start of a timed region, or 0 without reading it when off. */
    public long start() {
        if (!enabled) {
            return 0L;
        }
        if (open) {
            throw new IllegalStateException("a timed region started inside another: its time would count twice");
        }
        open = true;
        return System.nanoTime();
    }

    /** Ends the region {@link #start} opened at {@code start}: one call of {@code op} in the counter's pass. */
    public void stop(OpClass op, long start) {
        if (!enabled) {
            return;
        }
        record(op, System.nanoTime() - start);
    }

    /** {@link #stop}, and {@code executed} FLOPs of {@code op}. */
    public void stop(OpClass op, long start, long executed) {
        if (!enabled) {
            return;
        }
        stop(op, start);
        flops[slot(op, counter.pass())] += executed;
    }

    /** {@link #stop}, and {@code moved} bytes of {@code op}: a class whose work is bytes, not FLOPs. */
    public void stopMoving(OpClass op, long start, long moved) {
        if (!enabled) {
            return;
        }
        stop(op, start);
        bytes[slot(op, counter.pass())] += moved;
    }

    /** FLOPs of {@code op} in the counter's pass, executed in regions timed apart. */
    public void flops(OpClass op, long executed) {
        if (enabled) {
            flops[slot(op, counter.pass())] += executed;
        }
    }

    /**
     * Ends the region {@link #start} opened around a split that ran parts on several threads: one
     * call of {@code op}, the split's wall time less {@code timedInside}, what the calling thread's
     * own part timed in it (into its own profile, then {@link #addPart}).
     */
    public void stopSplit(OpClass op, long start, long timedInside) {
        if (!enabled) {
            return;
        }
        record(op, System.nanoTime() - start - timedInside);
    }

    /** Closes the open region: one call of {@code op} in the counter's pass, {@code elapsed} nanoseconds. */
    private void record(OpClass op, long elapsed) {
        open = false;
        int slot = slot(op, counter.pass());
        calls[slot]++;
        nanos[slot] += elapsed;
    }

    /**
     * Adds a split part's record: its FLOPs always, its calls and time only where the calling thread
     * ran it ({@code callingThread}); a worker's time ran alongside and is in the split's wall time.
     */
    public void addPart(OpProfile part, boolean callingThread) {
        for (int slot = 0; slot < SLOTS; slot++) {
            flops[slot] = Math.addExact(flops[slot], part.flops[slot]);
            if (callingThread) {
                bytes[slot] = Math.addExact(bytes[slot], part.bytes[slot]);
                calls[slot] = Math.addExact(calls[slot], part.calls[slot]);
                nanos[slot] = Math.addExact(nanos[slot], part.nanos[slot]);
            }
        }
    }

    /** Nanoseconds timed under every class and pass. */
    public long timedNanos() {
        long total = 0;
        for (long value : nanos) {
            total = Math.addExact(total, value);
        }
        return total;
    }

    /** Forgets what was recorded; on or off stays. */
    public void clear() {
        Arrays.fill(calls, 0);
        Arrays.fill(nanos, 0);
        Arrays.fill(flops, 0);
        Arrays.fill(bytes, 0);
        open = false;
    }

    public long calls(OpClass op, FlopCounter.Pass pass) {
        return calls[slot(op, pass)];
    }

    public long nanos(OpClass op, FlopCounter.Pass pass) {
        return nanos[slot(op, pass)];
    }

    public long flops(OpClass op, FlopCounter.Pass pass) {
        return flops[slot(op, pass)];
    }

    /** Bytes {@code op} moved in {@code pass}, where it counts them ({@link #stopMoving}); 0 elsewhere. */
    public long bytes(OpClass op, FlopCounter.Pass pass) {
        return bytes[slot(op, pass)];
    }

    private static int slot(OpClass op, FlopCounter.Pass pass) {
        return op.ordinal() * PASSES + pass.ordinal();
    }
}
