package flopcast.analytic;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * N data-parallel ranks, each running the complete accounting's model on B / N sequences: what each
 * rank holds, what it sends per step, and how long a step takes with that communication.
 * <pre>
 *   flat shard (zero2, zero3) = sum over FSDP units u of ceil(E_u / N) elements, the unit padded to N shards
 *   zero1 shard = the tensors ZeroRedundancyOptimizer assigns: largest first, each to the rank with
 *                 the fewest elements so far (the first such rank on a tie)
 *   all-reduce of E elements:     each rank hands over E and sends 2 (N - 1) ceil(E / N)
 *   all-gather, reduce-scatter:   each rank hands over its shard S and sends (N - 1) S
 *   broadcasts from every rank:   rank k hands over its tensors E_k; in a ring each rank forwards every
 *                                 source's tensors but those of rank k + 1 (the source just after it, for
 *                                 whom it is the ring's last): P - E_(k+1 mod N)
 *   step seconds = compute(B / N) + communication          (not overlapped)
 *                = max(compute(B / N), communication)       (overlapped)
 * </pre>
 * Per step, none all-reduces the gradients; zero1 all-reduces them and broadcasts each rank's
 * updated tensors; zero2 all-gathers the weights for forward and reduce-scatters the gradients;
 * zero3 all-gathers the weights once more for backward. FSDP units are one per block plus one
 * root unit (token embedding, final norm, an untied LM head); zero2 and zero3 keep their flat
 * shards between steps; zero2 holds every unit's gathered weights from forward through backward,
 * zero3 one unit's at a time (no prefetch), and both one unit's full gradients before its
 * reduce-scatter. Which of these a mode does is its row in {@link Sharding} (what it shards, its
 * partition, its gathers, its collectives in order); this class reads those columns, never the name.
 * <p>Source: ZeRO, sections 5 and 7; PyTorch distributed,
 * ZeroRedundancyOptimizer and FSDP. Pinned by {@code DataParallelTest}.
 *
 * @param ranks    N, 1 to {@link #MAX_RANKS}
 * @param sharding what the ranks split
 * @param overlap  true where communication runs under compute
 */
public record DataParallel(int ranks, Sharding sharding, boolean overlap) {

    public static final DataParallel SINGLE = new DataParallel(1, Sharding.NONE, false);
    /**
     * The most ranks planned: every rank's state is worked out, so 2^31 ranks would not fit in memory;
     * 2^20 is ten times the largest clusters trained on.
     */
    public static final int MAX_RANKS = 1 << 20;
    /** The most layers whose tensors are listed one by one for the split (real models have a few hundred). */
    public static final long MAX_LAYERS = 1 << 16;

    public DataParallel {
        if (ranks < 1) {
            throw new InvalidInputException("--data-parallel must be at least 1, got " + ranks);
        }
        if (ranks > MAX_RANKS) {
            throw new InvalidInputException("--data-parallel " + ranks + " is more ranks than flopcast plans"
                    + " (allowed: 1 to " + MAX_RANKS + ")");
        }
        java.util.Objects.requireNonNull(sharding, "sharding");
    }

    /** B / N, or a one-line error when N does not divide the global batch B. */
    public long perRankBatch(long globalBatch) {
        if (globalBatch % ranks != 0) {
            throw new InvalidInputException("--data-parallel " + ranks + " does not divide --batch " + globalBatch
                    + ": every rank runs B / N sequences, so N must divide B");
        }
        return globalBatch / ranks;
    }

    /** One parameter tensor in the order the model registers them (and PyTorch's {@code parameters()} lists them). */
    public record Tensor(String name, long elements, int unit) {
    }

    /** {@code shape}'s layers listed one by one, or one line saying they are too many ({@link #MAX_LAYERS}). */
    public static void requireSplittable(Shape shape) {
        if (shape.layers() > MAX_LAYERS) {
            throw new InvalidInputException("--layers " + shape.layers() + " is too many to split over data-parallel"
                    + " ranks, which lists every layer's tensors (allowed: 1 to " + MAX_LAYERS + ")");
        }
    }

    /**
     * The trained tensors in model order: the token embedding, each layer's rows as
     * {@link ParameterTensor} lists them (each expert's matrices one by one under experts), the final norm, the LM head where it is not tied. Unit 0 is
     * the root FSDP unit, unit l + 1 layer l.
     */
    public static List<Tensor> tensors(Shape shape) {
        requireSplittable(shape);
        List<Tensor> tensors = new ArrayList<>();
        for (ParameterTensor tensor : ParameterTensor.values()) {
            if (tensor.scope() == Scope.PER_LAYER) {
                continue;
            }
            if (tensor == ParameterTensor.FINAL_NORM_GAIN) {
                for (long layer = 0; layer < shape.layers(); layer++) {
                    // a dense layer among experts holds one MLP at its own width
                    Shape block = shape.block(layer);
                    for (ParameterTensor row : ParameterTensor.values()) {
                        long copies = row.scope() == Scope.PER_LAYER ? row.instances(block) / shape.layers() : 0;
                        for (long copy = 0; copy < copies; copy++) {
                            // an expert's matrix under experts: one per expert, named as its expert's
                            String name = copies == 1 ? row.tensorName()
                                    : row.tensorName().replaceFirst("^ffn\\.", "ffn.experts." + copy + ".");
                            tensors.add(new Tensor("layers." + layer + "." + name, row.elements(block),
                                    Math.toIntExact(layer + 1)));
                        }
                    }
                }
            }
            if (tensor.instances(shape) == 1) {
                tensors.add(new Tensor(tensor.tensorName(), tensor.elements(shape), 0));
            }
        }
        return tensors;
    }

    /**
     * What one rank holds between steps, and what it gathers for a while, in elements; bytes follow
     * the policy.
     *
     * @param rank               0 to N - 1
     * @param parameters         weights held between steps
     * @param gradients          gradients held after backward
     * @param optimizer          elements whose m, v (and master weights) this rank keeps
     * @param gatheredParameters weights gathered for forward and backward beyond its own (zero2, zero3)
     * @param gatheredGradients  one unit's full gradients before its reduce-scatter (zero2, zero3)
     */
    public record RankState(int rank, long parameters, long gradients, long optimizer, long gatheredParameters,
            long gatheredGradients) {

        public long parametersBytes(PrecisionPolicy policy) {
            return Math.multiplyExact(parameters, (long) policy.weightBytes());
        }

        public long gradientsBytes(PrecisionPolicy policy) {
            return Math.multiplyExact(gradients, (long) policy.gradientBytes());
        }

        public long masterWeightsBytes(PrecisionPolicy policy) {
            return Math.multiplyExact(optimizer, (long) policy.masterWeightBytes());
        }

        public long optimizerStateBytes(PrecisionPolicy policy) {
            return Math.multiplyExact(optimizer, (long) policy.optimizerStateBytes());
        }

        /** Weights, gradients, master weights, m and v held between steps. */
        public long stateBytes(PrecisionPolicy policy) {
            return Math.addExact(Math.addExact(parametersBytes(policy), gradientsBytes(policy)),
                    Math.addExact(masterWeightsBytes(policy), optimizerStateBytes(policy)));
        }

        /** Between steps and during the gathers: what the rank must fit beside its activations. */
        public long peakBytes(PrecisionPolicy policy) {
            return Math.addExact(stateBytes(policy), gatheredBytes(policy));
        }

        /** What the gathers add for a while during the step. */
        public long gatheredBytes(PrecisionPolicy policy) {
            return Math.addExact(Math.multiplyExact(gatheredParameters, (long) policy.weightBytes()),
                    Math.multiplyExact(gatheredGradients, (long) policy.gradientBytes()));
        }
    }

    /** Collectives a step runs. */
    public enum Collective {
        GRADIENT_ALL_REDUCE("gradient_all_reduce"),
        PARAMETER_BROADCAST("parameter_broadcast"),
        PARAMETER_ALL_GATHER("parameter_all_gather"),
        GRADIENT_REDUCE_SCATTER("gradient_reduce_scatter");

        private final String jsonName;

        Collective(String jsonName) {
            this.jsonName = jsonName;
        }

        public String jsonName() {
            return jsonName;
        }
    }

    /**
     * One collective's traffic for one rank in one step.
     *
     * @param payloadBytes the bytes this rank hands to the collective (what the probe counts)
     * @param sentBytes    the bytes it sends: the algorithm's factor applied to the payload
     */
    public record Transfer(Collective collective, int times, long payloadBytes, long sentBytes) {
    }

    /** Every rank's state, in rank order. */
    public List<RankState> states(Shape shape) {
        Split split = new Split(shape);
        List<RankState> states = new ArrayList<>(ranks);
        for (int rank = 0; rank < ranks; rank++) {
            states.add(split.state(rank));
        }
        return states;
    }

    /** The rank with the most bytes between steps and during the gathers (the one the batch must fit). */
    public RankState largest(Shape shape) {
        RankState largest = null;
        PrecisionPolicy policy = shape.policy();
        for (RankState state : states(shape)) {
            if (largest == null || state.peakBytes(policy) > largest.peakBytes(policy)) {
                largest = state;
            }
        }
        return largest;
    }

    /**
     * One rank's training memory as a polynomial in its own batch B / N: the single-device
     * polynomial of {@code prediction} (the complete accounting at B / N) with the full model state
     * replaced by what the largest rank holds between steps and gathers during them.
     * <pre>
     *   fixed_rank = fixed - P * bytes_per_parameter + peak(largest rank)
     *   per_sequence_rank = per_sequence                 (activations and workspace are not sharded)
     * </pre>
     * Convention: the per-head scratch stays in the fixed part on every rank; peak(largest rank) is
     * {@link RankState#peakBytes} (weights, gradients, master weights, m, v and the gathers), so one
     * rank is sized for the moment its gathered weights and gradients coexist with its shards.
     * Source: ZeRO, section 5 (each stage's per-device model state); PyTorch distributed (FSDP's
     * units gathered one at a time). Pinned by {@code DataParallelTest}.
     */
    public MemoryPolynomial perRankPolynomial(Prediction prediction) {
        Shape shape = prediction.shape();
        long fullState = MemoryBreakdown.modelStateBytes(prediction.parameters(), shape.policy());
        long rankState = largest(shape).peakBytes(shape.policy());
        MemoryPolynomial polynomial = prediction.memory().polynomial();
        return new MemoryPolynomial(Math.addExact(Math.subtractExact(polynomial.fixedBytes(), fullState), rankState),
                polynomial.perBatchElementBytes());
    }

    /** What rank {@code rank} hands over and sends in one step of one pass. */
    public List<Transfer> transfers(Shape shape, int rank) {
        return transfers(shape, rank, 1);
    }

    /**
     * What rank {@code rank} hands over and sends in one step of {@code passes} accumulated passes: the
     * gradient all-reduce (DDP's {@code no_sync} until the last pass) and the parameter broadcast once a
     * step; FSDP's all-gathers and reduce-scatter every pass (each pass gathers its weights and reduces its
     * gradients into the shard: torchtitan's and FSDP's default without {@code no_sync}).
     */
    public List<Transfer> transfers(Shape shape, int rank, long passes) {
        if (rank < 0 || rank >= ranks) {
            throw new IllegalArgumentException("rank " + rank + " outside 0.." + (ranks - 1));
        }
        return everyPass(new Split(shape).transfers(rank), passes);
    }

    private static List<Transfer> everyPass(List<Transfer> transfers, long passes) {
        if (passes == 1) {
            return transfers;
        }
        List<Transfer> step = new ArrayList<>();
        for (Transfer transfer : transfers) {
            boolean perPass = transfer.collective() == Collective.PARAMETER_ALL_GATHER
                    || transfer.collective() == Collective.GRADIENT_REDUCE_SCATTER;
            step.add(!perPass ? transfer : new Transfer(transfer.collective(),
                    Math.toIntExact(Math.multiplyExact((long) transfer.times(), passes)),
                    Math.multiplyExact(transfer.payloadBytes(), passes), Math.multiplyExact(transfer.sentBytes(),
                    passes)));
        }
        return step;
    }

    /** The bytes rank {@code rank} sends in one step, every collective together. */
    public long sentBytes(Shape shape, int rank) {
        return sentBytes(shape, rank, 1);
    }

    /** As above, a step of {@code passes} accumulated passes. */
    public long sentBytes(Shape shape, int rank, long passes) {
        return sent(transfers(shape, rank, passes));
    }

    /** The most bytes any rank sends in one step. */
    public long maxSentBytes(Shape shape) {
        return maxSentBytes(shape, 1);
    }

    /** As above, a step of {@code passes} accumulated passes. */
    public long maxSentBytes(Shape shape, long passes) {
        Split split = new Split(shape);
        long most = 0;
        for (int rank = 0; rank < ranks; rank++) {
            most = Math.max(most, sent(everyPass(split.transfers(rank), passes)));
        }
        return most;
    }

    /**
     * Each FSDP unit's shard on one rank, ceil(E_u / N) elements: unit 0 the root (token embedding, final
     * norm, an untied head), unit l + 1 block l. Times N, a unit gathered whole with its padding.
     */
    public long[] unitShards(Shape shape) {
        return shards(unitElements(tensors(shape)));
    }

    /**
     * As {@link #unitShards}, the root split as FSDP2 under torchtitan wraps it: unit 0 the token (and
     * position) embedding, units 1 to L the blocks, unit L + 1 the final norm and an untied head.
     */
    public long[] unitShardsEmbeddingApart(Shape shape) {
        List<Tensor> tensors = tensors(shape);
        long[] units = new long[Math.toIntExact(shape.layers()) + 2];
        for (Tensor tensor : tensors) {
            boolean embedding = tensor.name().equals(ParameterTensor.TOKEN_EMBEDDING_WEIGHT.tensorName())
                    || tensor.name().equals(ParameterTensor.POSITION_EMBEDDING_WEIGHT.tensorName());
            int unit = tensor.unit() > 0 ? tensor.unit() : embedding ? 0 : units.length - 1;
            units[unit] = Math.addExact(units[unit], tensor.elements());
        }
        return shards(units);
    }

    /** Each unit's elements as one rank's shard, ceil(E_u / N), in place. */
    private long[] shards(long[] units) {
        for (int unit = 0; unit < units.length; unit++) {
            units[unit] = ceilDiv(units[unit], ranks);
        }
        return units;
    }

    /** Elements of padding FSDP adds so that each unit splits into N equal shards. */
    public long paddingElements(Shape shape) {
        return sharding.partition() == Sharding.Partition.FLAT ? new Split(shape).padding : 0;
    }

    private static long sent(List<Transfer> transfers) {
        long sent = 0;
        for (Transfer transfer : transfers) {
            sent = Math.addExact(sent, transfer.sentBytes());
        }
        return sent;
    }

    /** The model's tensors and their split over the ranks, worked out once for every rank. */
    private final class Split {
        private final PrecisionPolicy policy;
        private final long total;
        /** Whole-tensor partition: the elements ZeroRedundancyOptimizer assigns each rank; else null. */
        private final long[] wholeTensors;
        /** Sum over FSDP units of ceil(E_u / N). */
        private final long flatShard;
        /** The largest unit, padded to N shards. */
        private final long largestUnit;
        /** N * ceil(E_u / N) - E_u, summed over the units. */
        private final long padding;

        Split(Shape shape) {
            policy = shape.policy();
            total = ParameterTensor.total(shape);
            List<Tensor> tensors = tensors(shape);
            wholeTensors = sharding.partition() == Sharding.Partition.WHOLE_TENSORS ? wholeTensorElements(tensors)
                    : null;
            long shard = 0;
            long largest = 0;
            for (long unit : unitElements(tensors)) {
                long unitShard = ceilDiv(unit, ranks);
                long padded = Math.multiplyExact(unitShard, (long) ranks);
                shard = Math.addExact(shard, unitShard);
                largest = Math.max(largest, padded);
            }
            flatShard = shard;
            largestUnit = largest;
            padding = Math.multiplyExact(flatShard, (long) ranks) - total;
        }

        /** The elements of a sharded tensor kind rank {@code rank} keeps, by the sharding's partition. */
        long shard(int rank) {
            return switch (sharding.partition()) {
                case REPLICATED -> total;
                case WHOLE_TENSORS -> wholeTensors[rank];
                case FLAT -> flatShard;
            };
        }

        RankState state(int rank) {
            long parameters = sharding.shardsParameters() ? shard(rank) : total;
            long gradients = sharding.shardsGradients() ? shard(rank) : total;
            long optimizer = sharding.shardsOptimizerState() ? shard(rank) : total;
            long gatheredParameters = switch (sharding.weightGather()) {
                case NONE -> 0;
                case FORWARD_HELD_THROUGH_BACKWARD -> Math.multiplyExact(flatShard, (long) ranks);
                case FORWARD_AND_BACKWARD -> largestUnit;
            };
            long gatheredGradients = sharding.collectives().contains(Collective.GRADIENT_REDUCE_SCATTER)
                    ? largestUnit : 0;
            return new RankState(rank, parameters, gradients, optimizer, gatheredParameters, gatheredGradients);
        }

        List<Transfer> transfers(int rank) {
            List<Transfer> transfers = new ArrayList<>();
            if (ranks == 1) {
                return transfers;
            }
            long weight = policy.weightBytes();
            long gradient = policy.gradientBytes();
            long others = ranks - 1L;
            for (Collective collective : sharding.collectives()) {
                transfers.add(switch (collective) {
                    case GRADIENT_ALL_REDUCE -> new Transfer(collective, 1, Math.multiplyExact(total, gradient),
                            Math.multiplyExact(Math.multiplyExact(2 * others, ceilDiv(total, ranks)), gradient));
                    case PARAMETER_BROADCAST -> new Transfer(collective, 1, Math.multiplyExact(shard(rank), weight),
                            Math.multiplyExact(total - shard((rank + 1) % ranks), weight));
                    case PARAMETER_ALL_GATHER -> {
                        long gathers = sharding.weightGather().gathersPerStep();
                        yield new Transfer(collective, (int) gathers,
                                Math.multiplyExact(Math.multiplyExact(flatShard, weight), gathers),
                                Math.multiplyExact(Math.multiplyExact(Math.multiplyExact(others, flatShard), weight),
                                        gathers));
                    }
                    case GRADIENT_REDUCE_SCATTER -> new Transfer(collective, 1, Math.multiplyExact(flatShard, gradient),
                            Math.multiplyExact(Math.multiplyExact(others, flatShard), gradient));
                });
            }
            return transfers;
        }
    }

    /**
     * The step's wall seconds on each rank: compute, communication at {@code linkBytesPerSecond},
     * and the step as this plan's overlap combines them.
     */
    public StepTime stepTime(double computeSeconds, long sentBytes, double linkBytesPerSecond) {
        return stepTime(computeSeconds, computeSeconds, sentBytes, linkBytesPerSecond);
    }

    /**
     * As above, where only {@code overlappableSeconds} of the compute can hide the communication:
     * under gradient accumulation the last micro-batch's backward, as DDP's {@code no_sync} reduces
     * the gradients once, in the last one.
     */
    public StepTime stepTime(double computeSeconds, double overlappableSeconds, long sentBytes,
            double linkBytesPerSecond) {
        if (!(linkBytesPerSecond > 0) || Double.isInfinite(linkBytesPerSecond)) {
            throw new InvalidInputException("link bytes per second must be a positive number, got " + linkBytesPerSecond);
        }
        double communication = sentBytes / linkBytesPerSecond;
        double exposed = overlap ? Math.max(0, communication - overlappableSeconds) : communication;
        return new StepTime(computeSeconds, communication, exposed, computeSeconds + exposed);
    }

    /**
     * @param computeSeconds       one rank's FLOPs at B / N over peak x MFU
     * @param communicationSeconds the most bytes a rank sends over the link's bandwidth
     * @param exposedSeconds       the part of it not under compute
     * @param stepSeconds          compute + exposed
     */
    public record StepTime(double computeSeconds, double communicationSeconds, double exposedSeconds,
            double stepSeconds) {

        /**
         * Wall seconds of {@code steps} such steps.
         * <pre>
         *   seconds = steps * step seconds,   days = seconds / 86400
         * </pre>
         * Convention: every step alike (no warm-up, no checkpointing). Source: the seed, "Computing
         * the amount of time it takes to train a GPT-2 XL model". Pinned by {@code DataParallelTest}.
         */
        public double runSeconds(long steps) {
            return stepSeconds * steps;
        }

        /** {@link #runSeconds(long)} in days of {@link TrainingTime#SECONDS_PER_DAY}. */
        public double runDays(long steps) {
            return runSeconds(steps) / TrainingTime.SECONDS_PER_DAY;
        }
    }

    private long[] wholeTensorElements(List<Tensor> tensors) {
        List<Tensor> sorted = new ArrayList<>(tensors);
        sorted.sort((a, b) -> Long.compare(b.elements(), a.elements()));
        long[] sizes = new long[ranks];
        // the rank with the fewest elements, the lowest such rank on a tie: O(log N) a tensor, not O(N)
        PriorityQueue<Integer> fewest = new PriorityQueue<>(ranks,
                Comparator.<Integer>comparingLong(rank -> sizes[rank]).thenComparingInt(rank -> rank));
        for (int rank = 0; rank < ranks; rank++) {
            fewest.add(rank);
        }
        for (Tensor tensor : sorted) {
            int smallest = fewest.poll();
            sizes[smallest] = Math.addExact(sizes[smallest], tensor.elements());
            fewest.add(smallest);
        }
        return sizes;
    }

    private static long[] unitElements(List<Tensor> tensors) {
        int units = 0;
        for (Tensor tensor : tensors) {
            units = Math.max(units, tensor.unit() + 1);
        }
        long[] elements = new long[units];
        for (Tensor tensor : tensors) {
            elements[tensor.unit()] = Math.addExact(elements[tensor.unit()], tensor.elements());
        }
        return elements;
    }

    /** {@code value / divisor}, rounded up (both positive). */
    static long ceilDiv(long value, long divisor) {
        return (value + divisor - 1) / divisor;
    }
}
