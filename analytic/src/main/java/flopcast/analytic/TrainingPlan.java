package flopcast.analytic;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The assumptions a training-time estimate rests on.
 *
 * @param steps              optimizer steps, at least 1
 * @param device             the catalog device whose peak is used; null when the peak was given
 * @param precision          the precision the peak is quoted for
 * @param peakFlopsPerSecond the peak divided by
 * @param mfu                model FLOPs utilization in (0, 1]
 * @param microBatches       forward and backward passes an optimizer step accumulates (gradient
 *                           accumulation), at least 1: a step's FLOPs are that many micro-batches'
 */
public record TrainingPlan(long steps, Device device, Precision precision, double peakFlopsPerSecond, double mfu,
        long microBatches) {

    public TrainingPlan {
        if (steps < 1) {
            throw new InvalidInputException("--steps must be at least 1, got " + steps);
        }
        if (microBatches < 1) {
            throw new InvalidInputException("--grad-accum must be at least 1, got " + microBatches);
        }
        TrainingTime.requirePeak(peakFlopsPerSecond);
        TrainingTime.requireMfu(mfu);
    }

    /** One micro-batch a step: no accumulation. */
    public TrainingPlan(long steps, Device device, Precision precision, double peakFlopsPerSecond, double mfu) {
        this(steps, device, precision, peakFlopsPerSecond, mfu, 1);
    }

    /** The same plan with {@code count} micro-batches accumulated a step. */
    public TrainingPlan withMicroBatches(long count) {
        return new TrainingPlan(steps, device, precision, peakFlopsPerSecond, mfu, count);
    }

    /** An optimizer step's model FLOPs: {@code microStepFlops}, one micro-batch's, times the micro-batches. */
    public BigInteger optimizerStepFlops(BigInteger microStepFlops) {
        return microStepFlops.multiply(BigInteger.valueOf(microBatches));
    }

    /**
     * Seconds of compute one optimizer step takes at this plan's peak and MFU, {@code stepFlops} being
     * one micro-batch's model FLOPs (the whole step's without accumulation).
     * <pre>
     *   compute seconds per step = micro_batches * step_flops / (peak_flops_per_second * mfu)
     * </pre>
     * Convention: model FLOPs, as MFU divides them; no communication (a data-parallel step adds it).
     * Source: the seed, "Computing the amount of time it takes to train a GPT-2 XL model"; PaLM,
     * Appendix B. Pinned by {@code TrainingTimeTest}.
     */
    public double computeSecondsPerStep(BigInteger stepFlops) {
        return new BigDecimal(optimizerStepFlops(stepFlops)).doubleValue() / (peakFlopsPerSecond * mfu);
    }

    /** The run's time, {@code stepFlops} being one micro-batch's model FLOPs. */
    public TrainingTime timeFor(BigInteger stepFlops) {
        return TrainingTime.of(steps, optimizerStepFlops(stepFlops), peakFlopsPerSecond, mfu);
    }

    /**
     * The fastest one step of {@code stepFlops} (one micro-batch: what a probe times) can run: its
     * model FLOPs at the peak (MFU 1). A measured step of t
     * seconds ran at MFU = this / t; one faster than this ran above the peak and is invalid.
     * <pre>
     *   step seconds at peak = step_flops / peak_flops_per_second
     * </pre>
     * Source: PaLM, Appendix B (MFU). Pinned by {@code TrainingPlanTest}.
     */
    public double stepSecondsAtPeak(BigInteger stepFlops) {
        return TrainingTime.of(1, stepFlops, peakFlopsPerSecond, 1).seconds();
    }
}
