package flopcast.measure.kernels;

/**
 * {@link ElementwiseKernels} as plain Java loops: the reference the vector ones are checked against.
 * Every operation goes through an {@link Arithmetic}, so the loops a test runs on counting arithmetic
 * are these very loops.
 */
public final class ScalarKernels implements ElementwiseKernels {
    public static final ScalarKernels INSTANCE = new ScalarKernels(Arithmetic.FLOAT);
    private final Arithmetic f;

    /** The loops on {@code arithmetic}; the model runs {@link #INSTANCE}, on {@link Arithmetic#FLOAT}. */
    public ScalarKernels(Arithmetic arithmetic) {
        this.f = arithmetic;
    }

    @Override
    public Arithmetic arithmetic() {
        return f;
    }

    @Override
    public float scaleMax(float[] x, int from, int to, float factor) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            x[i] = f.mul(x[i], factor);
            max = f.max(max, x[i]);
        }
        return max;
    }

    @Override
    public float max(float[] x, int from, int to) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            max = f.max(max, x[i]);
        }
        return max;
    }

    @Override
    public float expSum(float[] x, int from, int to, float shift) {
        float sum = 0;
        for (int i = from; i < to; i++) {
            x[i] = f.exp(f.sub(x[i], shift));
            sum = f.add(sum, x[i]);
        }
        return sum;
    }

    @Override
    public void scale(float[] x, int from, int to, float factor) {
        for (int i = from; i < to; i++) {
            x[i] = f.mul(x[i], factor);
        }
    }

    @Override
    public float dot(float[] x, float[] y, int from, int to) {
        float sum = 0;
        for (int i = from; i < to; i++) {
            sum = f.add(sum, f.mul(x[i], y[i]));
        }
        return sum;
    }

    @Override
    public void softmaxGradient(float[] p, float[] d, int from, int to, float shift, float factor) {
        for (int i = from; i < to; i++) {
            d[i] = f.mul(f.mul(p[i], f.sub(d[i], shift)), factor);
        }
    }

    @Override
    public void siluForward(float[] a, float[] b, float[] s, float[] g, int from, int to) {
        for (int i = from; i < to; i++) {
            s[i] = f.div(a[i], f.add(1f, f.exp(f.neg(a[i]))));
            g[i] = f.mul(s[i], b[i]);
        }
    }

    @Override
    public void siluBackward(float[] d, float[] a, float[] b, float[] s, float[] db, int from, int to) {
        for (int i = from; i < to; i++) {
            float dg = d[i];
            db[i] = f.mul(dg, s[i]);
            float ds = f.mul(dg, b[i]);
            float sigmoid = f.div(1f, f.add(1f, f.exp(f.neg(a[i]))));
            float derivative = f.mul(sigmoid, f.add(1f, f.mul(a[i], f.sub(1f, sigmoid))));
            d[i] = f.mul(ds, derivative);
        }
    }

    @Override
    public void adamW(float[] p, float[] g, float[] m, float[] v, int from, int to, AdamWStep step) {
        float decay = step.decay();
        float beta1 = step.beta1();
        float oneMinusBeta1 = step.oneMinusBeta1();
        float beta2 = step.beta2();
        float oneMinusBeta2 = step.oneMinusBeta2();
        float sqrtBiasCorrection2 = step.sqrtBiasCorrection2();
        float epsilon = step.epsilon();
        float stepSize = step.stepSize();
        for (int i = from; i < to; i++) {
            p[i] = f.mul(p[i], decay);
            m[i] = f.add(f.mul(beta1, m[i]), f.mul(oneMinusBeta1, g[i]));
            v[i] = f.add(f.mul(beta2, v[i]), f.mul(f.mul(oneMinusBeta2, g[i]), g[i]));
            float denominator = f.add(f.div(f.sqrt(v[i]), sqrtBiasCorrection2), epsilon);
            p[i] = f.sub(p[i], f.div(f.mul(stepSize, m[i]), denominator));
        }
    }

    @Override
    public void accumulate(float[] into, int intoFrom, float[] from, int fromFrom, int length) {
        for (int i = 0; i < length; i++) {
            into[intoFrom + i] = f.add(into[intoFrom + i], from[fromFrom + i]);
        }
    }
}
