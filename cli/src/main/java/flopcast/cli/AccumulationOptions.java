package flopcast.cli;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.MemoryPolynomial;
import flopcast.analytic.MicroBatchPlan;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --micro-batch} and {@code --grad-accum}: the global batch B (sequences an optimizer step
 * trains, {@code --batch}) as b sequences a forward and backward pass on each of N ranks, g passes
 * a step: B = b x g x N. Either one given determines the other; both given must multiply to B, or
 * determine it where {@code --batch} is not given.
 */
final class AccumulationOptions {

    static final String MICRO_BATCH = "--micro-batch";
    static final String GRAD_ACCUM = "--grad-accum";

    @Option(names = MICRO_BATCH, paramLabel = "b",
            description = "Sequences one forward and backward pass runs on each rank; --batch (the global batch)"
                    + " is then b x the accumulation steps x the ranks, and memory is counted at b.")
    Long microBatch;

    @Option(names = GRAD_ACCUM, paramLabel = "g",
            description = "Gradient accumulation: forward and backward passes an optimizer step sums before it"
                    + " updates (--batch = micro-batch x g x ranks); a step's FLOPs and time count every pass.")
    Long gradAccum;

    /**
     * The global batch b x g x N where both options are given and {@code --batch} is not (the third
     * follows from the two); null otherwise. A value below 1 is refused as {@link #resolve} refuses it.
     */
    Long impliedBatch(int ranks) {
        if (microBatch == null || gradAccum == null || microBatch < 1 || gradAccum < 1) {
            return null;
        }
        try {
            return Math.multiplyExact(Math.multiplyExact(microBatch, gradAccum), (long) ranks);
        } catch (ArithmeticException e) {
            throw new InvalidInputException(MICRO_BATCH + " " + microBatch + " x " + GRAD_ACCUM + " " + gradAccum + " x "
                    + ranks + " ranks is more sequences than a step can count (allowed: a product up to "
                    + Long.MAX_VALUE + ")");
        }
    }

    /**
     * The micro-batch and accumulation steps of {@code perRankBatch} (B / N), or null where neither
     * option was given; a one-line error for a value below 1 or one that does not divide.
     */
    MicroBatchPlan resolve(long perRankBatch, String perRankSource) {
        if (microBatch == null && gradAccum == null) {
            return null;
        }
        if (microBatch != null && microBatch < 1) {
            throw new InvalidInputException(MICRO_BATCH + " must be a positive integer, got " + microBatch);
        }
        if (gradAccum != null && gradAccum < 1) {
            throw new InvalidInputException(GRAD_ACCUM + " must be a positive integer, got " + gradAccum);
        }
        if (microBatch != null && gradAccum != null) {
            if (Math.multiplyHigh(microBatch, gradAccum) != 0 || microBatch * gradAccum != perRankBatch) {
                throw new InvalidInputException(MICRO_BATCH + " " + microBatch + " x " + GRAD_ACCUM + " " + gradAccum
                        + " is not " + perRankSource + " " + perRankBatch + " (allowed: two that multiply to it, or"
                        + " one of them)");
            }
            return new MicroBatchPlan(microBatch, gradAccum);
        }
        long given = microBatch != null ? microBatch : gradAccum;
        String option = microBatch != null ? MICRO_BATCH : GRAD_ACCUM;
        if (perRankBatch % given != 0) {
            throw new InvalidInputException(option + " " + given + " does not divide " + perRankSource + " "
                    + perRankBatch + " (allowed: a divisor of it, " + divisors(perRankBatch) + ")");
        }
        return microBatch != null ? new MicroBatchPlan(microBatch, perRankBatch / microBatch)
                : new MicroBatchPlan(perRankBatch / gradAccum, gradAccum);
    }

    /**
     * The plan for {@code perRankBatch} on {@code fit}'s capacity ({@link MicroBatchPlan}): the largest
     * divisor of it that fits as the micro-batch, and the passes that make it up; null where not one
     * sequence fits, or where the batch is above {@link MicroBatchPlan#MAX_PLANNED_BATCH}.
     */
    static MicroBatchPlan largestFitting(long perRankBatch, MemoryPolynomial.BatchFit fit) {
        return fit.fixedPartFits() ? MicroBatchPlan.largestDividing(perRankBatch, fit.batchSize()) : null;
    }

    /** The divisors of {@code n}, the first seven and n, for an error's "allowed". */
    private static String divisors(long n) {
        if (n > MicroBatchPlan.MAX_PLANNED_BATCH) {
            return "1, ...";
        }
        List<Long> all = MicroBatchPlan.divisors(n);
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if (i < 7 || i == all.size() - 1) {
                shown.add((i == all.size() - 1 && all.size() > 8 ? "..., " : "") + all.get(i));
            }
        }
        return String.join(", ", shown);
    }
}
