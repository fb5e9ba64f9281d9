package flopcast.analytic;

/**
 * What a training framework does with memory over a step that the model alone does not say, as a
 * table: the defaults a person gets who changes nothing.
 * <pre>
 *   framework  gradients     optimizer  loss       loss kernel  kept set                  DDP buckets
 *   flopcast   zeroed        fused      compute    in place     complete                  -
 *   pytorch    set-to-none   foreach    fp32       eager        pytorch where it covers,  a second copy
 *                                                               else complete
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
 * </ul>
 * {@code --gradients}, {@code --optimizer} and {@code --loss-precision} override a framework's
 * default. Megatron-Core and torchtitan keep other sets and are not tabled yet.
 * <p>Source: Gradient lifetime; PyTorch AdamW implementations; Loss precision; DDP gradient buckets;
 * PyTorch autograd. Pinned by {@code StepTimelineTest}.
 */
public enum Framework {
    FLOPCAST("flopcast", StepTimeline.Gradients.ZEROED, OptimizerStep.FUSED, LossPrecision.COMPUTE,
            LossKernel.IN_PLACE, false),
    PYTORCH("pytorch", StepTimeline.Gradients.SET_TO_NONE, OptimizerStep.FOREACH, LossPrecision.FP32,
            LossKernel.EAGER, true);

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
        EAGER
    }

    private final String cliName;
    private final StepTimeline.Gradients gradients;
    private final OptimizerStep optimizer;
    private final LossPrecision loss;
    private final LossKernel lossKernel;
    private final boolean bucketCopy;

    Framework(String cliName, StepTimeline.Gradients gradients, OptimizerStep optimizer, LossPrecision loss,
            LossKernel lossKernel, boolean bucketCopy) {
        this.cliName = cliName;
        this.gradients = gradients;
        this.optimizer = optimizer;
        this.loss = loss;
        this.lossKernel = lossKernel;
        this.bucketCopy = bucketCopy;
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

    /**
     * True where this framework's kept set is the {@link TorchSavedTensor} table at {@code shape} (it covers
     * the settings, without recomputation); false where it is the complete accounting's.
     */
    public boolean keepsTorchRows(Shape shape) {
        return this == PYTORCH && TorchSavedTensor.covers(shape) && shape.recompute() == Recompute.NONE;
    }

    public static Framework byName(String name) {
        return Names.byName(values(), Framework::cliName, "framework", name);
    }

    public static String names() {
        return Names.list(values(), Framework::cliName);
    }
}
