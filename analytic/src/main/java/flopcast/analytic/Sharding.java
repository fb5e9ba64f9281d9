package flopcast.analytic;

/**
 * How data-parallel ranks split the model state. FSDP's NO_SHARD, SHARD_GRAD_OP and FULL_SHARD
 * are none, zero2 and zero3.
 * <ul>
 * <li>none: every rank holds everything (DistributedDataParallel); gradients are all-reduced;
 * <li>zero1: AdamW's state (m, v and any master weights) is split (PyTorch's
 * {@code ZeroRedundancyOptimizer}: whole tensors, largest first, each to the rank holding the
 * fewest elements so far); gradients are all-reduced, then each rank broadcasts the weights it
 * updated;
 * <li>zero2: gradients are split too (one flat shard of ceil(P/N) elements per rank, padded at the
 * end to N shards); weights are gathered for forward and kept through backward, gradients
 * reduce-scattered;
 * <li>zero3: weights are split as well, gathered once for forward and once more for backward.
 * </ul>
 * Source: ZeRO, sections 5.1-5.3 and 7; PyTorch distributed, FSDP and
 * ZeroRedundancyOptimizer.
 */
public enum Sharding {
    NONE("none", false, false, false),
    ZERO1("zero1", true, false, false),
    ZERO2("zero2", true, true, false),
    ZERO3("zero3", true, true, true);

    private final String cliName;
    private final boolean optimizerState;
    private final boolean gradients;
    private final boolean parameters;

    Sharding(String cliName, boolean optimizerState, boolean gradients, boolean parameters) {
        this.cliName = cliName;
        this.optimizerState = optimizerState;
        this.gradients = gradients;
        this.parameters = parameters;
    }

    public String cliName() {
        return cliName;
    }

    /** True where m, v and the master weights are split across ranks. */
    public boolean shardsOptimizerState() {
        return optimizerState;
    }

    /** True where each rank keeps only its shard of the gradients. */
    public boolean shardsGradients() {
        return gradients;
    }

    /** True where each rank keeps only its shard of the weights between uses. */
    public boolean shardsParameters() {
        return parameters;
    }

    /** True where the split is FSDP's one flat, padded shard per rank (zero2, zero3). */
    public boolean flat() {
        return gradients;
    }

    public static Sharding byName(String name) {
        return Names.byName(values(), Sharding::cliName, "sharding mode", name);
    }

    public static String names() {
        return Names.list(values(), Sharding::cliName);
    }
}
