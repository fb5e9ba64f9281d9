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
 */
public record TrainingPlan(long steps, Device device, Precision precision, double peakFlopsPerSecond, double mfu) {

    public TrainingPlan {
        if (steps < 1) {
            throw new InvalidInputException("--steps must be at least 1, got " + steps);
        }
        TrainingTime.requirePeak(peakFlopsPerSecond);
        TrainingTime.requireMfu(mfu);
    }

    /**
     * Seconds of compute one step of {@code stepFlops} model FLOPs takes at this plan's peak and MFU.
     * <pre>
     *   compute seconds per step = step_flops / (peak_flops_per_second * mfu)
     * </pre>
     * Convention: model FLOPs, as MFU divides them; no communication (a data-parallel step adds it).
     * Source: the seed, "Computing the amount of time it takes to train a GPT-2 XL model"; PaLM,
     * Appendix B. Pinned by {@code TrainingTimeTest}.
     */
    public double computeSecondsPerStep(BigInteger stepFlops) {
        return new BigDecimal(stepFlops).doubleValue() / (peakFlopsPerSecond * mfu);
    }

    public TrainingTime timeFor(BigInteger stepFlops) {
        return TrainingTime.of(steps, stepFlops, peakFlopsPerSecond, mfu);
    }

    /**
     * The fastest one step can run: its model FLOPs at the peak (MFU 1). A measured step of t
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
