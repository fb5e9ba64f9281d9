package flopcast.analytic;

import java.math.BigInteger;

/**
 * Forward matmul FLOPs of one instance of each component.
 * <pre>
 *   QKV projections        2*B*T*d*3d        three d x d projections; under grouped-query
 *                          2*B*T*d*(d + 2*h_kv*d_k)   attention K and V are d x (h_kv*d_k)
 *   Q K^T                  2*B*T*d*T         h heads of (T x d_k)(d_k x T)
 *   weighted sum of V      2*B*T*d*T         h heads of (T x T)(T x d_k)
 *   output projection      2*B*T*d*d
 *   (where d_k is not d / h, h*d_k takes d's place as Q's width, the heads' and the output
 *   projection's input: 2*B*T*d*(h*d_k + 2*h_kv*d_k), 2*B*T*h*d_k*T, 2*B*T*h*d_k*d)
 *   W1, W3 (each)          2*B*T*d*d_ff
 *   W2                     2*B*T*d_ff*d
 *   (under experts, {@link Experts}: each of W1, W3, W2 k times, 2*B*T*k*d*d_ff: every token runs k experts)
 *   MoE router             2*B*T*d*E
 *   LM head                2*B*T*d*V
 *   LoRA adapters          2*B*T*r*(in + out) per adapted projection (x A, then (.) B^T)
 * </pre>
 * Convention: a multiply-add is 2 FLOPs; attention is the full T x T square, masked afterwards,
 * as {@code measure} executes it. The backward pass of each is exactly twice (dX = dY W^T and
 * dW = X^T dY each cost what Y = X W cost), but once for a weight LoRA freezes ({@link #backward}). Norms, softmax, SiLU and the loss have no matmul.
 * <p>Source: the seed, "Computing FLOPs of one step of AdamW" (its formula
 * 2*B*T*d*(4d + 2T + 3*d_ff) is the sum of the block rows, taken once); Kaplan et al. 2020,
 * Table 1; PaLM Appendix B. Pinned by {@code MatmulFlopsTest}.
 */
public final class MatmulFlops {
    private static final BigInteger TWO = BigInteger.TWO;

    private MatmulFlops() {
    }

    /** Forward matmul FLOPs of one instance of {@code component}. */
    public static BigInteger forward(Component component, Shape shape) {
        long d = shape.dModel();
        return switch (component) {
            case QKV_PROJECTION -> product(shape, d,
                    Math.addExact(shape.queryWidth(), Math.multiplyExact(2, shape.kvWidth())));
            case ATTENTION_SCORES, ATTENTION_WEIGHTED_SUM -> product(shape, shape.queryWidth(), shape.contextLength());
            case OUTPUT_PROJECTION -> product(shape, shape.queryWidth(), d);
            // a shared expert's matrix runs over every token beside the routed experts'
            case FFN_W1, FFN_W3, FFN_W2 -> routed(shape, d, shape.dFf())
                    .add(product(shape, d, shape.architecture().experts().sharedFfn()));
            // the shared expert's gate: one more logit a token
            case ROUTER -> product(shape, d, Math.addExact(shape.architecture().experts().count(),
                    shape.architecture().experts().shared() ? 1 : 0));
            case OUTPUT_EMBEDDING -> product(shape, d, shape.vocabSize());
            case LORA -> {
                BigInteger sum = BigInteger.ZERO;
                for (LoraTarget target : shape.settings().lora().targets()) {
                    // an expert's matrix's adapter runs over its routed rows: N*k a block in all
                    sum = sum.add(product(shape, shape.settings().lora().rank(),
                            Math.addExact(target.in().size(shape), target.out().size(shape)))
                            .multiply(BigInteger.valueOf(target.rows(shape) / shape.tokens())));
                }
                yield sum;
            }
            case TOKEN_EMBEDDING, RMSNORM, ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GLOBAL, FFN_SILU, FINAL_RMSNORM,
                    CROSS_ENTROPY ->
                    BigInteger.ZERO;
        };
    }

