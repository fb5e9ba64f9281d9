package flopcast.analytic;

import java.util.ArrayList;
import java.util.List;

/**
 * Memory as it happens over one optimizer step of the complete accounting, on one device: the live
 * bytes by kind at each phase, in order, and the peak over them, where {@link MemoryBreakdown} adds
 * everything up as if it were all alive at once (the sum). What a person reads off a GPU is a peak
 * over time ({@code torch.cuda.max_memory_allocated}); this is that peak for the tensors the complete
 * accounting holds.
 *
 * <p>What lives when. The weights, the master copy and AdamW's m and v persist between steps. The
 * workspace ({@link WorkspaceBuffer}: the gradients along the residual stream, a head's copies, the
 * kernels' tiles) is taken at the first forward phase and given back after the last backward phase,
 * as one pool. Each kept activation ({@link KeptActivation}) lives from the phase that writes it to
 * the phase that reads it last, as the executed model uses it ({@link StepPhases#keptSpans}). Full
 * recomputation's one block of buffers ({@link KeptActivation#recomputeInstances}) lives from the
 * first block's forward, which writes its rows there as every block's does, to the first block's
 * backward. A phase's figure is the most it holds: what it allocates counted, what it frees after its
 * last read still counted, so a backward phase shows its block's activations beside its block's new
 * gradients.
 *
 * <p>Gradients ({@link Gradients}): zeroed in place, they persist as the weights do (flopcast's
 * executed model zeroes them, the {@code gradient_zeroing} op class); set to none (PyTorch's
 * {@code Optimizer.zero_grad} default since 2.0), a row's gradient appears in the backward phase of
 * the op that first accumulates into it (the head's, and under a tied head the embedding's, at the
 * head; a block's at its block; the untied embedding's last) and is gone from the step's end to the
 * next step's backward. Under gradient accumulation the gradients of the first micro-batch stay alive
 * through every later one: the second micro-batch's forward runs beside all of them, which moves the
 * peak there. Micro-batches after the second repeat the second's phases, so the timeline lists two.
 *
 * <p>Checked two ways. {@code StepTimelineTest}: under zeroed gradients the peak (reached at the
 * head's forward phase, held through its backward) is the sum, exactly, every kind at its
 * accounting's row; the peak never exceeds the sum. {@code MemoryLogTest} in measure: the executed
 * step's buffers, each alive from the phase that first used it to the last (a gradient set to none from
 * the backward op that first accumulates into it), hold these weights, optimizer state, gradients and
 * activations to the byte at every phase, under both gradient lifetimes, every policy, kernel and
 * recompute mode and every architecture and fine-tuning the model executes; its workspace is at most
 * this one pool (the attention kernels keep their per-head scratch across phases, unobserved).
 *
 * <p>Not here yet: a step's transients beyond the workspace table (the optimizer's temporaries, a
 * framework's float32 logits), the workspace row by row, the frameworks' other kept sets,
 * data-parallel ranks, and the executed model allocating along this timeline (it allocates every
 * buffer once, so the JVM's heap holds the sum throughout).
 *
 * <p>Source: Gradient lifetime (PyTorch's {@code zero_grad}); DESIGN.md "complete" (the rows it orders).
 */
public final class StepTimeline {

    /** What happens to the gradients between steps. */
    public enum Gradients {
        /** Zeroed in place: allocated once, alive throughout. */
        ZEROED("zeroed"),
        /** Freed at the step's end and allocated again by the next backward pass. */
        SET_TO_NONE("set-to-none");

        private final String cliName;

        Gradients(String cliName) {
            this.cliName = cliName;
        }

        public String cliName() {
            return cliName;
        }

        /** The mode named {@code name}; one clear line naming the allowed ones otherwise. */
        public static Gradients byName(String name) {
            for (Gradients gradients : values()) {
                if (gradients.cliName.equals(name)) {
                    return gradients;
                }
            }
            throw new InvalidInputException("'" + Excerpt.of(name) + "' is not a gradient lifetime (allowed: zeroed,"
                    + " set-to-none)");
        }
    }

    /**
     * Bytes alive at one moment, by kind.
     *
     * @param weights        every weight, in its stored type
     * @param optimizerState the master copy and AdamW's m and v of the parameters that train
     * @param gradients      the gradients alive
     * @param activations    the kept activations alive, and full recomputation's block buffers where they are
     * @param workspace      the workspace table's buffers, where they are taken
     */
    public record Live(long weights, long optimizerState, long gradients, long activations, long workspace) {
        public long total() {
            return Math.addExact(Math.addExact(Math.addExact(weights, optimizerState), Math.addExact(gradients,
                    activations)), workspace);
        }
    }

    /**
     * One phase of the step and the most it holds.
     *
     * @param microBatch the micro-batch it belongs to (1, or 2 for the second and every later one); 0 for
     *                   the optimizer phase, which follows them all
     * @param name       what runs: "forward: block 3", "backward: head", "optimizer"
     */
    public record Phase(int microBatch, String name, Live live) {
        /** "micro-batch 2: backward: head" where there is accumulation, the name alone otherwise. */
        public String describe(long microBatches) {
            if (microBatch == 0 || microBatches == 1) {
                return name;
            }
            return (microBatch == 1 ? "micro-batch 1" : microBatches == 2 ? "micro-batch 2"
                    : "micro-batches 2 to " + microBatches) + ": " + name;
        }
    }

    private final Shape shape;
    private final Gradients gradients;
    private final long microBatches;
    private final List<Phase> phases;
    private final long sum;

