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
 * <li>zero2 (FSDP SHARD_GRAD_OP): between steps each rank keeps only its flat shard of the weights,
 * gradients and AdamW state (ceil(E_u/N) elements of each unit u, padded at the end to N shards);
 * it gathers every unit's weights for forward and keeps them through backward, and
 * reduce-scatters the gradients;
 * <li>zero3 (FSDP FULL_SHARD): the same shards, but each unit's weights are gathered for its
 * forward, freed, and gathered again for its backward.
 * </ul>
 * DeepSpeed's ZeRO-2 keeps every weight on every rank; flopcast's zero2 is FSDP's, which the probe
 * runs.
 * Source: ZeRO, sections 5.1-5.3 and 7; PyTorch distributed, FSDP and
 * ZeroRedundancyOptimizer.
 */
public enum Sharding {
    NONE("none", false, false, false),
    ZERO1("zero1", true, false, false),
    ZERO2("zero2", true, true, true),
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

    /** True where each rank keeps only its shard of the weights between steps. */
    public boolean shardsParameters() {
        return parameters;
    }

    /** True where the split is FSDP's one flat, padded shard per rank and unit (zero2, zero3). */
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
