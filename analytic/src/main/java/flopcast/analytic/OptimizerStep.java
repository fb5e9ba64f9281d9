package flopcast.analytic;

/**
 * Which AdamW implementation runs the optimizer step, by the temporaries it allocates beyond the
 * weights, gradients, master copy, m and v (all updated in place by every one of them):
 * <pre>
 *   implementation   temporaries alive at once                         bytes
 *   fused            none: one kernel reads and writes each element    0
 *   foreach          sqrt(v) of every tensor the step updates, as one  E_opt x bytes(v)
 *                    list (divided and offset in place, then read by
 *                    the update)
 *   for-loop         sqrt(v) and sqrt(v) / bias correction of one      2 x E_max x bytes(v)
 *                    tensor, the largest, before the next tensor's
 * </pre>
 * E_opt is the elements whose m and v the device (or rank) keeps, E_max the largest tensor among
 * them (under FSDP a unit's flat shard). flopcast's executed model updates each element in one pass,
 * as {@code fused} does. PyTorch picks {@code foreach} where foreach and fused are left unset and
 * every tensor is on a CUDA device, {@code for-loop} on the CPU. Gradient clipping
 * ({@code clip_grad_norm_}) allocates one norm per tensor (scalars) and scales in place: no row.
 * <p>Source: PyTorch AdamW implementations. Pinned by {@code StepTimelineTest}.
 */
public enum OptimizerStep {
    FUSED("fused"),
    FOREACH("foreach"),
    FOR_LOOP("for-loop");

    private final String cliName;

    OptimizerStep(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /**
     * The temporaries' bytes: {@code elements} whose state the step updates, the largest tensor
     * among them {@code largest} elements, v stored as {@code policy} stores it.
     */
    public long temporaryBytes(long elements, long largest, PrecisionPolicy policy) {
        long v = policy.secondMomentType().bytes();
        return switch (this) {
            case FUSED -> 0;
            case FOREACH -> Math.multiplyExact(elements, v);
            case FOR_LOOP -> Math.multiplyExact(Math.multiplyExact(2, largest), v);
        };
    }

    public static OptimizerStep byName(String name) {
        return Names.byName(values(), OptimizerStep::cliName, "optimizer implementation", name);
    }

    public static String names() {
        return Names.list(values(), OptimizerStep::cliName);
    }
}
