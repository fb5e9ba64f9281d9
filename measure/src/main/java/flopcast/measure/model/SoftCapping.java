package flopcast.measure.model;

import flopcast.measure.kernels.Arithmetic;

/**
 * Soft-capping, x to c * tanh(x / c) ({@link flopcast.analytic.SoftCap}), over a run of values, every
 * step through the kernels' {@link Arithmetic}: {@link flopcast.analytic.ElementwiseFlops#SOFTCAP_FORWARD_PER_VALUE}
 * operations a value forward and {@link flopcast.analytic.ElementwiseFlops#SOFTCAP_BACKWARD_PER_VALUE} backward,
 * which the callers record.
 */
final class SoftCapping {
    private SoftCapping() {
    }

    /** c * tanh(x / c) of one value, tanh(x / c) written into {@code tanh[at]}. */
    static float cap(Arithmetic f, float x, float cap, float[] tanh, int at) {
        float u = f.div(x, cap);
        float t = f.sub(1f, f.div(2f, f.add(f.exp(f.mul(2f, u)), 1f)));
        tanh[at] = t;
        return f.mul(cap, t);
    }

    /** Caps {@code values[from, to)} in place, each tanh(x / c) written at the same offset of {@code tanh}. */
    static void forward(Arithmetic f, float[] values, float[] tanh, int from, int to, float cap) {
        for (int i = from; i < to; i++) {
            values[i] = cap(f, values[i], cap, tanh, i);
        }
    }

    /** The gradient through the cap, in place: {@code gradient[i]} times 1 - tanh^2 over [from, to). */
    static void backward(Arithmetic f, float[] gradient, float[] tanh, int from, int to) {
        for (int i = from; i < to; i++) {
            gradient[i] = through(f, gradient[i], tanh[i]);
        }
    }

    /** One value's gradient through the cap: g * (1 - t^2). */
    static float through(Arithmetic f, float gradient, float tanh) {
        return f.mul(gradient, f.sub(1f, f.mul(tanh, tanh)));
    }
}
