package flopcast.measure.kernels;

/**
 * The inner loops of the model's own (non-matmul) kernels, over index ranges of float arrays,
 * chosen by the backend: {@link ScalarKernels} (plain Java, the reference; EJML's backend) or the
 * Vector API ones of the vector backend. Every implementation executes the same operations per
 * element, so the callers record FLOPs as their element counts times the costs declared in
 * {@link flopcast.analytic.ElementwiseFlops} whichever runs; the comment on each method gives its
 * count per element (exp, sqrt and a division count one each), which {@code ArithmeticCountTest}
 * proves by running {@link ScalarKernels} on counting arithmetic.
 */
public interface ElementwiseKernels {

    /** The arithmetic the callers' own scalar steps (a row's 1/sum, say) run on with these kernels. */
    Arithmetic arithmetic();

    /** into[intoFrom + i] += from[fromFrom + i] for i below length. 1 per element. */
    void accumulate(float[] into, int intoFrom, float[] from, int fromFrom, int length);

    /** x[i] *= factor; returns the largest result. 2 per element. */
    float scaleMax(float[] x, int from, int to, float factor);

    /** The largest x[i]. 1 per element. */
    float max(float[] x, int from, int to);

    /** x[i] = exp(x[i] - shift); returns their sum. 3 per element. */
    float expSum(float[] x, int from, int to, float shift);

    /** x[i] *= factor. 1 per element. */
    void scale(float[] x, int from, int to, float factor);

    /** The sum of x[i] * y[i]. 2 per element. */
    float dot(float[] x, float[] y, int from, int to);

    /** d[i] = p[i] * (d[i] - shift) * factor: the softmax's backward step. 3 per element. */
    void softmaxGradient(float[] p, float[] d, int from, int to, float shift, float factor);

    /** s[i] = a[i] / (1 + exp(-a[i])), g[i] = s[i] * b[i]. 5 per element. */
    void siluForward(float[] a, float[] b, float[] s, float[] g, int from, int to);

    /**
     * With dg = d[i]: db[i] = dg * s[i]; d[i] = dg * b[i] * sigmoid(a[i]) * (1 + a[i] * (1 -
     * sigmoid(a[i]))), sigmoid(a) = 1 / (1 + exp(-a)). 11 per element.
     */
    void siluBackward(float[] d, float[] a, float[] b, float[] s, float[] db, int from, int to);

    /**
     * One AdamW update of p from gradient g and moments m, v: p *= decay; m = beta1 m + (1 - beta1) g;
     * v = beta2 v + (1 - beta2) g^2; p -= stepSize m / (sqrt(v) / sqrtBiasCorrection2 + epsilon).
     * 14 per element.
     */
    void adamW(float[] p, float[] g, float[] m, float[] v, int from, int to, AdamWStep step);

    /** The constants of one AdamW step, bias corrections included. */
    public record AdamWStep(float decay, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
            float sqrtBiasCorrection2, float epsilon, float stepSize) {
    }
}
