package flopcast.measure.buffers;

import java.util.ArrayList;
import java.util.List;

/**
 * When the executed step uses each of its buffers: every buffer {@link ModelBuffers} allocates is
 * tracked by its storage (a view of it shares its tracker), and each load, open, store or zero of it
 * marks the phase the step is in ({@link #phase}, named by the model as {@code StepTimeline} names
 * its phases). After a step, {@link #timeline} gives the bytes alive at each phase by kind: the
 * weights, the master copy and the moments, and the gradients zeroed in place, throughout; a kept
 * activation or a workspace buffer from the first phase that used it to the last, as a pool that takes
 * a buffer at its first use and gives it back after its last would hold them. Set to none
 * ({@link #timeline(boolean)}), a gradient lives from the phase whose backward op first accumulates
 * into it. {@code MemoryLogTest} holds the prediction to both. After a step, {@link #pool} makes the
 * steps that follow allocate and release the buffers as those uses say ({@link BufferPool}).
 *
 * <p>Confined to the thread that runs the model: the ops load, open, store and zero their buffers on
 * it (the attention heads' worker threads get matrices already loaded), so the marks need no lock.
 *
 * <p>Not tracked: the float32 working copies of a bf16 policy (outside the tensor tables).
 */
public final class MemoryLog {

    /** What a buffer holds, as {@code StepTimeline.Live} splits the bytes. */
    public enum Kind {
        WEIGHTS, OPTIMIZER_STATE, GRADIENTS, ACTIVATIONS, WORKSPACE;

        /** Alive throughout the step, whatever touches it. */
        boolean persistent() {
            return this == WEIGHTS || this == OPTIMIZER_STATE || this == GRADIENTS;
        }
    }

    /** A buffer's arrays as the {@link BufferPool} releases and allocates them: dropped, then allocated anew, zeroed. */
    interface Storage {
        void release();

        void allocate();
    }

    /** One buffer's storage: its bytes and kind, and the first and last phase of this step that used it. */
    static final class Tracker {
        private final MemoryLog log;
        final long bytes;
        final Kind kind;
        /** Its arrays, for the pool to release and allocate; null: never released (an NF4 weight's codes). */
        final Storage storage;
        /** Whether its arrays are allocated (every buffer is when the model is built); the pool's to change. */
        boolean held = true;
        /** Whether the pool released it during the current micro-batch (a use after that is an error). */
        boolean releasedThisMicroBatch;
        /** The current micro-batch's first and last phase using it; -1 where none has. */
        int first = -1;
        int last = -1;
        /** Earlier micro-batches' spans of this step, {first, last} each. */
        final List<int[]> earlier = new ArrayList<>();
        /** The step's first phase using it (a gradient set to none lives from there to the step's end). */
        private int stepFirst = -1;

        private Tracker(MemoryLog log, long bytes, Kind kind, Storage storage) {
            this.log = log;
            this.bytes = bytes;
            this.kind = kind;
            this.storage = storage;
        }

        void touch() {
            log.touch(this);
        }

        /**
         * The storage set to 0 in place: a use of a workspace buffer, but not a gradient's first write.
         * The executed model zeroes every gradient as its backward pass begins; set to none, a gradient
         * would be allocated by the first backward op that accumulates into it, and that is the phase
         * the log keeps.
         */
        void touchZeroed() {
            if (kind != Kind.GRADIENTS) {
                log.touch(this);
            }
        }

