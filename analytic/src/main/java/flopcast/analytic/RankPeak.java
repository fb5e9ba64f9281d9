package flopcast.analytic;

/**
 * The most one rank (or the one device) holds during a step, as PyTorch allocates it: what the
 * probe compares with {@code torch.cuda.max_memory_allocated} and what a batch must fit.
 * <pre>
 *   peak  = state + saved + workspace
 *   state = the largest rank's weights, gradients, master weights, m and v, and its gathers
 *           (DataParallel.RankState.peakBytes; one device: the whole model state)
 *   saved = what autograd saves for backward, by the pytorch profile (TorchSavedTensor) where it
 *           covers the settings, else the complete accounting's kept activations
 *   workspace = the complete accounting's backward workspace, taken as the largest transient
 * </pre>
 * Convention: the state, the saved tensors and the largest transient are all live at once (the
 * start of backward); the caching allocator's rounding and fragmentation are not counted. Without
 * the pytorch profile the peak equals the complete accounting's total with the state replaced by
 * the rank's. Source: DESIGN, "Two accountings" (kept activations, workspace); PyTorch autograd
 * (the pytorch profile). Pinned by {@code RankPeakTest}.
 *
 * @param savedBy        which table counts the saved bytes: {@link TorchSavedTensor#PROFILE} or "complete"
 * @param stateBytes     the rank's state with its gathers
 * @param savedBytes     what backward reads
 * @param workspaceBytes the largest transient
 */
public record RankPeak(String savedBy, long stateBytes, long savedBytes, long workspaceBytes) {

    /** What {@link #savedBy()} says where the pytorch profile does not cover the settings. */
    public static final String COMPLETE = "complete";

    /** The peak of the largest of {@code plan}'s ranks ({@link DataParallel#SINGLE} for one device). */
    public static RankPeak of(Prediction prediction, DataParallel plan) {
        if (prediction.accounting() != Accounting.COMPLETE) {
            throw new IllegalArgumentException("a rank's peak needs the complete accounting's workspace, got "
                    + prediction.accounting().cliName());
        }
        Shape shape = prediction.shape();
        long state;
        if (shape.settings().freezes()) {
            if (plan.ranks() > 1) {
                throw new IllegalArgumentException("data-parallel LoRA or freezing is not modelled: one device only");
            }
            // the frozen weights and the adapters' gradients, master copy and moments
            state = MemoryBreakdown.modelStateBytes(shape);
        } else {
            state = plan.largest(shape).peakBytes(shape.policy());
        }
        boolean profiled = TorchSavedTensor.covers(shape);
        long saved = profiled ? TorchSavedTensor.savedBytes(shape) : prediction.memory().activationsBytes();
        return new RankPeak(profiled ? TorchSavedTensor.PROFILE : COMPLETE, state, saved,
                prediction.memory().workspaceBytes());
    }

    /** state + saved + workspace. */
    public long bytes() {
        return Math.addExact(Math.addExact(stateBytes, savedBytes), workspaceBytes);
    }
}
