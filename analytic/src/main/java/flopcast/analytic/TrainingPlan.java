package flopcast.analytic;

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

    public TrainingTime timeFor(BigInteger stepFlops) {
        return TrainingTime.of(steps, stepFlops, peakFlopsPerSecond, mfu);
    }
}
