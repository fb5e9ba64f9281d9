package flopcast.measure.buffers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * The executed step's buffers allocated and released as the predicted timeline says, following the uses
 * {@link MemoryLog} recorded in a step: from the next step on, a kept activation's arrays are released after
 * the last phase of its micro-batch that used it (dropped, so the JVM can collect them) and allocated anew,
 * zeroed, at its next first use; a gradient set to none is released as a step starts, as PyTorch's {@code
 * zero_grad(set_to_none=True)} drops it, and allocated by the first backward op that accumulates into it; the
 * workspace, one pool for both passes as {@code StepTimeline} predicts it, is allocated as the step starts
 * and released as the optimizer runs; the weights and the optimizer state persist. It keeps its live bytes
 * by kind through every acquire and release, and records them as each phase ends, before that phase's
 * releases: within a phase it only acquires, so that is the phase's most ({@link #timeline}).
 *
 * <p>A use of a buffer it released, later in the same micro-batch or between steps, is an error, never a
 * silent read of zeros; a step whose phases differ from the recorded step's is one too. The kernels read a
 * buffer's arrays as each op starts (a matrix's {@code data}, an int32 row's values), so none holds a
 * released array. {@code MemoryLogTest} holds pooled steps to the same steps with every buffer held, and
 * {@code TrainRunTest} the JVM's heap to the predicted timeline.
 */
public final class BufferPool {
    private final List<MemoryLog.Tracker> trackers;
    private final boolean gradientsSetToNone;
    /** The recorded step's phases, which every pooled step must repeat. */
    private final List<String> recordedPhases;
    /** The kept activations to release after each phase of the step, from the recorded step's uses. */
    private final List<List<MemoryLog.Tracker>> releaseAfter;
    /** Its live bytes now, by kind. */
    private final long[] live = new long[MemoryLog.Kind.values().length];
    /** The current step's phases so far: their live bytes as each ended (by kind), and their micro-batches. */
    private final List<long[]> ended = new ArrayList<>();
    private final List<Integer> microBatches = new ArrayList<>();
    private int microBatch;
    private long events;
    private long allocatedBytes;
    /** Whether a pooled step is under way: between steps a released buffer may not be used. */
    private boolean stepUnderWay;
    /** Given each phase's index as it ends, in the next step only; null for none. */
    private IntConsumer hook;
    private boolean hookStep;

    BufferPool(List<MemoryLog.Tracker> trackers, List<String> recordedPhases,
            List<List<MemoryLog.Tracker>> releaseAfter, boolean gradientsSetToNone) {
        this.trackers = trackers;
        this.recordedPhases = List.copyOf(recordedPhases);
        this.releaseAfter = releaseAfter;
        this.gradientsSetToNone = gradientsSetToNone;
        for (MemoryLog.Tracker tracker : trackers) {
            if (tracker.held) {
                live[tracker.kind.ordinal()] = Math.addExact(live[tracker.kind.ordinal()], tracker.bytes);
            }
        }
        // between steps it holds what a step starts from: no kept activation and no workspace
        for (MemoryLog.Tracker tracker : trackers) {
            if (tracker.kind == MemoryLog.Kind.ACTIVATIONS || tracker.kind == MemoryLog.Kind.WORKSPACE) {
                release(tracker);
            }
        }
        events = 0;
    }

    /**
     * Gives {@code hook} the index of each phase of the next step as it ends, before the phase's releases
     * (where the pool holds that phase's most: a heap measurement belongs there), then drops it.
     */
    public void atPhaseEnds(IntConsumer hook) {
        this.hook = hook;
    }

    /**
     * The last pooled step's phases in order (its micro-batches and names as the model named them), each with
     * the bytes the pool held as it ended, by kind; empty before a pooled step has run.
     */
    public List<MemoryLog.Phase> timeline() {
        List<MemoryLog.Phase> timeline = new ArrayList<>();
        for (int phase = 0; phase < ended.size(); phase++) {
            long[] bytes = ended.get(phase);
            timeline.add(new MemoryLog.Phase(microBatches.get(phase), recordedPhases.get(phase),
                    bytes[MemoryLog.Kind.WEIGHTS.ordinal()], bytes[MemoryLog.Kind.OPTIMIZER_STATE.ordinal()],
                    bytes[MemoryLog.Kind.GRADIENTS.ordinal()], bytes[MemoryLog.Kind.ACTIVATIONS.ordinal()],
                    bytes[MemoryLog.Kind.WORKSPACE.ordinal()]));
        }
        return timeline;
    }

