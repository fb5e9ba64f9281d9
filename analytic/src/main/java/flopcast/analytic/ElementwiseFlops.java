package flopcast.analytic;

import java.math.BigInteger;

/**
 * Elementwise FLOPs of the complete model's kernels, forward and backward, as {@code measure}
 * executes them: each +, -, *, /, max, exp, log, sqrt is 1 FLOP, a fused multiply-add 2, a copy or
 * an assignment 0. Counts follow the kernels' loop bounds; N = B*T rows.
 * <pre>
 *   RMSNorm forward          N*(4d + 4)       sum of squares 2d; /d, +eps, sqrt, 1/x; y = x*r*g 2d
 *   RMSNorm backward         N*(11d + 4)      x*r, dgain += dy*xhat, dy*g, dot += dyg*x: 6d;
 *                                             c = dot*r*r*r/d: 4; dx += r*(dy*g) - c*x: 5d
 *   causal softmax forward   per head 3*T*(T+1) + T   row i over its i+1 unmasked entries:
 *                                             scale, max, subtract, exp, sum, normalize: 6(i+1); 1/sum
 *   causal softmax backward  per head 5*T*(T+1)/2     dot 2(i+1); (dP - dot)*P*scale 3(i+1)
 *   SiLU and product fwd     5 per element of N*d_ff  -a, exp, 1+, a/(.): 4; SiLU*W3x: 1
 *   SiLU and product bwd     11 per element           dG*SiLU, dG*W3x: 2; sigmoid 4;
 *                                             sigmoid*(1 + a*(1 - sigmoid)): 4; times dSiLU: 1
 *   residual add             N*d each, two per block in the forward pass
 *   cross-entropy forward    N*(5V + 5) + 1   max, subtract, exp, sum, normalize: 5V; 1/sum, log,
 *                                             loss = log(sum) + max - z_t: 2, accumulate 1; mean 1
 *   cross-entropy backward   N*(V + 1) + 1    1/N once; p_t - 1; times 1/N over V
 *   embedding backward       N*d              scatter-add of the residual gradient
 * </pre>
 * Masked attention entries are set, not computed (0 FLOPs). Matmul FLOPs are apart
 * ({@link MatmulFlops}); AdamW's are in {@link AdamWFlops}.
 * <p>Source: DESIGN.md unit costs; the kernels in {@code measure}. Pinned by
 * {@code ElementwiseFlopsTest} and, once counted, by {@code measure}'s counting tests.
 */
public final class ElementwiseFlops {

    private ElementwiseFlops() {
    }

    public static BigInteger rmsnormForward(long rows, long width) {
        return big(rows).multiply(big(width).multiply(big(4)).add(big(4)));
    }

    public static BigInteger rmsnormBackward(long rows, long width) {
        return big(rows).multiply(big(width).multiply(big(11)).add(big(4)));
    }

    /** One head's T x T causal softmax, forward. */
    public static BigInteger causalSoftmaxForward(long context) {
        BigInteger t = big(context);
        return big(3).multiply(t).multiply(t.add(BigInteger.ONE)).add(t);
    }

    /** One head's T x T causal softmax, backward. */
    public static BigInteger causalSoftmaxBackward(long context) {
        BigInteger t = big(context);
        return big(5).multiply(t).multiply(t.add(BigInteger.ONE)).divide(BigInteger.TWO);
    }

    public static BigInteger swigluForward(long elements) {
        return big(5).multiply(big(elements));
    }

    public static BigInteger swigluBackward(long elements) {
        return big(11).multiply(big(elements));
    }

    public static BigInteger residualAdd(long elements) {
        return big(elements);
    }

    public static BigInteger crossEntropyForward(long rows, long vocab) {
        return big(rows).multiply(big(vocab).multiply(big(5)).add(big(5))).add(BigInteger.ONE);
    }

    public static BigInteger crossEntropyBackward(long rows, long vocab) {
        return big(rows).multiply(big(vocab).add(BigInteger.ONE)).add(BigInteger.ONE);
    }

    public static BigInteger embeddingBackward(long elements) {
        return big(elements);
    }

    /** Forward plus backward elementwise FLOPs of one instance of {@code component}. */
    public static BigInteger perInstance(Component component, Shape shape) {
        return forward(component, shape).add(backward(component, shape));
    }

    /** Forward elementwise FLOPs of one instance of {@code component}. */
    public static BigInteger forward(Component component, Shape shape) {
        long rows = shape.tokens();
        long d = shape.dModel();
        return switch (component) {
            case RMSNORM, FINAL_RMSNORM -> rmsnormForward(rows, d);
            case ATTENTION_SOFTMAX -> heads(shape).multiply(causalSoftmaxForward(shape.contextLength()));
            case OUTPUT_PROJECTION, FFN_W2 -> residualAdd(Math.multiplyExact(rows, d));
            case FFN_SILU -> swigluForward(Math.multiplyExact(rows, shape.dFf()));
            case CROSS_ENTROPY -> crossEntropyForward(rows, shape.vocabSize());
            case TOKEN_EMBEDDING, QKV_PROJECTION, ATTENTION_SCORES, ATTENTION_WEIGHTED_SUM, FFN_W1, FFN_W3,
                    OUTPUT_EMBEDDING -> BigInteger.ZERO;
        };
    }

    /** Backward elementwise FLOPs of one instance of {@code component}. */
    public static BigInteger backward(Component component, Shape shape) {
        long rows = shape.tokens();
        long d = shape.dModel();
        return switch (component) {
            case TOKEN_EMBEDDING -> embeddingBackward(Math.multiplyExact(rows, d));
            case RMSNORM, FINAL_RMSNORM -> rmsnormBackward(rows, d);
            case ATTENTION_SOFTMAX -> heads(shape).multiply(causalSoftmaxBackward(shape.contextLength()));
            case FFN_SILU -> swigluBackward(Math.multiplyExact(rows, shape.dFf()));
            case CROSS_ENTROPY -> crossEntropyBackward(rows, shape.vocabSize());
            case OUTPUT_PROJECTION, FFN_W2, QKV_PROJECTION, ATTENTION_SCORES, ATTENTION_WEIGHTED_SUM, FFN_W1, FFN_W3,
                    OUTPUT_EMBEDDING -> BigInteger.ZERO;
        };
    }

    /** B*h: one softmax per sequence and head. */
    private static BigInteger heads(Shape shape) {
        return big(shape.batchSize()).multiply(big(shape.heads()));
    }

    /** The formula of {@link #perInstance} as text, for tables. */
    public static String formula(Component component) {
        return switch (component) {
            case TOKEN_EMBEDDING -> "B*T*d";
            case RMSNORM, FINAL_RMSNORM -> "B*T*(15d + 8)";
            case ATTENTION_SOFTMAX -> "B*h*(11*T*(T+1)/2 + T)";
            case OUTPUT_PROJECTION, FFN_W2 -> "B*T*d";
            case FFN_SILU -> "16*B*T*d_ff";
            case CROSS_ENTROPY -> "B*T*(6V + 6) + 2";
            case QKV_PROJECTION, ATTENTION_SCORES, ATTENTION_WEIGHTED_SUM, FFN_W1, FFN_W3, OUTPUT_EMBEDDING -> "0";
        };
    }

    private static BigInteger big(long value) {
        return BigInteger.valueOf(value);
    }
}
