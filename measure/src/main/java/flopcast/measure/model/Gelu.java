package flopcast.measure.model;

import static flopcast.analytic.ElementwiseFlops.GEGLU_BACKWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.GEGLU_FORWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.GELU_BACKWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.GELU_FORWARD_PER_ELEMENT;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.kernels.Arithmetic;
import org.ejml.data.FMatrixRMaj;

/**
 * GELU in its tanh form, 0.5 a (1 + tanh(c (a + 0.044715 a^3))), c = sqrt(2/pi), tanh(u) as
 * 1 - 2 / (exp(2u) + 1): a two-matrix MLP's activation (two-argument {@code forward}), or GeGLU's
 * gate GELU(a) * b (the {@link Gate} overloads). Each loop records its element count times its cost
 * declared in {@link flopcast.analytic.ElementwiseFlops}; the loops are the same on both backends, and counted as
 * the MLP activation's component.
 */
public final class Gelu implements Gate {
    /** sqrt(2 / pi). */
    private static final float C = (float) Math.sqrt(2 / Math.PI);
    private static final float CUBIC = 0.044715f;
    /** 3 * 0.044715: the cubic term's derivative. */
    private static final float CUBIC_SLOPE = 3 * CUBIC;
    /** Elements below which a part is not worth a thread. */
    private static final int GRAIN = 1024;
    private final CountingOps ops;

    public Gelu(CountingOps ops) {
        this.ops = ops;
    }

    /** out = GELU(a), elements split across threads. */
    public void forward(FMatrixRMaj a, FMatrixRMaj out) {
        Arithmetic f = ops.kernels().arithmetic();
        float[] x = a.data;
        float[] y = out.data;
        ops.split(Component.FFN_SILU, a.getNumElements(), GRAIN, (part, from, to) -> {
            for (int i = from; i < to; i++) {
                float t = tanhOfScaledCubic(f, x[i]);
                y[i] = f.mul(f.mul(0.5f, x[i]), f.add(1f, t));
            }
            return GELU_FORWARD_PER_ELEMENT * (to - from);
        });
    }

    /**
     * Differentiates {@link #forward}: dOutThenDA holds dG on entry and dA on return,
     * dA = dG * (0.5 (1 + t) + 0.5 a c (1 + 3 * 0.044715 a^2) (1 - t^2)).
     */
    public void backward(FMatrixRMaj dOutThenDA, FMatrixRMaj a) {
        Arithmetic f = ops.kernels().arithmetic();
        float[] d = dOutThenDA.data;
        float[] x = a.data;
        ops.split(Component.FFN_SILU, a.getNumElements(), GRAIN, (part, from, to) -> {
            for (int i = from; i < to; i++) {
                d[i] = f.mul(d[i], derivative(f, x[i]));
            }
            return GELU_BACKWARD_PER_ELEMENT * (to - from);
        });
    }

    /** GeGLU's gate: s = GELU(a), g = s * b, with a = W1 x and b = W3 x; elements split across threads. */
    @Override
    public void forward(FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj gelu, FMatrixRMaj product) {
        Arithmetic f = ops.kernels().arithmetic();
        float[] x = a.data;
        float[] w3x = b.data;
        float[] s = gelu.data;
        float[] g = product.data;
        ops.split(Component.FFN_SILU, a.getNumElements(), GRAIN, (part, from, to) -> {
            for (int i = from; i < to; i++) {
                float t = tanhOfScaledCubic(f, x[i]);
                s[i] = f.mul(f.mul(0.5f, x[i]), f.add(1f, t));
                g[i] = f.mul(s[i], w3x[i]);
            }
            return GEGLU_FORWARD_PER_ELEMENT * (to - from);
        });
    }

    /**
     * Differentiates the gate's forward: dB = dG * s; dA = dG * b * GELU'(a), GELU' as in
     * the two-argument backward. dA is written over dG.
     */
    @Override
    public void backward(FMatrixRMaj dProductThenDA, FMatrixRMaj a, FMatrixRMaj b, FMatrixRMaj gelu,
            FMatrixRMaj dB) {
        Arithmetic f = ops.kernels().arithmetic();
        float[] d = dProductThenDA.data;
        float[] x = a.data;
        float[] w3x = b.data;
        float[] s = gelu.data;
        float[] db = dB.data;
        ops.split(Component.FFN_SILU, a.getNumElements(), GRAIN, (part, from, to) -> {
            for (int i = from; i < to; i++) {
                db[i] = f.mul(d[i], s[i]);
                d[i] = f.mul(f.mul(d[i], w3x[i]), derivative(f, x[i]));
            }
            return GEGLU_BACKWARD_PER_ELEMENT * (to - from);
        });
    }

    /** GELU'(a) = 0.5 (1 + t) + 0.5 a c (1 + 3 * 0.044715 a^2) (1 - t^2): 22 operations. */
    private static float derivative(Arithmetic f, float a) {
        float t = tanhOfScaledCubic(f, a);
        float slope = f.add(1f, f.mul(CUBIC_SLOPE, f.mul(a, a)));
        float dt = f.mul(f.mul(C, slope), f.sub(1f, f.mul(t, t)));
        return f.add(f.mul(0.5f, f.add(1f, t)), f.mul(f.mul(0.5f, a), dt));
    }

    /** tanh(c (a + 0.044715 a^3)) as 1 - 2 / (exp(2u) + 1): 10 operations. */
    private static float tanhOfScaledCubic(Arithmetic f, float a) {
        float cube = f.mul(f.mul(a, a), a);
        float u = f.mul(C, f.add(a, f.mul(CUBIC, cube)));
        return f.sub(1f, f.div(2f, f.add(f.exp(f.mul(2f, u)), 1f)));
    }
}
