package flopcast.calibration.measurements;

import java.util.Arrays;
import java.util.List;

/**
 * A row's timed samples (JMH's per-iteration scores, each an average over that iteration's ops) and
 * what calibration reads from them. On a shared host contention only ever adds time: no iteration
 * runs an op faster than the machine can, and a burst (another tenant, the other vCPU taken, a
 * thread hand-off that waits) makes whole iterations 1.2 to 6 times slower, for seconds at a time
 * (seen: one-thread rows within 2% of their fastest sample while all-thread rows of the same kernel
 * spread over 2x). So a row is timed by its lower quartile, the uncontended machine as a quarter of
 * the samples saw it, which a burst covering up to three quarters of them does not move (the mean
 * moves with any one burst, the median with half). The minimum is the textbook estimate under
 * positive noise (Chen and Revels 2016, arXiv:1608.04295), but it rests on one sample; the lower
 * quartile needs several to agree. The spread says whether they did: (lower quartile - minimum) /
 * lower quartile, how far apart the fastest quarter lie. Quantiles interpolate linearly between
 * order statistics (R's and NumPy's default, "type 7").
 */
public final class Samples {
    /** Fewer samples than this tell no spread: their lower quartile is the minimum or next to it. */
    public static final int MIN_FOR_SPREAD = 5;

    private final double[] sorted;

    public Samples(List<Double> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
        sorted = samples.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    public int count() {
        return sorted.length;
    }

    /** The time calibration uses: the lower quartile. */
    public double lowerQuartile() {
        return quantile(0.25);
    }

    /** (lower quartile - minimum) / lower quartile; NaN below {@link #MIN_FOR_SPREAD} samples. */
    public double spread() {
        return sorted.length < MIN_FOR_SPREAD ? Double.NaN : (quantile(0.25) - sorted[0]) / quantile(0.25);
    }

    /** The {@code q} quantile, interpolated between the order statistics around (n - 1) q. */
    public double quantile(double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    @Override
    public String toString() {
        return Arrays.toString(sorted);
    }
}
