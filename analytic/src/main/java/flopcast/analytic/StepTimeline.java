package flopcast.analytic;

import java.util.ArrayList;
import java.util.List;

/**
 * Memory as it happens over one optimizer step, on one device or the largest data-parallel rank, as
 * flopcast's executed model or another framework runs it: the live bytes by kind at each phase, in
 * order, and the peak over them, where {@link MemoryBreakdown} adds everything up as if it were all
 * alive at once (the sum). What a person reads off a GPU is a peak over time
 * ({@code torch.cuda.max_memory_allocated}); this is that peak for the tensors ({@link DeviceOverhead}
 * adds what lies beyond them).
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
 * <p>Over data-parallel ranks ({@link DataParallel}) the timeline is the largest rank's, at its own
 * micro-batch: its shard of the weights, gradients and optimizer state where its sharding splits them
 * ({@link Sharding}); the FSDP units it holds gathered at each phase ({@code StepPhases.gatheredAt}:
 * the root unit through the whole micro-batch, a block's through its forward and backward under zero2,
 * at its forward, its backward and the backward before it, prefetched, under zero3); each unit's
 * unsharded gradients from the first backward phase that writes them to their reduce-scatter; and
 * under DDP, where the framework keeps one, the buckets' second copy of every gradient. The sum over
 * ranks is the complete accounting's with the rank's state and its gathers as
 * {@link DataParallel.RankState#peakBytes} counts them (one unit gathered, no root held, no prefetch):
 * a zero3 rank's peak can exceed it.
 *
 * <p>What the framework does ({@link Options}, {@link Framework}): its kept set where its table
 * covers the settings (the {@code pytorch} table's rows, Megatron-Core's or torchtitan's
 * {@link FrameworkKept} rows, a block's input from the phase that writes it, a recomputed block's
 * no-recompute set again in its backward), the loss's type and kernel (the loss's copies of the logits
 * are temporaries of the head's forward and backward phases, its kept row an activation), the
 * optimizer's temporaries at the optimizer's phase ({@link OptimizerStep}), and the workspace from the
 * head's backward on (a framework allocates the gradients of activations as its backward runs). The
 * head's backward is the larger of two moments: the loss's backward (its temporaries, before the
 * head's gradients and, in a framework, before any gradient of an activation) and the head's matmul's
 * (the head's gradients, the workspace); the largest batch is fitted moment by moment.
 *
 * <p>Checked two ways, for flopcast's framework on one device. {@code StepTimelineTest}: under zeroed
 * gradients the peak (reached at the head's forward phase, held through its backward) is the sum,
 * exactly, every kind at its accounting's row; the peak never exceeds the sum. {@code MemoryLogTest}
 * in measure: the executed step's buffers, each alive from the phase that first used it to the last (a
 * gradient set to none from the backward op that first accumulates into it), hold these weights,
 * optimizer state, gradients and activations to the byte at every phase, under both gradient
 * lifetimes, every policy, kernel and recompute mode and every architecture and fine-tuning the model
 * executes; from its second step the model allocates and releases its buffers along this timeline, from a
 * pool whose live bytes equal it in every kind, the workspace included, and {@code TrainRunTest} holds the
 * JVM's heap at the peak (and at every phase of one shape) within 5% of it. The ranks, the frameworks' rows,
 * the loss's and the optimizer's
 * temporaries are checked by hand in {@code StepTimelineTest}; the pytorch framework's timeline on one
 * process is measured by the probe on a CPU ({@code probes/torch/probe.py --timeline}: its forward phases
 * and its loss's moment to the profiler's own bytes, its backward phases as upper bounds); no GPU has
 * measured any of them.
 *
 * <p>Not here yet: the workspace row by row (a framework's backward is an upper bound: its block's rows,
 * its new gradients and the workspace table counted together) and FSDP2's per-parameter padding.
 *
 * <p>Source: Gradient lifetime (PyTorch's {@code zero_grad}); DESIGN.md "complete" (the rows it orders);
 * PyTorch distributed (FSDP's gathers and reduce-scatters); FSDP unit lifetimes.
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
     * What changes the timeline beside the shape and the ranks: the framework whose kept set, loss
     * kernel and gradient buckets apply ({@link Framework}), and the three choices it defaults.
     *
     * @param framework the kept set, the loss kernel and DDP's buckets
     * @param gradients the gradients' lifetime
     * @param optimizer the AdamW implementation, by its temporaries
     * @param loss      the cross-entropy's type
     */
    public record Options(Framework framework, Gradients gradients, OptimizerStep optimizer, LossPrecision loss) {

        public Options {
            java.util.Objects.requireNonNull(framework, "framework");
            java.util.Objects.requireNonNull(gradients, "gradients");
            java.util.Objects.requireNonNull(optimizer, "optimizer");
            java.util.Objects.requireNonNull(loss, "loss");
        }

        /** {@code framework}'s defaults. */
        public static Options of(Framework framework) {
            return new Options(framework, framework.gradients(), framework.optimizer(), framework.loss());
        }

        /** Whether these are flopcast's own choices, the gradients' lifetime aside: its sum's convention. */
        public boolean flopcastButGradients() {
            return equals(of(Framework.FLOPCAST).withGradients(gradients));
        }

        public Options withGradients(Gradients lifetime) {
            return new Options(framework, lifetime, optimizer, loss);
        }

        public Options withOptimizer(OptimizerStep step) {
            return new Options(framework, gradients, step, loss);
        }

        public Options withLoss(LossPrecision precision) {
            return new Options(framework, gradients, optimizer, precision);
        }
    }

    /**
     * Bytes alive at one moment, by kind.
     *
     * @param weights        every weight, in its stored type: a rank's shard and the units it holds gathered
     * @param optimizerState the master copy and AdamW's m and v of the parameters that train (a rank's share)
     * @param gradients      the gradients alive: a rank's shard and the units' unsharded gradients before their
     *                       reduce-scatter, and DDP's bucket copy where the framework keeps one
     * @param activations    the kept activations alive, and full recomputation's block buffers where they are
     * @param workspace      the workspace table's buffers, where they are taken
     * @param temporaries    what a phase allocates and frees within itself beyond the workspace table: the
     *                       optimizer's temporaries, the eager loss's copies of the logits
     */
    public record Live(long weights, long optimizerState, long gradients, long activations, long workspace,
            long temporaries) {
        public long total() {
            return Math.addExact(Math.addExact(Math.addExact(weights, optimizerState), Math.addExact(gradients,
                    activations)), Math.addExact(workspace, temporaries));
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
    private final DataParallel plan;
    private final Options options;
    private final long microBatches;
    private final List<Phase> phases;
    /** Every moment a phase takes the larger of, in order: each phase's one, the head's backward's two. */
    private final List<Live> moments;
    private final long sum;

    private StepTimeline(Shape shape, DataParallel plan, Options options, long microBatches, List<Phase> phases,
            List<Live> moments, long sum) {
        this.shape = shape;
        this.plan = plan;
        this.options = options;
        this.microBatches = microBatches;
        this.phases = List.copyOf(phases);
        this.moments = List.copyOf(moments);
        this.sum = sum;
    }

    /**
     * The timeline of one step of {@code microBatches} micro-batches at {@code shape} (whose batch is
     * one micro-batch's) on one device, as flopcast's executed model runs it, the gradients as
     * {@code gradients}.
     */
    public static StepTimeline of(Shape shape, Gradients gradients, long microBatches) {
        return of(shape, DataParallel.SINGLE, microBatches, Options.of(Framework.FLOPCAST).withGradients(gradients));
    }

    /**
     * The timeline of one step of {@code microBatches} micro-batches on the rank of {@code plan} that holds
     * most ({@link DataParallel#largest}), {@code shape}'s batch being that rank's micro-batch.
     */
    public static StepTimeline of(Shape shape, DataParallel plan, long microBatches, Options options) {
        if (microBatches < 1) {
            throw new InvalidInputException("micro-batches must be at least 1, got " + microBatches);
        }
        if (plan.ranks() > 1 && shape.settings().freezes()) {
            throw new InvalidInputException("data-parallel LoRA or freezing is not modelled: one device only");
        }
        if (plan.ranks() > 1) {
            DataParallel.requireSplittable(shape);
        }
        options.framework().requireSharding(plan);
        int layers = Math.toIntExact(shape.layers());
        StepPhases.Phases order = new StepPhases.Phases(layers);
        Framework framework = options.framework();
        PrecisionPolicy policy = shape.policy();
        MemoryBreakdown memory = CompleteAccounting.predict(shape).memory();
        // the logits' rows: the loss's type against the compute type the complete accounting keeps them in
        long logits = KeptActivation.LOGIT_PROBABILITIES.totalElements(shape);
        int lossBytes = options.loss().bytes(policy);
        int computeBytes = policy.activationType().bytes();
        Framework.KeptSet keptSet = framework.keptSet(shape);
        List<StepPhases.Span> kept = new ArrayList<>(switch (keptSet) {
            case COMPLETE -> StepPhases.keptSpans(shape, order);
            case PYTORCH -> StepPhases.torchSpans(shape, order, lossBytes);
            case FRAMEWORK -> StepPhases.frameworkSpans(shape, order, framework, lossBytes);
        });
        if (keptSet == Framework.KeptSet.COMPLETE) {
            kept.add(new StepPhases.Span(Math.multiplyExact(logits, lossBytes - computeBytes), order.forwardHead(),
                    order.backwardHead()));
        }
        long lossForward = framework.lossKernel().forwardBytes(logits, computeBytes, lossBytes);
        long lossBackward = framework.lossKernel().backwardBytes(logits, computeBytes, lossBytes);
        long recomputeBuffers = CompleteAccounting.recomputeBytes(shape);
        long recompute = keptSet == Framework.KeptSet.COMPLETE ? recomputeBuffers : 0;
        long workspace = Math.subtractExact(memory.workspaceBytes(), recomputeBuffers);
        Rank rank = Rank.of(shape, plan, memory, framework, options.optimizer());
        // each phase's kept bytes: every span added where it starts and taken off after it ends, then summed
        long[] alive = new long[order.count() + 1];
        for (StepPhases.Span span : kept) {
            alive[span.first()] = Math.addExact(alive[span.first()], span.bytes());
            alive[span.last() + 1] = Math.subtractExact(alive[span.last() + 1], span.bytes());
        }
        for (int index = 1; index < alive.length; index++) {
            alive[index] = Math.addExact(alive[index], alive[index - 1]);
        }
        // a framework's backward allocates the gradients of activations as it runs; flopcast's executed model
        // takes its workspace at the first forward
        boolean pool = framework.workspacePool();
        List<Phase> phases = new ArrayList<>();
        List<Live> moments = new ArrayList<>();
        for (int micro = 1; micro <= Math.min(2, microBatches); micro++) {
            // before this micro-batch's backward writes any: none set to none in the first, all in a later one
            boolean appear = options.gradients() == Gradients.SET_TO_NONE && micro == 1;
            long grads = appear ? 0 : rank.gradients;
            for (int index = 0; index < order.count(); index++) {
                if (appear) {
                    grads = Math.addExact(grads, rank.writtenAt(index, order));
                }
                long activations = alive[index];
                if (order.forwardBlock(0) <= index && index <= order.backwardBlock(0)) {
                    // full recomputation's one block of buffers: every block's forward writes its rows there too
                    activations = Math.addExact(activations, recompute);
                }
                long temporaries = index == order.forwardHead() ? lossForward : 0;
                long gradients = Math.addExact(Math.addExact(grads, rank.unshardedAt(index, order)), rank.buckets);
                long taken = !pool && index < order.backwardHead() ? 0 : workspace;
                Live live = new Live(rank.weightsAt(index, order), rank.state, gradients, activations, taken,
                        temporaries);
                if (index == order.backwardHead()) {
                    // the loss's backward runs before the head's matmul writes its gradients (and, in a
                    // framework, before any gradient of an activation): two moments, the phase the larger
                    long written = Math.addExact(appear ? rank.writtenAt(index, order) : 0,
                            rank.unshardedAt(index, order));
                    Live loss = new Live(live.weights(), live.optimizerState(), Math.subtractExact(gradients, written),
                            activations, pool ? workspace : 0, lossBackward);
                    moments.add(loss);
                    moments.add(live);
                    live = loss.total() > live.total() ? loss : live;
                } else {
                    moments.add(live);
                }
                phases.add(new Phase(micro, order.name(index), live));
            }
        }
        Live optimizer = new Live(rank.weights, rank.state, Math.addExact(rank.gradients, rank.buckets), 0, 0,
                rank.optimizerTemporaries);
        moments.add(optimizer);
        phases.add(new Phase(0, "optimizer", optimizer));
        long sum = Math.addExact(Math.subtractExact(memory.totalBytes(), MemoryBreakdown.modelStateBytes(shape)),
                rank.sumState);
        return new StepTimeline(shape, plan, options, microBatches, phases, moments, sum);
    }

    /**
     * What the largest rank (or the one device) holds of the model state, in bytes, and when its gathers
     * and gradients appear.
     */
    private record Rank(Sharding sharding, long weights, long state, long gradients, long buckets,
            long optimizerTemporaries, long sumState, long weightBytes, long gradientBytes, long unshardedBytes,
            long[] padded, long[] shards, StepPhases.Gradient owners, boolean embeddingApart) {

        static Rank of(Shape shape, DataParallel plan, MemoryBreakdown memory, Framework framework,
                OptimizerStep optimizer) {
            PrecisionPolicy policy = shape.policy();
            StepPhases.Gradient owners = StepPhases.Gradient.of(shape);
            // the tensors in the order the for-loop walks them, for its temporaries alone
            long[] walked = optimizer == OptimizerStep.FOR_LOOP ? trainedTensors(shape) : new long[0];
            if (plan.ranks() == 1) {
                return new Rank(Sharding.NONE, memory.parametersBytes(), Math.addExact(memory.masterWeightsBytes(),
                        memory.optimizerStateBytes()), memory.gradientsBytes(), 0,
                        optimizer.temporaryBytes(ParameterTensor.trainable(shape), walked, policy),
                        MemoryBreakdown.modelStateBytes(shape), policy.weightBytes(), policy.gradientBytes(),
                        policy.gradientBytes(), null, null, owners, false);
            }
            DataParallel.RankState rank = plan.largest(shape);
            Sharding sharding = plan.sharding();
            // FSDP2 under torchtitan wraps a tied table with the final norm and the head: a root held throughout
            boolean apart = framework.embeddingUnit() && !shape.architecture().tiedEmbeddings();
            long[] shards = apart ? plan.unitShardsEmbeddingApart(shape) : plan.unitShards(shape);
            long[] padded = new long[shards.length];
            for (int unit = 0; unit < shards.length; unit++) {
                padded[unit] = Math.multiplyExact(shards[unit], (long) plan.ranks());
            }
            long[] order = sharding.partition() == Sharding.Partition.FLAT ? shards : walked;
            long buckets = framework.bucketCopy() && !sharding.shardsGradients() ? rank.gradientsBytes(policy) : 0;
            long optimized = framework.splitsOptimizerEvenly() && sharding.shardsOptimizerState()
                    ? DataParallel.ceilDiv(ParameterTensor.total(shape), plan.ranks()) : rank.optimizer();
            long state = Math.multiplyExact(optimized, (long) (policy.masterWeightBytes() + policy.optimizerStateBytes()));
            long unsharded = framework.reducesInFloat32() && policy.gradientBytes() < DataType.FLOAT32.bytes()
                    ? policy.gradientBytes() + DataType.FLOAT32.bytes() : policy.gradientBytes();
            return new Rank(sharding, rank.parametersBytes(policy), state, rank.gradientsBytes(policy), buckets,
                    optimizer.temporaryBytes(optimized, order, policy), rank.peakBytes(policy),
                    policy.weightBytes(), policy.gradientBytes(), unsharded, padded, shards, owners, apart);
        }

        /** The weights at phase {@code index}: the rank's own and the units it holds gathered then. */
        long weightsAt(int index, StepPhases.Phases order) {
            return padded == null ? weights : Math.addExact(weights, Math.multiplyExact(
                    StepPhases.gatheredAt(index, order, sharding, padded, embeddingApart), weightBytes));
        }

        /** The unsharded gradients before their reduce-scatter at phase {@code index}. */
        long unshardedAt(int index, StepPhases.Phases order) {
            return padded == null || !sharding.shardsGradients() ? 0 : Math.multiplyExact(
                    StepPhases.unshardedGradientsAt(index, order, padded, embeddingApart), unshardedBytes);
        }

        /** The kept gradients first written at phase {@code index}: the rank's shard, or every gradient. */
        long writtenAt(int index, StepPhases.Phases order) {
            return padded == null || !sharding.shardsGradients() ? owners.writtenAt(index, order)
                    : Math.multiplyExact(StepPhases.shardWrittenAt(index, order, shards, embeddingApart), gradientBytes);
        }
    }

    /**
     * The elements of each tensor that trains, in the order the optimizer walks them: the model's
     * ({@link DataParallel#tensors}) under full training; under LoRA or freezing (or more layers than the
     * split lists) the rows that train, row by row and block by block.
     */
    private static long[] trainedTensors(Shape shape) {
        if (!shape.settings().freezes() && shape.layers() <= DataParallel.MAX_LAYERS) {
            return DataParallel.tensors(shape).stream().mapToLong(DataParallel.Tensor::elements).toArray();
        }
        List<Long> trained = new ArrayList<>();
        for (ParameterTensor row : ParameterTensor.values()) {
            if (row.scope() == Scope.ONCE || row.scope() == Scope.ONCE_UNLESS_TIED) {
                long elements = row.trainedElements(shape);
                if (elements > 0) {
                    trained.add(elements);
                }
                continue;
            }
            for (int block = 0; block < shape.layers(); block++) {
                Shape view = shape.block(block);
                for (long copy = 0; copy < row.instances(view) / shape.layers() && row.trains(view); copy++) {
                    trained.add(row.elements(view));
                }
            }
        }
        return trained.stream().mapToLong(Long::longValue).toArray();
    }

    public Shape shape() {
        return shape;
    }

    public Gradients gradients() {
        return options.gradients();
    }

    public Options options() {
        return options;
    }

    /** The ranks whose largest this is; {@link DataParallel#SINGLE} for one device. */
    public DataParallel plan() {
        return plan;
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
     * The batch that fits one pass among several micro-batches: this timeline's {@link #fit} where it has two or
     * more, else that of the same step in two (the gradients alive through the second).
     */
    public MemoryPolynomial.BatchFit accumulatingFit(Capacity capacity, String fixedPartName) {
        return (microBatches > 1 ? this : of(shape, plan, 2, options)).fit(capacity, fixedPartName);
    }

    /**
     * The largest batch whose peak over the step fits {@code capacity}: every moment holds a + b x B
     * bytes (the state and the batch-free workspace, and what grows with the batch; a phase is one
     * moment, the head's backward the larger of two: the loss's backward and the head's matmul's), so
     * the batch is the least over the moments of (capacity - a) / b, rounded down; the fixed part does not fit where
     * some phase's a alone is over the capacity. Under zeroed gradients it is the sum's
     * ({@link MemoryPolynomial#fit}); set to none and one micro-batch a step, it can be larger.
     */
    public MemoryPolynomial.BatchFit fit(Capacity capacity, String fixedPartName) {
        // by moment, each a + b x B: the head's backward is the larger of two, which can cross between batches
        List<Live> one = of(shape.withBatchSize(1), plan, microBatches, options).moments;
        List<Live> two = of(shape.withBatchSize(2), plan, microBatches, options).moments;
        MemoryPolynomial.BatchFit least = null;
        for (int i = 0; i < one.size(); i++) {
            long perSequence = Math.subtractExact(two.get(i).total(), one.get(i).total());
            long fixed = Math.subtractExact(one.get(i).total(), perSequence);
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
