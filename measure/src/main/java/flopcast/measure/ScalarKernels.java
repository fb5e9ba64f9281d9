package flopcast.measure;

/** {@link ElementwiseKernels} as plain Java loops: the reference the vector ones are checked against. */
public final class ScalarKernels implements ElementwiseKernels {
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {
    }

    @Override
    public float scaleMax(float[] x, int from, int to, float factor) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            x[i] *= factor;
            max = Math.max(max, x[i]);
        }
        return max;
    }

    @Override
    public float max(float[] x, int from, int to) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            max = Math.max(max, x[i]);
        }
        return max;
    }

    @Override
    public float expSum(float[] x, int from, int to, float shift) {
        float sum = 0;
        for (int i = from; i < to; i++) {
            x[i] = (float) Math.exp(x[i] - shift);
            sum += x[i];
        }
        return sum;
    }

    @Override
    public void scale(float[] x, int from, int to, float factor) {
        for (int i = from; i < to; i++) {
            x[i] *= factor;
        }
    }

    @Override
    public float dot(float[] x, float[] y, int from, int to) {
        float sum = 0;
        for (int i = from; i < to; i++) {
            sum += x[i] * y[i];
        }
        return sum;
    }

    @Override
    public void softmaxGradient(float[] p, float[] d, int from, int to, float shift, float factor) {
        for (int i = from; i < to; i++) {
            d[i] = p[i] * (d[i] - shift) * factor;
        }
    }

    @Override
    public void siluForward(float[] a, float[] b, float[] s, float[] g, int from, int to) {
        for (int i = from; i < to; i++) {
            s[i] = a[i] / (1f + (float) Math.exp(-a[i]));
            g[i] = s[i] * b[i];
        }
    }

    @Override
    public void siluBackward(float[] d, float[] a, float[] b, float[] s, float[] db, int from, int to) {
        for (int i = from; i < to; i++) {
            float dg = d[i];
            db[i] = dg * s[i];
            float ds = dg * b[i];
            float sigmoid = 1f / (1f + (float) Math.exp(-a[i]));
            float derivative = sigmoid * (1f + a[i] * (1f - sigmoid));
            d[i] = ds * derivative;
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
            p[i] *= decay;
            m[i] = beta1 * m[i] + oneMinusBeta1 * g[i];
            v[i] = beta2 * v[i] + oneMinusBeta2 * g[i] * g[i];
            float denominator = (float) Math.sqrt(v[i]) / sqrtBiasCorrection2 + epsilon;
            p[i] -= stepSize * m[i] / denominator;
        }
    }
}