    private StepTimeline(Shape shape, Gradients gradients, long microBatches, List<Phase> phases, long sum) {
        this.shape = shape;
        this.gradients = gradients;
        this.microBatches = microBatches;
        this.phases = List.copyOf(phases);
        this.sum = sum;
    }

    /**
     * The timeline of one step of {@code microBatches} micro-batches at {@code shape} (whose batch is
     * one micro-batch's), under {@code gradients}.
     */
    public static StepTimeline of(Shape shape, Gradients gradients, long microBatches) {
        if (microBatches < 1) {
            throw new InvalidInputException("micro-batches must be at least 1, got " + microBatches);
        }
        int layers = Math.toIntExact(shape.layers());
        StepPhases.Phases order = new StepPhases.Phases(layers);
        List<StepPhases.Span> kept = StepPhases.keptSpans(shape, order);
        StepPhases.Gradient owners = StepPhases.Gradient.of(shape);
        // the sum's rows, each phase holding its part of them
        MemoryBreakdown memory = CompleteAccounting.predict(shape).memory();
        long weights = memory.parametersBytes();
        long state = Math.addExact(memory.masterWeightsBytes(), memory.optimizerStateBytes());
        long allGradients = memory.gradientsBytes();
        long recompute = CompleteAccounting.recomputeBytes(shape);
        long workspace = Math.subtractExact(memory.workspaceBytes(), recompute);
        List<Phase> phases = new ArrayList<>();
        for (int micro = 1; micro <= Math.min(2, microBatches); micro++) {
            // before this micro-batch's backward writes any: none set to none in the first, all in a later one
            boolean appear = gradients == Gradients.SET_TO_NONE && micro == 1;
            long grads = appear ? 0 : allGradients;
            for (int index = 0; index < order.count(); index++) {
                if (appear) {
                    grads = Math.addExact(grads, owners.writtenAt(index, order));
                }
                long activations = 0;
                for (StepPhases.Span span : kept) {
                    if (span.first() <= index && index <= span.last()) {
                        activations = Math.addExact(activations, span.bytes());
                    }
                }
                if (order.forwardBlock(0) <= index && index <= order.backwardBlock(0)) {
                    // full recomputation's one block of buffers: every block's forward writes its rows there too
                    activations = Math.addExact(activations, recompute);
                }
                phases.add(new Phase(micro, order.name(index), new Live(weights, state, grads, activations, workspace)));
            }
        }
        phases.add(new Phase(0, "optimizer", new Live(weights, state, allGradients, 0, 0)));
        return new StepTimeline(shape, gradients, microBatches, phases, memory.totalBytes());
    }

    public Shape shape() {
        return shape;
    }

    public Gradients gradients() {
        return gradients;
    }

    public long microBatches() {
        return microBatches;
    }

    /**
     * The phases in the order the step runs them: the first micro-batch's, the second's (standing for
     * every later one's, where there are more), the optimizer's; {@link #runOrder} lists every one.
     */
    public List<Phase> phases() {
        return phases;
    }

    /**
     * Every phase the step runs, in order: each micro-batch's (those after the second as the second's,
     * which {@link #phases} lists once for them all), then the optimizer.
     */
    public List<Phase> runOrder() {
        List<Phase> order = new ArrayList<>();
        for (long micro = 1; micro <= microBatches; micro++) {
            int listed = (int) Math.min(micro, 2);
            phases.stream().filter(phase -> phase.microBatch() == listed).forEach(order::add);
        }
        phases.stream().filter(phase -> phase.microBatch() == 0).forEach(order::add);
        return order;
    }

    /**
     * The largest batch whose peak over the step fits {@code capacity}: every phase holds a + b x B
     * bytes (the state and the batch-free workspace, and what grows with the batch), so the batch is
     * the least over the phases of (capacity - a) / b, rounded down; the fixed part does not fit where
     * some phase's a alone is over the capacity. Under zeroed gradients it is the sum's
     * ({@link MemoryPolynomial#fit}); set to none and one micro-batch a step, it can be larger.
     */
    public MemoryPolynomial.BatchFit fit(Capacity capacity, String fixedPartName) {
        List<Phase> one = of(shape.withBatchSize(1), gradients, microBatches).phases();
        List<Phase> two = of(shape.withBatchSize(2), gradients, microBatches).phases();
        MemoryPolynomial.BatchFit least = null;
        for (int i = 0; i < one.size(); i++) {
            long perSequence = Math.subtractExact(two.get(i).live().total(), one.get(i).live().total());
            long fixed = Math.subtractExact(one.get(i).live().total(), perSequence);
            if (perSequence == 0 && fixed <= capacity.bytes()) {
                continue;   // the optimizer's phase: no batch in it, and it fits
            }
            MemoryPolynomial.BatchFit phase = perSequence == 0
                    ? new MemoryPolynomial.BatchFit(capacity, 0, 0.0, capacity.bytes() - fixed, fixedPartName)
                    : new MemoryPolynomial(fixed, perSequence).fit(capacity, fixedPartName);
            if (least == null || !phase.fixedPartFits() && (least.fixedPartFits() || phase.spareBytes() < least.spareBytes())
                    || phase.fixedPartFits() && least.fixedPartFits() && phase.fractional() < least.fractional()) {
                least = phase;
            }
        }
        return least;
    }

    /** The phase that holds most: the first of them where several hold as much. */
    public Phase peak() {
        Phase peak = phases.get(0);
        for (Phase phase : phases) {
            if (phase.live().total() > peak.live().total()) {
                peak = phase;
            }
        }
        return peak;
    }

    /** The complete accounting's sum: everything held at once ({@link MemoryBreakdown#totalBytes}). */
    public long sum() {
        return sum;
    }
}
