package flopcast.analytic;

/**
 * A batch split into equal micro-batches, the gradient-accumulation passes of one optimizer step:
 * the largest micro-batch that fits a device and divides the batch (trainers run equal passes), and
 * how many passes make the batch up. The seed's batch 1024 on an A100 80GB, which holds 3 sequences of
 * the complete model: 2 a pass, 512 passes. {@code predict}'s plan and {@code calibrate}'s extrapolation
 * both use it, so they agree. Pinned by {@code MicroBatchPlanTest}.
 *
 * @param microBatch sequences a pass, at least 1
 * @param passes     passes a step: batch / microBatch
 */
public record MicroBatchPlan(long microBatch, long passes) {

    /** The largest batch whose divisors are searched: far beyond any run's. */
    public static final long MAX_PLANNED_BATCH = 1_000_000_000L;

    /**
     * The plan for {@code batch} where at most {@code fits} sequences fit a pass; null where not one
     * does, or where the batch is above {@link #MAX_PLANNED_BATCH}.
     */
    public static MicroBatchPlan largestDividing(long batch, long fits) {
        if (fits < 1 || batch < 1 || batch > MAX_PLANNED_BATCH) {
            return null;
        }
        long best = 1;
        for (long d = 1; d * d <= batch; d++) {
            if (batch % d == 0) {
                if (d <= fits) {
                    best = Math.max(best, d);
                }
                if (batch / d <= fits) {
                    best = Math.max(best, batch / d);
                }
            }
        }
        return new MicroBatchPlan(best, batch / best);
    }
}
