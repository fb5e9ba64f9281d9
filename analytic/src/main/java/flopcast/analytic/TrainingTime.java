package flopcast.analytic;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;

/**
 * Wall time of a training run at a given utilization.
 * <pre>
 *   seconds = steps * step_flops / (peak_flops_per_second * mfu),   days = seconds / 86400
 * </pre>
 * Convention: step FLOPs are model FLOPs (forward plus backward matmuls), as MFU is defined.
 * Source: the seed, "Computing the amount of time it takes to train a GPT-2 XL model"; PaLM
 * Appendix B for MFU. A time past the largest double is refused, never printed as Infinity. Pinned by
 * {@code TrainingTimeTest}.
 *
 * @param steps                 optimizer steps
 * @param totalFlops            steps * step FLOPs, exact
 * @param peakFlopsPerSecond    the peak divided by
 * @param mfu                   model FLOPs utilization in (0, 1]
 * @param seconds               wall seconds
 * @param days                  wall days
 */
public record TrainingTime(long steps, BigInteger totalFlops, double peakFlopsPerSecond, double mfu, double seconds,
        double days) {

    public static final double SECONDS_PER_DAY = 86_400;

    public static TrainingTime of(long steps, BigInteger stepFlops, double peakFlopsPerSecond, double mfu) {
        if (steps < 1) {
            throw new InvalidInputException("steps must be at least 1, got " + steps);
        }
        requirePeak(peakFlopsPerSecond);
        requireMfu(mfu);
        BigInteger total = stepFlops.multiply(BigInteger.valueOf(steps));
        double seconds = new BigDecimal(total).doubleValue() / (peakFlopsPerSecond * mfu);
        if (!Double.isFinite(seconds)) {
            throw new InvalidInputException(String.format(Locale.ROOT, "%d steps of %s FLOPs at a peak of %s FLOP/s"
                    + " and mfu %s take more seconds than a double holds; allowed are a peak times mfu and steps that"
                    + " keep the time below %.3g seconds", steps, stepFlops, peakFlopsPerSecond, mfu, Double.MAX_VALUE));
        }
        return new TrainingTime(steps, total, peakFlopsPerSecond, mfu, seconds, seconds / SECONDS_PER_DAY);
    }

    /** MFU must be a number in (0, 1]. */
    public static void requireMfu(double mfu) {
        if (!(mfu > 0 && mfu <= 1)) {
            throw new InvalidInputException("mfu must be a number in (0, 1], got " + mfu);
        }
    }

    public static void requirePeak(double peakFlopsPerSecond) {
        if (!(peakFlopsPerSecond > 0) || Double.isInfinite(peakFlopsPerSecond)) {
            throw new InvalidInputException("peak FLOP/s must be a positive number, got " + peakFlopsPerSecond);
        }
    }
}