    /**
     * Backward matmul FLOPs of one instance of {@code component}: twice its forward (dX = dY W^T and
     * dW = X^T dY), once where its weight is frozen ({@link Component#frozenWeights}: dX only).
     */
    public static BigInteger backward(Component component, Shape shape) {
        BigInteger forward = forward(component, shape);
        return component.frozenWeights(shape) ? forward : forward.multiply(TWO);
    }

    /** The formula of {@link #forward} at {@code shape}'s attention as text, for tables. */
    public static String formula(Component component, Shape shape) {
        return switch (component) {
            case QKV_PROJECTION -> !ownHeadDim(shape) && shape.architecture().kvHeads() == shape.heads()
                    ? "2*B*T*d*3d" : "2*B*T*d*(" + Dim.D_Q.symbol(shape) + " + 2*h_kv*d_k)";
            case ATTENTION_SCORES, ATTENTION_WEIGHTED_SUM -> "2*B*T*" + Dim.D_Q.symbol(shape) + "*T";
            case OUTPUT_PROJECTION -> "2*B*T*" + Dim.D_Q.symbol(shape) + "*d";
            case FFN_W1, FFN_W3, FFN_W2 -> !shape.architecture().experts().active() ? "2*B*T*d*d_ff"
                    : shape.architecture().experts().shared() ? "2*B*T*k*d*d_ff + 2*B*T*d*d_sh" : "2*B*T*k*d*d_ff";
            case ROUTER -> shape.architecture().experts().shared() ? "2*B*T*d*(E + 1)" : "2*B*T*d*E";
            case OUTPUT_EMBEDDING -> "2*B*T*d*V";
            case LORA -> loraFormula(shape);
            case TOKEN_EMBEDDING, RMSNORM, ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GLOBAL, FFN_SILU, FINAL_RMSNORM,
                    CROSS_ENTROPY -> "0";
        };
    }

    /**
     * 2*B*T*r*(in + out + ...) over the adapters; under experts the MLP's adapters' term apart, over
     * N*k rows: 2*B*T*r*(...) + 2*B*T*k*r*(...).
     */
    private static String loraFormula(Shape shape) {
        java.util.Map<Boolean, java.util.List<LoraTarget>> byRows = shape.settings().lora().targets().stream()
                .collect(java.util.stream.Collectors.partitioningBy(
                        t -> shape.architecture().experts().active() && t.mlp()));
        StringBuilder text = new StringBuilder();
        for (boolean routed : new boolean[] {false, true}) {
            java.util.List<LoraTarget> targets = byRows.get(routed);
            if (!targets.isEmpty()) {
                text.append(text.length() == 0 ? "" : " + ").append(routed ? "2*B*T*k*r*(" : "2*B*T*r*(")
                        .append(targets.stream().map(t -> t.in().symbol(shape) + " + " + t.out().symbol(shape))
                                .collect(java.util.stream.Collectors.joining(" + "))).append(')');
            }
        }
        return text.toString();
    }

    /** Whether h*d_k is not d: the architecture gives a d_k other than d / h. */
    private static boolean ownHeadDim(Shape shape) {
        return shape.queryWidth() != shape.dModel();
    }

    /** 2 * B * T * k * a * b: a product each token runs in each of the k experts it is routed to (k = 1: dense). */
    private static BigInteger routed(Shape shape, long a, long b) {
        return product(shape, a, b).multiply(BigInteger.valueOf(shape.architecture().experts().perToken()));
    }

    /** 2 * B * T * a * b. */
    private static BigInteger product(Shape shape, long a, long b) {
        return TWO.multiply(BigInteger.valueOf(shape.batchSize()))
                .multiply(BigInteger.valueOf(shape.contextLength()))
                .multiply(BigInteger.valueOf(a))
                .multiply(BigInteger.valueOf(b));
    }
}
