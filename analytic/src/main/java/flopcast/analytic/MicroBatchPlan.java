package flopcast.analytic;

import java.util.ArrayList;
import java.util.List;

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
        for (long divisor : divisors(batch)) {
            if (divisor <= fits) {
                best = divisor;
            }
        }
        return new MicroBatchPlan(best, batch / best);
    }

    /** Every divisor of {@code n} in increasing order, by trial up to its square root (n at most {@link #MAX_PLANNED_BATCH}). */
    public static List<Long> divisors(long n) {
        List<Long> found = new ArrayList<>();
        for (long d = 1; d * d <= n; d++) {
            if (n % d == 0) {
                found.add(d);
                if (d != n / d) {
                    found.add(n / d);
                }
            }
        }
        found.sort(Long::compare);
        return found;
    }
}
