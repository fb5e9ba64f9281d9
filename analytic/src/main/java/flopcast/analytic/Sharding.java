package flopcast.analytic;

import flopcast.analytic.DataParallel.Collective;
import java.util.List;

/**
 * How data-parallel ranks split the model state, as a table: what is sharded, how it is
 * partitioned, what is gathered and when, and which collectives a step runs. FSDP's NO_SHARD,
 * SHARD_GRAD_OP and FULL_SHARD are none, zero2 and zero3. {@link DataParallel} reads these columns,
 * never the name.
 * <pre>
 *   mode   shards                      partition       weights gathered                 collectives, in order
 *   none   -                           replicated      -                                gradient all-reduce
 *   zero1  m, v, master                whole tensors   -                                gradient all-reduce,
 *                                                                                       weight broadcast
 *   zero2  weights, gradients, m, v,   flat, padded    every unit before its forward,   weight all-gather (1),
 *          master                                      held through backward            gradient reduce-scatter
 *   zero3  weights, gradients, m, v,   flat, padded    each unit before its forward,    weight all-gather (2),
 *          master                                      freed, again before its backward gradient reduce-scatter
 * </pre>
 * <ul>
 * <li>whole tensors (PyTorch's {@code ZeroRedundancyOptimizer}): largest first, each to the rank
 * holding the fewest elements so far; each rank broadcasts the weights it updated;
 * <li>flat, padded (FSDP): ceil(E_u/N) elements of each unit u per rank, the unit padded at the end
 * to N shards; a reduce-scatter holds one unit's full gradients before it scatters them.
 * </ul>
 * DeepSpeed's ZeRO-2 keeps every weight on every rank; flopcast's zero2 is FSDP's, which the probe
 * runs.
 * Source: ZeRO, sections 5.1-5.3 and 7; PyTorch distributed, FSDP and
 * ZeroRedundancyOptimizer. Pinned by {@code SettingTablesTest} (every row through
 * {@link DataParallel}) and {@code DataParallelTest}.
 */
public enum Sharding {
    NONE("none", false, false, false, Partition.REPLICATED, WeightGather.NONE,
            List.of(Collective.GRADIENT_ALL_REDUCE)),
    ZERO1("zero1", true, false, false, Partition.WHOLE_TENSORS, WeightGather.NONE,
            List.of(Collective.GRADIENT_ALL_REDUCE, Collective.PARAMETER_BROADCAST)),
    ZERO2("zero2", true, true, true, Partition.FLAT, WeightGather.FORWARD_HELD_THROUGH_BACKWARD,
            List.of(Collective.PARAMETER_ALL_GATHER, Collective.GRADIENT_REDUCE_SCATTER)),
    ZERO3("zero3", true, true, true, Partition.FLAT, WeightGather.FORWARD_AND_BACKWARD,
            List.of(Collective.PARAMETER_ALL_GATHER, Collective.GRADIENT_REDUCE_SCATTER));

    /** How the sharded state is split over the ranks. */
    public enum Partition {
        /** Nothing is split: every rank holds everything. */
        REPLICATED,
        /** Whole tensors, largest first, each to the rank holding the fewest elements so far. */
        WHOLE_TENSORS,
        /** One flat shard of ceil(E_u / N) elements per rank and unit, the unit padded to N shards. */
        FLAT
    }

    /** Which weights a rank gathers beyond its shard, and when. */
    public enum WeightGather {
        /** None: the weights are whole on every rank. */
        NONE(0),
        /** Every unit's weights, gathered once before its forward and held through backward. */
        FORWARD_HELD_THROUGH_BACKWARD(1),
        /** One unit's weights at a time: gathered before its forward, freed, gathered again before its backward. */
        FORWARD_AND_BACKWARD(2);

        private final int gathersPerStep;

        WeightGather(int gathersPerStep) {
            this.gathersPerStep = gathersPerStep;
        }

        /** All-gathers of every unit's weights in one step. */
        public int gathersPerStep() {
            return gathersPerStep;
        }
    }

    private final String cliName;
    private final boolean optimizerState;
    private final boolean gradients;
    private final boolean parameters;
    private final Partition partition;
    private final WeightGather weightGather;
    private final List<Collective> collectives;

    Sharding(String cliName, boolean optimizerState, boolean gradients, boolean parameters, Partition partition,
            WeightGather weightGather, List<Collective> collectives) {
        this.cliName = cliName;
        this.optimizerState = optimizerState;
        this.gradients = gradients;
        this.parameters = parameters;
        this.partition = partition;
        this.weightGather = weightGather;
        this.collectives = collectives;
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

    /** How the sharded state is split. */
    public Partition partition() {
        return partition;
    }

    /** Which weights are gathered, and when. */
    public WeightGather weightGather() {
        return weightGather;
    }

    /** The collectives one step runs, in order (none where there is one rank). */
    public List<Collective> collectives() {
        return collectives;
    }

    public static Sharding byName(String name) {
        return Names.byName(values(), Sharding::cliName, "sharding mode", name);
    }

    public static String names() {
        return Names.list(values(), Sharding::cliName);
    }
}
