package flopcast.calibration.measurements;

import java.util.Arrays;
import java.util.List;

/**
 * A row's timed samples (JMH's per-iteration scores, each an average over that iteration's ops) and
 * what calibration reads from them: the median, which a burst of contention on a shared host moves
 * only when it covers half the samples (the mean moves with any one), and the spread, the
 * interquartile range over the median, which says how far two halves of the row disagree. Quartiles
 * interpolate linearly between order statistics (R's and NumPy's default, "type 7").
 */
public final class Samples {
    /** Fewer samples than this tell no spread: their quartiles are one or two samples each. */
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

    public double median() {
        return quantile(0.5);
    }

    /** (upper quartile - lower quartile) / median; NaN below {@link #MIN_FOR_SPREAD} samples. */
    public double spread() {
        return sorted.length < MIN_FOR_SPREAD ? Double.NaN : (quantile(0.75) - quantile(0.25)) / median();
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
