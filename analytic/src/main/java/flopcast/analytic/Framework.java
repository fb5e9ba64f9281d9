package flopcast.analytic;

/**
 * What a training framework does with memory over a step that the model alone does not say, as a
 * table: the defaults a person gets who changes nothing.
 * <pre>
 *   framework   gradients     optimizer  loss     loss kernel      kept set                  DDP buckets  FSDP units
 *   flopcast    zeroed        fused      compute  in place         complete                  -            FSDP1's
 *   pytorch     set-to-none   foreach    fp32     eager            pytorch where it covers,  a second     FSDP1's
 *                                                                  else complete             copy
 *   megatron    zeroed        fused      fp32     softmax in copy  megatron where it covers  -            -
 *   torchtitan  set-to-none   fused      fp32     eager            torchtitan where it covers -           FSDP2's
 * </pre>
 * <ul>
 * <li>flopcast is its own executed model: gradients zeroed in place, AdamW in one pass per element,
 * the logits softmaxed in place in the compute type with their gradient written over them
 * ({@code MemoryLogTest} in measure checks it phase by phase).
 * <li>pytorch is PyTorch 2 eager as {@code probes/torch} runs it: {@code zero_grad} sets the
 * gradients to none (the default since 2.0), AdamW's default on CUDA is {@code foreach}, the loss
 * is {@code F.cross_entropy} on the logits cast to float32 (log-softmax and nll-loss: the kernel
 * {@link LossKernel#EAGER}), autograd saves the {@link TorchSavedTensor} rows where that table
 * covers the settings, and DDP (with {@code gradient_as_bucket_view} false, its default) keeps every
 * gradient a second time in its communication buckets, from construction on.
 * <li>megatron is Megatron-Core with Transformer Engine: the gradients accumulate into one contiguous
 * buffer zeroed each step (its {@code main_grad}, the DDP wrapper's own buckets), Adam is TE's or Apex's
 * fused kernel, the cross-entropy casts the logits to float32 and turns that copy into the softmax it
 * keeps, writing the gradient over it ({@link LossKernel#SOFTMAX_IN_COPY}), and each layer keeps the
 * {@link FrameworkKept} rows. Its distributed optimizer shards the master weights, m and v over the
 * data-parallel ranks and keeps the gradient buffer whole on each: flopcast's {@code zero1}.
 * <li>torchtitan (v0.2.2) sets the gradients to none, runs AdamW fused, casts the logits to float32
 * for {@code F.cross_entropy}, keeps its {@link FrameworkKept} rows and shards with FSDP2: the token
 * embedding a unit of its own, resharded after forward like a block, the final norm and the output
 * layer one unit held from the head's forward through its backward.
 * </ul>
 * {@code --gradients}, {@code --optimizer} and {@code --loss-precision} override a framework's
 * default.
 * <p>Source: Gradient lifetime; PyTorch AdamW implementations; Loss precision; DDP gradient buckets;
 * PyTorch autograd; Megatron-Core kept set; torchtitan kept set. Pinned by {@code StepTimelineTest}.
 */
public enum Framework {
    FLOPCAST("flopcast", StepTimeline.Gradients.ZEROED, OptimizerStep.FUSED, LossPrecision.COMPUTE,
            LossKernel.IN_PLACE, false, false),
    PYTORCH("pytorch", StepTimeline.Gradients.SET_TO_NONE, OptimizerStep.FOREACH, LossPrecision.FP32,
            LossKernel.EAGER, true, false),
    MEGATRON("megatron", StepTimeline.Gradients.ZEROED, OptimizerStep.FUSED, LossPrecision.FP32,
            LossKernel.SOFTMAX_IN_COPY, false, false),
    TORCHTITAN("torchtitan", StepTimeline.Gradients.SET_TO_NONE, OptimizerStep.FUSED, LossPrecision.FP32,
            LossKernel.EAGER, false, true);

    /** How the loss writes and keeps the B x T x V rows after the LM head's matmul. */
    public enum LossKernel {
        /**
         * The matmul writes the logits in the loss's type, softmaxed in place and kept; their gradient is
         * written over them: one row of B*T*V, no other.
         */
        IN_PLACE,
        /**
         * {@code F.cross_entropy(logits.float(), targets)}: the matmul's logits in the compute type stay
         * referenced until the loss returns, a copy in the loss's type where it differs, log-softmax writes
         * its output in the loss's type and keeps it; backward writes nll-loss's gradient and log-softmax's,
         * two rows in the loss's type, beside the kept one, then casts to the compute type (fewer bytes
         * than those two).
         */
        EAGER,
        /**
         * Megatron-Core's vocab-parallel cross-entropy: the matmul's logits in the compute type until the
         * loss casts them, a copy in the loss's type turned in place into the softmax it keeps; backward
         * writes the gradient over that copy and casts it to the compute type. Where the two types are one,
         * the logits themselves are softmaxed in place.
         */
        SOFTMAX_IN_COPY;

        /**
         * What the loss allocates and frees in the head's forward beyond what it keeps, over {@code logits}
         * logits of {@code compute} bytes in the matmul's type and {@code loss} bytes in the loss's.
         */
        public long forwardBytes(long logits, int compute, int loss) {
            return switch (this) {
                case IN_PLACE -> 0;
                case EAGER -> Math.multiplyExact(logits, compute + (loss != compute ? loss : 0));
                case SOFTMAX_IN_COPY -> loss != compute ? Math.multiplyExact(logits, compute) : 0;
            };
        }

