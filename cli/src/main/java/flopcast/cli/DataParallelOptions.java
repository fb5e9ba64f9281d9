package flopcast.cli;

import flopcast.analytic.DataParallel;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Sharding;
import picocli.CommandLine.Option;

/** {@code --data-parallel}, {@code --sharding} and {@code --overlap-communication}. */
final class DataParallelOptions {

    static final String DATA_PARALLEL = "--data-parallel";

    @Option(names = DATA_PARALLEL, paramLabel = "N",
            description = "Data-parallel ranks; --batch is then the global batch, each rank running B / N"
                    + " sequences (N must divide B). Prints what each rank holds and sends per step.")
    Integer ranks;

    @Option(names = "--sharding", paramLabel = "MODE",
            description = "With --data-parallel: none (DDP), zero1 (ZeroRedundancyOptimizer), zero2 (FSDP"
                    + " SHARD_GRAD_OP) or zero3 (FSDP FULL_SHARD) (default: none).")
    String sharding;

    @Option(names = "--overlap-communication",
            description = "With --data-parallel: count only the communication that outlasts the compute"
                    + " (default: none of it overlaps).")
    boolean overlap;

    /** The plan, or null where {@code --data-parallel} was not given (and nothing that needs it was). */
    DataParallel resolve() {
        if (ranks == null) {
            if (sharding != null) {
                throw new InvalidInputException("--sharding " + sharding + " needs " + DATA_PARALLEL + " N");
            }
            if (overlap) {
                throw new InvalidInputException("--overlap-communication needs " + DATA_PARALLEL + " N");
            }
            return null;
        }
        Sharding mode = sharding == null ? Sharding.NONE : Sharding.byName(sharding);
        if (ranks == 1 && mode.shardsGradients()) {
            // torch.distributed.fsdp switches FULL_SHARD and SHARD_GRAD_OP to NO_SHARD at world size 1
            throw new InvalidInputException("--sharding " + mode.cliName() + " over 1 rank: FSDP runs without sharding"
                    + " at world size 1, so nothing is gathered or scattered (allowed: --sharding none, or "
                    + DATA_PARALLEL + " 2 or more)");
        }
        return new DataParallel(ranks, mode, overlap);
    }
}
