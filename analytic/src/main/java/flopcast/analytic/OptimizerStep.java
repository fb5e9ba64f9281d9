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
 *   for-loop         sqrt(v) and sqrt(v) / bias correction of tensor  max over i of
 *                    i, while tensor i - 1's denominator is still     (n_(i-1) + 2 n_i) x bytes(v)
 *                    bound (Python evaluates the new one first)
 * </pre>
 * E_opt is the elements whose m and v the device (or rank) keeps; n_i the i-th of its tensors in the
 * order the optimizer walks them (the model's, {@code parameters()}; under FSDP each unit's flat
 * shard, the root's first; a ZeroRedundancyOptimizer rank's by the model's order). flopcast's executed model updates each element in one pass,
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
     * The temporaries' bytes: the optimizer walking {@code tensors} (their elements, in its order) of
     * {@code elements} in all, v stored as {@code policy} stores it.
     */
    public long temporaryBytes(long elements, long[] tensors, PrecisionPolicy policy) {
        long v = policy.secondMomentType().bytes();
        return switch (this) {
            case FUSED -> 0;
            case FOREACH -> Math.multiplyExact(elements, v);
            case FOR_LOOP -> {
                long most = 0;
                for (int i = 0; i < tensors.length; i++) {
                    most = Math.max(most, Math.addExact(i == 0 ? 0 : tensors[i - 1], Math.multiplyExact(2, tensors[i])));
                }
                yield Math.multiplyExact(most, v);
            }
        };
    }

    public static OptimizerStep byName(String name) {
        return Names.byName(values(), OptimizerStep::cliName, "optimizer implementation", name);
    }

    public static String names() {
        return Names.list(values(), OptimizerStep::cliName);
    }
}
