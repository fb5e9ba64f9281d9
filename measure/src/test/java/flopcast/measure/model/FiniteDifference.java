package flopcast.measure.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences of a scalar function of float inputs, Richardson-extrapolated, compared
 * with an analytic gradient.
 *
 * <p>Tolerance, and why: the central difference D(h) at h = {@value #STEP} has a truncation error of
 * h^2 * f''' / 6, about 2e-5 where |f'''| is of order 1, but several percent of the gradient where it
 * is not (a block with norms before and after each sublayer, at weights of 0.5, showed 3.6% on one
 * gain); (4 D(h/2) - D(h)) / 3 cancels that term and leaves one of order h^4. The function is evaluated
 * in float32 and summed in double, so its round-off is about 1e-6 and costs
 * (4 / h + 1 / (2h)) * 1e-6 / 3 = 1.5e-4 in the extrapolated difference. A gradient passes when
 * |analytic - numeric| <= {@value #ABSOLUTE} + {@value #RELATIVE} * |numeric|: several times those
 * errors, and two orders of magnitude below what a wrong term in a backward formula produces
 * (differences of order |gradient|).
 */
public final class FiniteDifference {
    static final float STEP = 1e-2f;
    static final double ABSOLUTE = 1e-3;
    static final double RELATIVE = 1e-2;

    private FiniteDifference() {
    }

    /** Checks every element of {@code input} (or {@code samples} random ones); returns how many. */
    public static int check(String name, float[] input, float[] analytic, DoubleSupplier loss, int samples, Random random) {
        int count = Math.min(samples, input.length);
        for (int s = 0; s < count; s++) {
            int i = samples >= input.length ? s : random.nextInt(input.length);
            double numeric = (4 * central(input, i, STEP / 2, loss) - central(input, i, STEP, loss)) / 3;
            double error = Math.abs(analytic[i] - numeric);
            assertTrue(error <= ABSOLUTE + RELATIVE * Math.abs(numeric),
                    name + "[" + i + "]: analytic " + analytic[i] + ", numeric " + numeric);
        }
        return count;
    }

    /** (f(x + h) - f(x - h)) / 2h in element {@code i}, which it restores. */
    private static double central(float[] input, int i, float step, DoubleSupplier loss) {
        float original = input[i];
        input[i] = original + step;
        double plus = loss.getAsDouble();
        input[i] = original - step;
        double minus = loss.getAsDouble();
        input[i] = original;
        return (plus - minus) / (2 * step);
    }

    /** sum(weights * values) in double: a scalar whose gradient with respect to values is weights. */
    public static double dot(float[] weights, float[] values) {
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            sum += (double) weights[i] * values[i];
        }
        return sum;
    }

    public static void fillGaussian(float[] values, Random random, double std) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
    }
}
