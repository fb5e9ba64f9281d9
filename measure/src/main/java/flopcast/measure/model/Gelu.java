package flopcast.measure.model;

import static flopcast.analytic.ElementwiseFlops.GELU_BACKWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.GELU_FORWARD_PER_ELEMENT;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.kernels.Arithmetic;
import org.ejml.data.FMatrixRMaj;

/**
 * A two-matrix MLP's activation, GELU in its tanh form: 0.5 a (1 + tanh(c (a + 0.044715 a^3))),
 * c = sqrt(2/pi), tanh(u) as 1 - 2 / (exp(2u) + 1). Each loop records its element count times its
 * cost declared in {@link flopcast.analytic.ElementwiseFlops}; the loops are the same on both
 * backends, and counted as the MLP activation's component.
 */
public final class Gelu {
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
                float t = tanhOfScaledCubic(f, x[i]);
                float slope = f.add(1f, f.mul(CUBIC_SLOPE, f.mul(x[i], x[i])));
                float dt = f.mul(f.mul(C, slope), f.sub(1f, f.mul(t, t)));
                float derivative = f.add(f.mul(0.5f, f.add(1f, t)), f.mul(f.mul(0.5f, x[i]), dt));
                d[i] = f.mul(d[i], derivative);
            }
            return GELU_BACKWARD_PER_ELEMENT * (to - from);
        });
    }

    /** tanh(c (a + 0.044715 a^3)) as 1 - 2 / (exp(2u) + 1): 10 operations. */
    private static float tanhOfScaledCubic(Arithmetic f, float a) {
        float cube = f.mul(f.mul(a, a), a);
        float u = f.mul(C, f.add(a, f.mul(CUBIC, cube)));
        return f.sub(1f, f.div(2f, f.add(f.exp(f.mul(2f, u)), 1f)));
    }
}