    /** The acquires and releases it made in the last pooled step. */
    public long events() {
        return events;
    }

    /** Bytes of the arrays it allocated in the last pooled step. */
    public long allocatedBytes() {
        return allocatedBytes;
    }

    /** A step starts: the gradients set to none released, the workspace allocated. */
    void startStep() {
        ended.clear();
        microBatches.clear();
        events = 0;
        allocatedBytes = 0;
        stepUnderWay = true;
        hookStep = hook != null;
        for (MemoryLog.Tracker tracker : trackers) {
            tracker.releasedThisMicroBatch = false;
            if (gradientsSetToNone && tracker.kind == MemoryLog.Kind.GRADIENTS) {
                release(tracker);
            }
        }
        for (MemoryLog.Tracker tracker : trackers) {
            if (tracker.kind == MemoryLog.Kind.WORKSPACE) {
                acquire(tracker);
            }
        }
    }

    void startMicroBatch(int number) {
        microBatch = number;
        for (MemoryLog.Tracker tracker : trackers) {
            tracker.releasedThisMicroBatch = false;
        }
    }

    /** The step enters its phase {@code index}, {@code name}: the one before it ends; the optimizer gives the workspace back. */
    void enterPhase(int index, String name, int microBatchOfPhase) {
        if (index >= recordedPhases.size() || !recordedPhases.get(index).equals(name)) {
            throw new IllegalStateException("phase " + (index + 1) + " of a pooled step is " + name
                    + ", but the recorded step's was " + (index < recordedPhases.size() ? recordedPhases.get(index)
                    : "none"));
        }
        if (index > 0) {
            endPhase(index - 1);
        }
        microBatches.add(microBatchOfPhase);
        if (microBatchOfPhase == 0) {
            for (MemoryLog.Tracker tracker : trackers) {
                if (tracker.kind == MemoryLog.Kind.WORKSPACE) {
                    release(tracker);
                }
            }
        }
    }

    /** The step's last phase ends, with its releases; nothing where no step is under way. */
    void endStep() {
        if (!stepUnderWay) {
            return;
        }
        if (!microBatches.isEmpty() && ended.size() < microBatches.size()) {
            endPhase(microBatches.size() - 1);
        }
        stepUnderWay = false;
        if (hookStep) {
            hook = null;
            hookStep = false;
        }
    }

    /** A use of a buffer it released: allocated anew within a step, before it was released in the micro-batch. */
    void acquireOnUse(MemoryLog.Tracker tracker, String phase) {
        if (!stepUnderWay || tracker.releasedThisMicroBatch) {
            throw new IllegalStateException("a buffer of " + tracker.bytes + " bytes ("
                    + tracker.kind.name().toLowerCase(Locale.ROOT).replace('_', ' ') + ") is used " + (stepUnderWay
                    ? "at phase " + phase : "between steps") + " after the pool released it: the step differs from the"
                    + " recorded one");
        }
        acquire(tracker);
    }

    private void endPhase(int phase) {
        ended.add(live.clone());
        if (hookStep) {
            hook.accept(phase);
        }
        // a micro-batch's last phase ends as the next one's first begins: its releases are not the new one's
        boolean sameMicroBatch = microBatches.get(phase) == microBatch;
        for (MemoryLog.Tracker tracker : releaseAfter.get(phase)) {
            release(tracker);
            tracker.releasedThisMicroBatch = sameMicroBatch;
        }
    }

    private void release(MemoryLog.Tracker tracker) {
        if (!tracker.held || tracker.storage == null) {
            return;
        }
        tracker.storage.release();
        tracker.held = false;
        live[tracker.kind.ordinal()] -= tracker.bytes;
        events++;
    }

    private void acquire(MemoryLog.Tracker tracker) {
        if (tracker.held) {
            return;
        }
        tracker.storage.allocate();
        tracker.held = true;
        live[tracker.kind.ordinal()] = Math.addExact(live[tracker.kind.ordinal()], tracker.bytes);
        allocatedBytes = Math.addExact(allocatedBytes, tracker.bytes);
        events++;
    }
}