        /** Whether a use of this micro-batch or an earlier one's spans phase {@code phase}. */
        private boolean used(int phase) {
            if (first >= 0 && first <= phase && phase <= last) {
                return true;
            }
            for (int[] span : earlier) {
                if (span[0] <= phase && phase <= span[1]) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * The bytes alive at one phase of the step, by kind.
     *
     * @param microBatch the micro-batch it belongs to, from 1; 0 for the optimizer, after them all
     * @param name       the phase, as the model named it
     */
    public record Phase(int microBatch, String name, long weights, long optimizerState, long gradients,
            long activations, long workspace) {
        /** Every kind's bytes together. */
        public long total() {
            return Math.addExact(Math.addExact(Math.addExact(weights, optimizerState), Math.addExact(gradients,
                    activations)), workspace);
        }
    }

    private final List<Tracker> trackers = new ArrayList<>();
    private final List<String> phases = new ArrayList<>();
    private final List<Integer> microBatches = new ArrayList<>();
    private int microBatch;
    private boolean recording;
    /** Allocates and releases the buffers from the step after the one {@link #pool} followed; null before. */
    private BufferPool pool;

    /** A new buffer's tracker; {@code storage} releases and allocates its arrays, null where they persist. */
    Tracker track(long bytes, Kind kind, Storage storage) {
        Tracker tracker = new Tracker(this, bytes, kind, storage);
        trackers.add(tracker);
        return tracker;
    }

    /** Forgets the last step's phases and uses: the next {@link #phase} is this step's first. */
    public void startStep() {
        if (pool != null) {
            pool.endStep();
        }
        phases.clear();
        microBatches.clear();
        for (Tracker tracker : trackers) {
            tracker.first = -1;
            tracker.last = -1;
            tracker.earlier.clear();
            tracker.stepFirst = -1;
        }
        recording = true;
        if (pool != null) {
            pool.startStep();
        }
    }

    /**
     * From the next step on, allocates and releases the buffers as the last step used them ({@link BufferPool});
     * where {@code gradientsSetToNone}, each gradient released as a step starts and allocated by its first
     * accumulation. Every later step must run the last step's phases (an error otherwise).
     */
    public BufferPool pool(boolean gradientsSetToNone) {
        if (phases.isEmpty()) {
            throw new IllegalStateException("the pool follows a recorded step: run one step before pooling");
        }
        if (pool != null) {
            throw new IllegalStateException("the buffers are pooled already");
        }
        List<List<Tracker>> releaseAfter = new ArrayList<>();
        for (int phase = 0; phase < phases.size(); phase++) {
            releaseAfter.add(new ArrayList<>());
        }
        for (Tracker tracker : trackers) {
            if (tracker.kind != Kind.ACTIVATIONS) {
                continue;
            }
            for (int[] span : tracker.earlier) {
                releaseAfter.get(span[1]).add(tracker);
            }
            if (tracker.first >= 0) {
                releaseAfter.get(tracker.last).add(tracker);
            }
        }
        pool = new BufferPool(trackers, phases, releaseAfter, gradientsSetToNone);
        return pool;
    }

    /** Ends a pooled step where the model has run its last phase; nothing to do unpooled. */
    public void endStep() {
        if (pool != null) {
            pool.endStep();
        }
    }

    /**
     * The step starts micro-batch {@code number} (from 1; 0: the optimizer, after them all): a buffer
     * used again from here lives again from its next first use, as a pool would take it anew.
     */
    public void startMicroBatch(int number) {
        microBatch = number;
        for (Tracker tracker : trackers) {
            if (tracker.first >= 0) {
                tracker.earlier.add(new int[] {tracker.first, tracker.last});
            }
            tracker.first = -1;
            tracker.last = -1;
        }
        if (pool != null) {
            pool.startMicroBatch(number);
        }
    }

    /** The step enters phase {@code name}: the uses that follow are this phase's. */
    public void phase(String name) {
        if (!recording) {
            return;
        }
        if (pool != null) {
            pool.enterPhase(phases.size(), name, microBatch);
        }
        phases.add(name);
        microBatches.add(microBatch);
    }

    private void touch(Tracker tracker) {
        if (pool != null && !tracker.held) {
            pool.acquireOnUse(tracker, phases.isEmpty() ? "before any phase" : phases.get(phases.size() - 1));
        }
        if (!recording || phases.isEmpty()) {
            return;
        }
        int phase = phases.size() - 1;
        if (tracker.first < 0) {
            tracker.first = phase;
        }
        tracker.last = phase;
        if (tracker.stepFirst < 0) {
            tracker.stepFirst = phase;
        }
    }

    /** The last step's phases in order, each with the bytes alive there by kind, the gradients zeroed in place. */
    public List<Phase> timeline() {
        return timeline(false);
    }

    /**
     * The last step's phases in order, each with the bytes alive there by kind; where
     * {@code gradientsSetToNone}, each gradient alive from the phase that first accumulated into it to the
     * step's end (its optimizer phase), as PyTorch's {@code zero_grad(set_to_none=True)} leaves them.
     */
    public List<Phase> timeline(boolean gradientsSetToNone) {
        List<Phase> timeline = new ArrayList<>();
        for (int phase = 0; phase < phases.size(); phase++) {
            long[] bytes = new long[Kind.values().length];
            for (Tracker tracker : trackers) {
                boolean appearing = gradientsSetToNone && tracker.kind == Kind.GRADIENTS;
                boolean alive = appearing ? tracker.stepFirst >= 0 && tracker.stepFirst <= phase
                        : tracker.kind.persistent() || tracker.used(phase);
                if (alive) {
                    bytes[tracker.kind.ordinal()] = Math.addExact(bytes[tracker.kind.ordinal()], tracker.bytes);
                }
            }
            timeline.add(new Phase(microBatches.get(phase), phases.get(phase), bytes[Kind.WEIGHTS.ordinal()],
                    bytes[Kind.OPTIMIZER_STATE.ordinal()], bytes[Kind.GRADIENTS.ordinal()],
                    bytes[Kind.ACTIVATIONS.ordinal()], bytes[Kind.WORKSPACE.ordinal()]));
        }
        return timeline;
    }
}
