package flopcast.measure.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.measure.kernels.ElementwiseKernels;
import flopcast.measure.kernels.ElementwiseKernels.AdamWStep;
import flopcast.measure.kernels.ScalarKernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernels against the scalar reference, over ranges that start off zero and whose
 * lengths are below, at and around the vector length (the tails run the reference itself).
 *
 * <p>Tolerances, and why: an elementwise result may differ by {@value #ELEMENT_ULPS} units of
 * float round-off (u = 2^-24) of its magnitude: the Vector API's exp is within a few ulps of
 * Math.exp, and SiLU's backward composes it with five more rounded operations. A sum of n terms may
 * differ by n * u * sum|term| plus that: the lanes sum in another order (Higham, Accuracy and
 * Stability, 3.1). A wrong lane, offset or formula gives errors of the order of the values.
 */
class VectorKernelsTest {
    private static final double UNIT_ROUNDOFF = Math.pow(2, -24);
    private static final int ELEMENT_ULPS = 32;
    private static final int[] LENGTHS = {0, 1, 7, 15, 16, 17, 31, 33, 100, 1000};
    private static final int OFFSET = 3;

    private static final ElementwiseKernels VECTOR = warmedUp(new VectorKernels());

    private final ElementwiseKernels vector = VECTOR;
    private final ElementwiseKernels scalar = ScalarKernels.INSTANCE;
    private final Random random = new Random(17);

    /**
     * Runs every kernel long enough for C2 to compile it: before that the Vector API runs its Java
     * fallbacks (whose exp is Math.exp), and the comparison would not see the compiled kernels.
     */
    private static ElementwiseKernels warmedUp(ElementwiseKernels kernels) {
        float[] x = new float[1024];
        float[] y = new float[1024];
        float[] z = new float[1024];
        float[] w = new float[1024];
        java.util.Arrays.fill(y, 1f);
        AdamWStep step = new AdamWStep(1f, 0.9f, 0.1f, 0.999f, 0.001f, 1f, 1e-8f, 0f);
        for (int i = 0; i < 20_000; i++) {
            kernels.scaleMax(x, 0, 1024, 1f);
            kernels.max(x, 0, 1024);
            kernels.expSum(x, 0, 1024, 0f);
            kernels.scale(x, 0, 1024, 0f);
            kernels.dot(x, y, 0, 1024);
            kernels.softmaxGradient(x, y, 0, 1024, 0f, 1f);
            kernels.siluForward(x, y, z, w, 0, 1024);
            kernels.siluBackward(w, x, y, z, w, 0, 1024);
            kernels.adamW(x, y, z, w, 0, 1024, step);
        }
        return kernels;
    }

    @Test
    void scaleMaxAndMaxAreExact() {
        for (int n : LENGTHS) {
            float[] x = values(n, 4);
            float[] y = x.clone();
            if (n > 0) {
                assertEquals(scalar.max(x, OFFSET, OFFSET + n), vector.max(y, OFFSET, OFFSET + n), 0f, "max " + n);
                assertEquals(scalar.scaleMax(x, OFFSET, OFFSET + n, 0.37f), vector.scaleMax(y, OFFSET, OFFSET + n,
                        0.37f), 0f, "scaleMax " + n);
            }
            assertArraysClose("scaleMax values " + n, x, y, 0);
        }
    }

    @Test
    void expSumAndScale() {
        for (int n : LENGTHS) {
            float[] x = values(n, 4);
            float[] y = x.clone();
            float expected = scalar.expSum(x, OFFSET, OFFSET + n, 1.5f);
            float actual = vector.expSum(y, OFFSET, OFFSET + n, 1.5f);
            assertArraysClose("exp " + n, x, y, ELEMENT_ULPS);
            assertSumClose("expSum " + n, expected, actual, sumOfMagnitudes(x, OFFSET, OFFSET + n), n);
            scalar.scale(x, OFFSET, OFFSET + n, 1f / expected);
            vector.scale(y, OFFSET, OFFSET + n, 1f / expected);
            assertArraysClose("scale " + n, x, y, ELEMENT_ULPS + 1);
        }
    }

    @Test
    void dotAndSoftmaxGradient() {
        for (int n : LENGTHS) {
            float[] p = values(n, 1);
            float[] d = values(n, 1);
            float[] d2 = d.clone();
            float expected = scalar.dot(p, d, OFFSET, OFFSET + n);
            float actual = vector.dot(p, d2, OFFSET, OFFSET + n);
            double magnitude = 0;
            for (int i = OFFSET; i < OFFSET + n; i++) {
                magnitude += Math.abs((double) p[i] * d[i]);
            }
            assertSumClose("dot " + n, expected, actual, magnitude, n);
            scalar.softmaxGradient(p, d, OFFSET, OFFSET + n, expected, 0.125f);
            vector.softmaxGradient(p, d2, OFFSET, OFFSET + n, expected, 0.125f);
            assertArraysClose("softmax gradient " + n, d, d2, 0);
        }
    }

    @Test
    void siluForwardAndBackward() {
        for (int n : LENGTHS) {
            float[] a = values(n, 6);
            float[] b = values(n, 1);
            float[][] s = {new float[a.length], new float[a.length]};
            float[][] g = {new float[a.length], new float[a.length]};
            scalar.siluForward(a, b, s[0], g[0], OFFSET, OFFSET + n);
            vector.siluForward(a, b, s[1], g[1], OFFSET, OFFSET + n);
            assertArraysClose("silu " + n, s[0], s[1], ELEMENT_ULPS);
            assertArraysClose("gated product " + n, g[0], g[1], ELEMENT_ULPS);
            float[] d = values(n, 1);
            float[][] dA = {d.clone(), d.clone()};
            float[][] dB = {new float[a.length], new float[a.length]};
            scalar.siluBackward(dA[0], a, b, s[0], dB[0], OFFSET, OFFSET + n);
            vector.siluBackward(dA[1], a, b, s[0], dB[1], OFFSET, OFFSET + n);
            assertArraysClose("silu dA " + n, dA[0], dA[1], ELEMENT_ULPS);
            assertArraysClose("silu dB " + n, dB[0], dB[1], 0);
        }
    }

    @Test
    void adamWIsTheSameUpdate() {
        AdamWStep step = new AdamWStep(0.99997f, 0.9f, 0.1f, 0.999f, 0.001f, 0.0447f, 1e-8f, 0.03f);
        for (int n : LENGTHS) {
            float[] p = values(n, 1);
            float[] g = values(n, 1);
            float[] m = values(n, 0.1);
            float[] v = values(n, 0.1);
            for (int i = 0; i < v.length; i++) {
                v[i] = Math.abs(v[i]);
            }
            float[][] state = {p.clone(), m.clone(), v.clone(), p.clone(), m.clone(), v.clone()};
            scalar.adamW(state[0], g, state[1], state[2], OFFSET, OFFSET + n, step);
            vector.adamW(state[3], g, state[4], state[5], OFFSET, OFFSET + n, step);
            assertArraysClose("adamw p " + n, state[0], state[3], 0);
            assertArraysClose("adamw m " + n, state[1], state[4], 0);
            assertArraysClose("adamw v " + n, state[2], state[5], 0);
            if (n > 0) {
                assertTrue(state[0][OFFSET] != p[OFFSET], "the update moved p");
            }
        }
    }

    /** n values of standard deviation {@code std} after OFFSET leading and trailing guard values. */
    private float[] values(int n, double std) {
        float[] x = new float[n + 2 * OFFSET];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * std);
        }
        return x;
    }

    private static double sumOfMagnitudes(float[] x, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += Math.abs(x[i]);
        }
        return sum;
    }

    /** Every element (guards included, which neither kernel may touch) within {@code ulps} of the reference. */
    private static void assertArraysClose(String what, float[] expected, float[] actual, int ulps) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            double bound = ulps * UNIT_ROUNDOFF * Math.abs(expected[i]);
            assertTrue(Math.abs(expected[i] - actual[i]) <= bound, what + "[" + i + "]: " + expected[i] + " vs "
                    + actual[i]);
        }
    }

    private static void assertSumClose(String what, float expected, float actual, double magnitude, int n) {
        double bound = (n + ELEMENT_ULPS) * UNIT_ROUNDOFF * magnitude;
        assertTrue(Math.abs(expected - actual) <= bound, what + ": " + expected + " vs " + actual + ", bound " + bound);
    }
}
