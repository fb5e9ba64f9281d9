package flopcast.measure.buffers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * When the executed step uses each of its buffers: every buffer {@link ModelBuffers} allocates is
 * tracked by its storage (a view of it shares its tracker), and each load, open, store or zero of it
 * marks the phase the step is in ({@link #phase}, named by the model as {@code StepTimeline} names
 * its phases). After a step, {@link #timeline} gives the bytes alive at each phase by kind: the
 * weights, the master copy and the moments, and the gradients (zeroed in place, as this model does)
 * throughout; a kept activation or a workspace buffer from the first phase that used it to the last,
 * as a pool that takes a buffer at its first use and gives it back after its last would hold them.
 * Set to none ({@link #timeline(boolean)}), a gradient lives from the phase whose backward op first
 * accumulates into it. {@code MemoryLogTest} holds the prediction to both.
 *
 * <p>Confined to the thread that runs the model: the ops load, open, store and zero their buffers on
 * it (the attention heads' worker threads get matrices already loaded), so the marks need no lock.
 *
 * <p><b>Pooled</b> ({@link #pool}, after a step has recorded its uses): from the next step on, the
 * buffers are allocated and released as the timeline says, and the pool records the live bytes by kind
 * at every acquire and release ({@link #pooledTimeline}). A kept activation's storage is released after
 * the last phase of its micro-batch that used it (its arrays dropped, so the JVM can collect them) and
 * allocated anew, zeroed, at its next first use; a gradient set to none is released as the next step
 * starts and allocated at the first backward op that accumulates into it; the workspace, one pool for
 * both passes as {@code StepTimeline} predicts it, is allocated as the step starts and released as the
 * optimizer runs (its kernels read its arrays as each op starts). A use of a buffer after the pool released it
 * in the same micro-batch is an error, never a silent read of zeros.
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

    /** A buffer's arrays as the pool releases and allocates them: dropped, then allocated anew, zeroed. */
    interface Storage {
        void release();

        void allocate();
    }

    /** One buffer's storage: its bytes and kind, and the first and last phase of this step that used it. */
    static final class Tracker {
        private final MemoryLog log;
        private final long bytes;
        private final Kind kind;
        /** Its arrays, for the pool to release and allocate; null: counted by the pool but never freed. */
        private final Storage storage;
        /** Whether the pool holds it now (every buffer is allocated when the model is built). */
        private boolean held = true;
        /** Whether the pool released it during the current micro-batch (a use after that is an error). */
        private boolean releasedThisMicroBatch;
        /** The current micro-batch's first and last phase using it; -1 where none has. */
        private int first = -1;
        private int last = -1;
        /** Earlier micro-batches' spans of this step, {first, last} each. */
        private final List<int[]> earlier = new ArrayList<>();
        /** The step's first phase using it (a gradient set to none lives from there to the step's end). */
        private int stepFirst = -1;

        private Tracker(MemoryLog log, long bytes, Kind kind, Storage storage) {
            this.log = log;
            this.bytes = bytes;
            this.kind = kind;
            this.storage = storage;
        }

        /** Whether its arrays are allocated now: false only for a buffer the pool has released. */
        boolean held() {
            return held;
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

    /** Whether the buffers are allocated and released as the recorded step used them ({@link #pool}). */
    private boolean pooled;
    private boolean poolGradientsSetToNone;
    /** The recorded step's phases, which every pooled step must repeat. */
    private List<String> recordedPhases = List.of();
    /** The kept activations to release after each phase of the step, from the recorded step's uses. */
    private List<List<Tracker>> releaseAfter = List.of();
    /** The pool's live bytes now, by kind. */
    private final long[] live = new long[Kind.values().length];
    /** The pool's live bytes at the end of each phase of the current pooled step, by kind (each phase's most). */
    private final List<long[]> pooledPhases = new ArrayList<>();
    /** Acquires and releases the pool made in the current pooled step. */
    private long poolEvents;
    /** Bytes of the arrays the pool allocated in the current pooled step (the workspace it only counts left out). */
    private long poolAllocatedBytes;
    /** Whether the current pooled step's last phase has ended ({@link #endStep}). */
    private boolean stepEnded = true;
    /** Runs as each phase of the next pooled step ends, before its releases (a heap measurement), given its index. */
    private IntConsumer hook;
    /** Whether the hook has a step of its own under way (it is given one step's phases, then dropped). */
    private boolean hookStep;

    /** A new buffer's tracker: counted by the pool, and never freed where {@code storage} is null. */
    Tracker track(long bytes, Kind kind, Storage storage) {
        Tracker tracker = new Tracker(this, bytes, kind, storage);
        trackers.add(tracker);
        live[kind.ordinal()] = Math.addExact(live[kind.ordinal()], bytes);
        return tracker;
    }

    /** Forgets the last step's phases and uses: the next {@link #phase} is this step's first. */
    public void startStep() {
        if (pooled) {
            endStep();
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
        if (pooled) {
            pooledPhases.clear();
            poolEvents = 0;
            poolAllocatedBytes = 0;
            stepEnded = false;
            hookStep = hook != null;
            for (Tracker tracker : trackers) {
                tracker.releasedThisMicroBatch = false;
                // what a step does not hold as it starts: kept activations (all of them held before the first
                // pooled step), and gradients set to none, which zero_grad(set_to_none=True) drops
                if (tracker.kind == Kind.ACTIVATIONS || poolGradientsSetToNone && tracker.kind == Kind.GRADIENTS) {
                    release(tracker);
                }
            }
            // the workspace pool, taken as the step starts
            for (Tracker tracker : trackers) {
                if (tracker.kind == Kind.WORKSPACE) {
                    acquire(tracker);
                }
            }
        }
    }

    /**
     * From the next step on, allocates and releases the buffers as the last step used them: each kept
     * activation released after the last phase of its micro-batch that used it; where {@code
     * gradientsSetToNone}, each gradient released as a step starts and allocated by its first accumulation.
     * Every later step must run the recorded step's phases (an error otherwise).
     */
    public void pool(boolean gradientsSetToNone) {
        if (phases.isEmpty()) {
            throw new IllegalStateException("the pool follows a recorded step: run one step before pooling");
        }
        recordedPhases = List.copyOf(phases);
        List<List<Tracker>> schedule = new ArrayList<>();
        for (int phase = 0; phase < phases.size(); phase++) {
            schedule.add(new ArrayList<>());
        }
        for (Tracker tracker : trackers) {
            if (tracker.kind != Kind.ACTIVATIONS) {
                continue;
            }
            for (int[] span : tracker.earlier) {
                schedule.get(span[1]).add(tracker);
            }
            if (tracker.first >= 0) {
                schedule.get(tracker.last).add(tracker);
            }
        }
        releaseAfter = schedule;
        pooled = true;
        poolGradientsSetToNone = gradientsSetToNone;
    }

    /**
     * Ends a pooled step: its last phase's bytes recorded and that phase's releases made. The next step's
     * start ends it where the model did not; nothing to do unpooled.
     */
    public void endStep() {
        if (pooled && !stepEnded && !phases.isEmpty()) {
            endPhase(phases.size() - 1);
        }
        if (pooled && !stepEnded && hookStep) {
            hook = null;
            hookStep = false;
        }
        stepEnded = true;
    }

    /**
     * Runs {@code hook} as each phase of the next pooled step ends, before the phase's releases (where the pool
     * holds that phase's most), given the phase's index among the step's; then drops it.
     */
    public void atPhaseEnds(IntConsumer hook) {
        this.hook = hook;
        this.hookStep = false;
    }

    private void endPhase(int phase) {
        pooledPhases.add(live.clone());
        if (hook != null && hookStep) {
            hook.accept(phase);
        }
        // a micro-batch's last phase ends as the next one's first begins: its releases are not the new one's
        boolean sameMicroBatch = microBatches.get(phase) == microBatch;
        for (Tracker tracker : releaseAfter.get(phase)) {
            release(tracker);
            tracker.releasedThisMicroBatch = sameMicroBatch;
        }
    }

    private void release(Tracker tracker) {
        if (!tracker.held) {
            return;
        }
        if (tracker.storage != null) {
            tracker.storage.release();
        }
        tracker.held = false;
        live[tracker.kind.ordinal()] -= tracker.bytes;
        poolEvents++;
    }

    private void acquire(Tracker tracker) {
        if (tracker.held) {
            return;
        }
        if (tracker.releasedThisMicroBatch) {
            throw new IllegalStateException("a " + tracker.kind.name().toLowerCase(Locale.ROOT)
                    + " buffer of " + tracker.bytes + " bytes is used at phase " + phases.get(phases.size() - 1)
                    + " after the pool released it: the step differs from the recorded one");
        }
        if (tracker.storage != null) {
            tracker.storage.allocate();
            poolAllocatedBytes += tracker.bytes;
        }
        tracker.held = true;
        live[tracker.kind.ordinal()] += tracker.bytes;
        poolEvents++;
    }

    /** Whether the buffers are allocated and released as the recorded step used them. */
    public boolean pooled() {
        return pooled;
    }

    /**
     * The last pooled step's phases in order, each with the bytes the pool held as it ended (its most:
     * within a phase the pool only acquires), by kind; empty before a pooled step has run.
     */
    public List<Phase> pooledTimeline() {
        List<Phase> timeline = new ArrayList<>();
        for (int phase = 0; phase < pooledPhases.size(); phase++) {
            long[] bytes = pooledPhases.get(phase);
            timeline.add(new Phase(microBatches.get(phase), phases.get(phase), bytes[Kind.WEIGHTS.ordinal()],
                    bytes[Kind.OPTIMIZER_STATE.ordinal()], bytes[Kind.GRADIENTS.ordinal()],
                    bytes[Kind.ACTIVATIONS.ordinal()], bytes[Kind.WORKSPACE.ordinal()]));
        }
        return timeline;
    }

    /** The acquires and releases the pool made in the last pooled step. */
    public long poolEvents() {
        return poolEvents;
    }

    /** Bytes of the arrays the pool allocated in the last pooled step: the workspace it counts but keeps left out. */
    public long poolAllocatedBytes() {
        return poolAllocatedBytes;
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
            tracker.releasedThisMicroBatch = false;
        }
    }

    /** The step enters phase {@code name}: the uses that follow are this phase's. */
    public void phase(String name) {
        if (!recording) {
            return;
        }
        if (pooled) {
            int index = phases.size();
            if (index >= recordedPhases.size() || !recordedPhases.get(index).equals(name)) {
                throw new IllegalStateException("phase " + (index + 1) + " of a pooled step is " + name
                        + ", but the recorded step's was " + (index < recordedPhases.size() ? recordedPhases.get(index)
                        : "none"));
            }
            if (index > 0) {
                endPhase(index - 1);
            }
            if (microBatch == 0) {
                // the optimizer: the workspace pool given back
                for (Tracker tracker : trackers) {
                    if (tracker.kind == Kind.WORKSPACE) {
                        release(tracker);
                    }
                }
            }
        }
        phases.add(name);
        microBatches.add(microBatch);
    }

    private void touch(Tracker tracker) {
        if (pooled && !tracker.held) {
            acquire(tracker);
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
