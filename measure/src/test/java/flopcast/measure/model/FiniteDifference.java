package flopcast.measure.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences of a scalar function of float inputs, compared with an analytic
 * gradient.
 *
 * <p>Tolerance, and why: the step is {@value #STEP} on inputs of order 1, so truncation error is
 * about STEP^2 * |f'''| / 6, near 2e-5; the function is evaluated in float32 and summed in double,
 * so its round-off is about 1e-6 and costs 1e-6 / (2 * STEP) = 5e-5 in the difference. A gradient
 * passes when |analytic - numeric| <= {@value #ABSOLUTE} + {@value #RELATIVE} * |numeric|: twenty
 * times those errors, and two orders of magnitude below what a wrong term in a backward formula
 * produces (differences of order |gradient|).
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
            float original = input[i];
            input[i] = original + STEP;
            double plus = loss.getAsDouble();
            input[i] = original - STEP;
            double minus = loss.getAsDouble();
            input[i] = original;
            double numeric = (plus - minus) / (2 * STEP);
            double error = Math.abs(analytic[i] - numeric);
            assertTrue(error <= ABSOLUTE + RELATIVE * Math.abs(numeric),
                    name + "[" + i + "]: analytic " + analytic[i] + ", numeric " + numeric);
        }
        return count;
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