        /** As {@link #forwardBytes}, the loss's backward: its gradients before the head's matmul reads them. */
        public long backwardBytes(long logits, int compute, int loss) {
            return switch (this) {
                case IN_PLACE -> 0;
                case EAGER -> Math.multiplyExact(logits, 2L * loss);
                case SOFTMAX_IN_COPY -> loss != compute ? Math.multiplyExact(logits, compute) : 0;
            };
        }
    }

    private final String cliName;
    private final StepTimeline.Gradients gradients;
    private final OptimizerStep optimizer;
    private final LossPrecision loss;
    private final LossKernel lossKernel;
    private final boolean bucketCopy;
    private final boolean embeddingUnit;

    Framework(String cliName, StepTimeline.Gradients gradients, OptimizerStep optimizer, LossPrecision loss,
            LossKernel lossKernel, boolean bucketCopy, boolean embeddingUnit) {
        this.cliName = cliName;
        this.gradients = gradients;
        this.optimizer = optimizer;
        this.loss = loss;
        this.lossKernel = lossKernel;
        this.bucketCopy = bucketCopy;
        this.embeddingUnit = embeddingUnit;
    }

    /**
     * True where the workspace is one pool taken at the first forward (flopcast's executed model); false
     * where the framework allocates the gradients of activations as its backward runs.
     */
    public boolean workspacePool() {
        return this == FLOPCAST;
    }

    /**
     * True where sharded optimizer state is one flat buffer split evenly, ceil(P / N) elements a rank
     * (Megatron-Core's distributed optimizer); false where whole tensors are dealt out (ZeroRedundancyOptimizer)
     * or FSDP's flat shards say it.
     */
    public boolean splitsOptimizerEvenly() {
        return this == MEGATRON;
    }

    /**
     * True where FSDP reduce-scatters a float32 copy of a unit's 16-bit unsharded gradients (torchtitan's
     * {@code reduce_dtype}), so they take 2 + 4 bytes an element while they live.
     */
    public boolean reducesInFloat32() {
        return this == TORCHTITAN;
    }

    /**
     * True where FSDP wraps the token embedding as a unit of its own, gathered for its forward and again for
     * its backward, and the final norm with the output layer as another, held from the head's forward
     * through its backward (torchtitan's FSDP2); false where they are the root unit, held through the
     * micro-batch (FSDP1's root).
     */
    public boolean embeddingUnit() {
        return embeddingUnit;
    }

    public String cliName() {
        return cliName;
    }

    /** The gradient lifetime a person gets by default. */
    public StepTimeline.Gradients gradients() {
        return gradients;
    }

    /** The AdamW implementation a person gets by default. */
    public OptimizerStep optimizer() {
        return optimizer;
    }

    /** The loss's type by default. */
    public LossPrecision loss() {
        return loss;
    }

    public LossKernel lossKernel() {
        return lossKernel;
    }

    /**
     * True where data parallelism without sharded gradients (DDP, and ZeroRedundancyOptimizer over it)
     * keeps a second copy of every gradient in its buckets, alive from construction on.
     */
    public boolean bucketCopy() {
        return bucketCopy;
    }

    /** Whose rows a framework keeps at a shape. */
    public enum KeptSet {
        /** The complete accounting's ({@link KeptActivation}): flopcast's, and any framework's where its own table does not cover the shape. */
        COMPLETE,
        /** PyTorch 1.13's autograd ({@link TorchSavedTensor}). */
        PYTORCH,
        /** Megatron-Core's or torchtitan's ({@link FrameworkKept}). */
        FRAMEWORK
    }

    /** The rows this framework keeps at {@code shape}: its own table where it covers the settings, else the complete accounting's. */
    public KeptSet keptSet(Shape shape) {
        return switch (this) {
            case FLOPCAST -> KeptSet.COMPLETE;
            case PYTORCH -> TorchSavedTensor.covers(shape) && shape.recompute() == Recompute.NONE ? KeptSet.PYTORCH
                    : KeptSet.COMPLETE;
            case MEGATRON, TORCHTITAN -> FrameworkKept.covers(this, shape) ? KeptSet.FRAMEWORK : KeptSet.COMPLETE;
        };
    }

    /**
     * Refuses a sharding this framework does not run, in one line: Megatron-Core's distributed optimizer
     * shards the optimizer state alone ({@code zero1}); torchtitan replicates (DDP) or shards with FSDP2
     * ({@code zero2}, {@code zero3}), never the optimizer state alone.
     */
    public void requireSharding(DataParallel plan) {
        if (plan.ranks() == 1) {
            return;
        }
        Sharding sharding = plan.sharding();
        if (this == MEGATRON && (sharding == Sharding.ZERO2 || sharding == Sharding.ZERO3)) {
            throw new InvalidInputException("--framework megatron with --sharding " + sharding.cliName()
                    + ": Megatron-Core's distributed optimizer shards the optimizer state and keeps the weights and"
                    + " gradients whole (allowed: --sharding none or zero1)");
        }
        if (this == TORCHTITAN && sharding == Sharding.ZERO1) {
            throw new InvalidInputException("--framework torchtitan with --sharding zero1: torchtitan replicates"
                    + " or shards with FSDP2 (allowed: --sharding none, zero2 or zero3)");
        }
    }

    public static Framework byName(String name) {
        return Names.byName(values(), Framework::cliName, "framework", name);
    }

    public static String names() {
        return Names.list(values(), Framework::cliName);
    }
}
