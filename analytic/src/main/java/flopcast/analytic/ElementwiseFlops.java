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
 *   LayerNorm forward        N*(8d + 5)       sum d; (x - m)^2 summed 3d; m = sum/d, r = 1/sqrt(var + eps): 5;
 *                                             y = (x - m)*r*g + b 4d
 *   LayerNorm backward       N*(19d + 2)      xhat, dy*g, two sums: 6d; their means 2; dx += r*(dy*g - m1
 *                                             - xhat*m2): 8d; dgain += dy*xhat, dbias += dy: 5d
 *   causal softmax forward   per head 3*T*(T+1) + T   row i over its i+1 unmasked entries (min(i+1, w) under a
 *                                             sliding window w &lt; T: 6*(w*(w+1)/2 + (T-w)*w) + T):
 *                                             scale, max, subtract, exp, sum, normalize: 6(i+1); 1/sum
 *   causal softmax backward  per head 5*T*(T+1)/2     dot 2(i+1); (dP - dot)*P*scale 3(i+1), over the same
 *                                             entries
 *   SiLU and product fwd     5 per element of N*d_ff  -a, exp, 1+, a/(.): 4; SiLU*W3x: 1
 *   SiLU and product bwd     11 per element           dG*SiLU, dG*W3x: 2; sigmoid 4;
 *                                             sigmoid*(1 + a*(1 - sigmoid)): 4; times dSiLU: 1
 *   GELU forward             13 per element           a^3: 2; a + 0.044715 a^3: 2; u = c*(.): 1;
 *                                             tanh(u) = 1 - 2/(exp(2u) + 1): 5; 0.5*a*(1 + t): 3 (c = sqrt(2/pi))
 *   GELU backward            23 per element           t again: 10; 1 + 0.134145 a^2: 3; c*(.)*(1 - t^2): 4;
 *                                             0.5*(1 + t) + 0.5*a*dt: 5; times dG: 1
 *   GeGLU forward            14 per element           GELU of W1x: 13; times W3x: 1
 *   GeGLU backward           25 per element           dG*GELU: 1; GELU'(W1x) as above: 22; dG*W3x*GELU': 2
 *   residual add             N*d each, two per block in the forward pass
 *   cross-entropy forward    N*(5V + 5) + 1   max, subtract, exp, sum, normalize: 5V; 1/sum 1;
 *                                             loss = log(sum) + max - z_t: 3; summed 1; mean 1
 *   cross-entropy backward   N*(V + 1) + 1    1/N once; p_t - 1; times 1/N over V
 *   soft-cap forward         7 per capped value   x / c; tanh(u) = 1 - 2/(exp(2u) + 1): 5; times c (attention's
 *                                             scores before the softmax, each attended entry; the logits)
 *   soft-cap backward        3 per capped value   the gradient times 1 - t^2 (flash recomputes the cap
 *                                             forward in its backward too)
 *   embedding backward       N*d              scatter-add of the residual gradient
 *   positions fwd, bwd       N*d each         a learned position row added to each token; its gradient
 *                                             summed into the table's row
 *   bias forward, backward   N*out each       b added to every row of a biased projection's
 *                                             output; its gradient summed over the rows
 *   MoE router forward       N*(k*E + 5k + 1 + 2*k*d)   top-k: k passes of max over E logits; softmax over
 *                                             the k chosen: 5k + 1; combine out += g*y over k*d
 *   MoE router backward      N*(4k + 4*k*d)   combine: dg += dOut*y, dy = g*dOut: 3*k*d; gate softmax
 *                                             4k; the experts' input gradients scatter-added k*d
 * </pre>
 * Under experts ({@link Experts}) the MLP's activation runs over N*k rows, one per token and chosen
 * expert (SwiGLU 5*N*k*d_ff forward, 11*N*k*d_ff backward); the dispatch's gathers are copies (0).
 * Where a parameter is frozen (LoRA's frozen model, {@link Lora}, or a kind {@code --freeze} names,
 * {@link FrozenKind}) its gradient is not computed: a frozen norm's backward has no gain or bias
 * columns (RMSNorm N*(8d + 4), LayerNorm N*(14d + 2), QK-norm's likewise), a frozen bias no row sums,
 * a frozen embedding no scatter-add or position gradient. LoRA's adapters add N*r each way per
 * adapted projection (their scale).
 * QK-norm's RMSNorms over each head's d_k values (N*h query rows, N*h_kv key rows) belong to the QKV
 * projections' component too, at the RMSNorm rows above.
 * A bias's FLOPs belong to its projection's component (Q, K and V's to the QKV projections), beside
 * the residual adds the output projection and W2 already carry; out is the bias's width, summed
 * over the component's biased projections ({@link LinearBias}: none, Q K V, or every block
 * projection).
 * Masked attention entries are set, not computed (0 FLOPs). Matmul FLOPs are apart
 * ({@link MatmulFlops}); AdamW's are in {@link AdamWFlops}.
 * The per-element and per-row costs are the constants below, declared once: {@code measure}'s
 * loops record their element counts times them, and {@code measure}'s {@code ArithmeticCountTest}
 * runs those loops on arithmetic that tallies every operation as it executes, so a changed loop
 * body fails a test.
 * <p>Source: DESIGN.md unit costs; the kernels in {@code measure}. Pinned by
 * {@code ElementwiseFlopsTest}, {@code CountingTest} (counted = predicted) and
 * {@code ArithmeticCountTest} (executed = declared).
 */
public final class ElementwiseFlops {

    // The cost of one pass of each loop body, or of each scalar step, the kernels in measure run:
    // declared once, here. The formulas below are built from them; measure's loops record their
    // element counts times them; measure's ArithmeticCountTest runs the loops on arithmetic that
    // tallies every operation and holds the tally to these.

    /** An add into an accumulator: the residual add, the embedding's scatter-add, a loss summed. */
    public static final long ADD = 1;
    /** RMSNorm forward, per element: x*x summed 2; y = x*r*g 2. */
    public static final long RMSNORM_FORWARD_PER_ELEMENT = 4;
    /** RMSNorm forward, per row: r = 1/sqrt(sum/d + eps): /, +, sqrt, 1/x. */
    public static final long RMSNORM_FORWARD_PER_ROW = 4;
    /** RMSNorm backward over a row, per element: dot += dy*g*x 3; dx += r*(dy*g) - c*x 5. */
    public static final long RMSNORM_BACKWARD_ROW_PER_ELEMENT = 8;
    /** RMSNorm backward, per row: c = dot*r*r*r/d. */
    public static final long RMSNORM_BACKWARD_PER_ROW = 4;
    /** RMSNorm backward over the gain's columns, per element: dgain += dy*(x*r). */
    public static final long RMSNORM_GAIN_GRADIENT_PER_ELEMENT = 3;
    /** LayerNorm forward, per element: summed 1; (x - m) squared and summed 3; y = (x - m)*r*g + b 4. */
    public static final long LAYERNORM_FORWARD_PER_ELEMENT = 8;
    /** LayerNorm forward, per row: m = sum/d; r = 1/sqrt(sumsq/d + eps): /, +, sqrt, 1/x. */
    public static final long LAYERNORM_FORWARD_PER_ROW = 5;
    /** LayerNorm backward over a row, per element: xhat 2, dy*g 1, both sums 3; dx += r*(dy*g - m1 - xhat*m2) 8. */
    public static final long LAYERNORM_BACKWARD_ROW_PER_ELEMENT = 14;
    /** LayerNorm backward, per row: the two sums' means. */
    public static final long LAYERNORM_BACKWARD_PER_ROW = 2;
    /** LayerNorm backward over the gain's and bias's columns, per element: xhat 2; dgain += dy*xhat 2; dbias += dy 1. */
    public static final long LAYERNORM_PARAMETER_GRADIENT_PER_ELEMENT = 5;
    /** Causal softmax forward, per unmasked entry: scale and max 2; subtract, exp, sum 3; normalize 1. */
    public static final long SOFTMAX_FORWARD_PER_ENTRY = 6;
    /** A softmax row's 1/sum, attention's and cross-entropy's. */
    public static final long SOFTMAX_PER_ROW = 1;
    /** Causal softmax backward, per unmasked entry: dot(P, dP) 2; (dP - dot)*P*scale 3. */
    public static final long SOFTMAX_BACKWARD_PER_ENTRY = 5;
    /** SiLU and product forward, per element: -a, exp, 1+, a/(.) 4; times W3x 1. */
    public static final long SWIGLU_FORWARD_PER_ELEMENT = 5;
    /** SiLU and product backward, per element: dG*SiLU, dG*W3x 2; sigmoid 4; its derivative 4; times 1. */
    public static final long SWIGLU_BACKWARD_PER_ELEMENT = 11;
    /** GELU (tanh form) forward, per element: the cubic 4; the scale 1; tanh by exp 5; 0.5*a*(1 + t) 3. */
    public static final long GELU_FORWARD_PER_ELEMENT = 13;
    /** GELU backward, per element: t again 10; 1 + 3*0.044715*a^2 3; c*(.)*(1 - t^2) 4; the sum 5; times dG 1. */
    public static final long GELU_BACKWARD_PER_ELEMENT = 23;
    /** GeGLU forward, per element: GELU of W1x 13; times W3x 1. */
    public static final long GEGLU_FORWARD_PER_ELEMENT = 14;
    /**
     * GeGLU backward, per element: dG*GELU (dW3x) 1; t again 10; 1 + 3*0.044715*a^2 3; c*(.)*(1 - t^2) 4;
     * the derivative's sum 5; dG*W3x*GELU'(a) 2.
     */
    public static final long GEGLU_BACKWARD_PER_ELEMENT = 25;
    /** Cross-entropy forward, per logit: max 1; subtract, exp, sum 3; normalize 1. */
    public static final long CROSS_ENTROPY_FORWARD_PER_LOGIT = 5;
    /** Cross-entropy forward, per row besides the 1/sum and the loss summed: log(sum) + max - z_t. */
    public static final long CROSS_ENTROPY_ROW_LOSS = 3;
    /** Cross-entropy's mean over the rows, forward, and its 1/N, backward: once a step each. */
    public static final long CROSS_ENTROPY_PER_STEP = 1;
    /** Cross-entropy backward, per row: p_t - 1. */
    public static final long CROSS_ENTROPY_TARGET_PER_ROW = 1;
    /** Cross-entropy backward, per logit: times 1/N. */
    public static final long CROSS_ENTROPY_BACKWARD_PER_LOGIT = 1;
    /** Flash forward, per unmasked entry: scale, max (the running max starts at m) 2; exp(s - max), summed 3. */
    public static final long FLASH_FORWARD_PER_ENTRY = 5;
    /** Flash forward, per row and key tile: alpha = exp(m - m') 2; l = l*alpha + sum 2. */
    public static final long FLASH_FORWARD_PER_ROW_TILE = 4;
    /** Flash forward, per row at the end: 1/l, lse = m + log(l). */
    public static final long FLASH_FORWARD_PER_ROW = 3;
    /** Flash's log-sum-exp pass (selective recomputation), per row at the end: lse = m + log(l). */
    public static final long FLASH_LOGSUMEXP_PER_ROW = 2;
    /** Flash backward, per unmasked entry: p = exp(s*scale - lse) 3; dS = p*(dP - D)*scale 3. */
    public static final long FLASH_BACKWARD_PER_ENTRY = 6;
    /** LoRA, per hidden value: s * (x A) forward, s * d(.) backward. */
    public static final long LORA_SCALE_PER_ELEMENT = 1;
    /** A mixture of experts' top-k choice, per logit and pass: one max (k passes over a token's E logits). */
    public static final long TOP_K_PER_LOGIT = 1;
    /** The gates' softmax over a token's k chosen logits, forward, per gate: max 1; subtract, exp, sum 3; normalize 1. */
    public static final long GATE_SOFTMAX_FORWARD_PER_GATE = 5;
    /** The gates' softmax backward, per gate: the dot(g, dg) part. */
    public static final long GATE_DOT_PER_GATE = 2;
    /** The gates' softmax backward, per logit it reaches: p*(dp - dot). */
    public static final long GATE_LOGIT_GRADIENT_PER_LOGIT = 2;
    /** A shared expert's gate forward, per token: sigmoid(u) = 1 / (1 + exp(-u)): -u, exp, 1+, 1/(.). */
    public static final long SIGMOID_FORWARD_PER_ELEMENT = 4;
    /** A shared expert's gate backward, per token: du = ds * s * (1 - s). */
    public static final long SIGMOID_BACKWARD_PER_ELEMENT = 3;
    /** The combine forward, per element of an expert's output: out += g*y. */
    public static final long COMBINE_FORWARD_PER_ELEMENT = 2;
    /** The combine backward, per element of an expert's output: dg += dOut*y 2; dy = g*dOut 1. */
    public static final long COMBINE_BACKWARD_PER_ELEMENT = 3;
    /** Flash backward, per element of a head's output: D = rowsum(dO * O). */
    public static final long FLASH_BACKWARD_D_PER_ELEMENT = 2;
    /** A soft-cap c * tanh(x / c), forward, per capped value: x / c 1; tanh(u) = 1 - 2/(exp(2u) + 1) 5; times c 1. */
    public static final long SOFTCAP_FORWARD_PER_VALUE = 7;
    /** A soft-cap's backward, per capped value: the gradient times 1 - t^2: t*t, 1 -, times. */
    public static final long SOFTCAP_BACKWARD_PER_VALUE = 3;

    private ElementwiseFlops() {
    }

    public static BigInteger rmsnormForward(long rows, long width) {
        return perRow(rows, width, RMSNORM_FORWARD_PER_ELEMENT, RMSNORM_FORWARD_PER_ROW);
    }

    public static BigInteger rmsnormBackward(long rows, long width) {
        return rmsnormBackward(rows, width, true);
    }

    /** As above; without the gain's gradient where {@code gainTrains} is false (a frozen gain under LoRA). */
    public static BigInteger rmsnormBackward(long rows, long width, boolean gainTrains) {
        return perRow(rows, width, RMSNORM_BACKWARD_ROW_PER_ELEMENT
                + (gainTrains ? RMSNORM_GAIN_GRADIENT_PER_ELEMENT : 0), RMSNORM_BACKWARD_PER_ROW);
    }

    public static BigInteger layerNormForward(long rows, long width) {
        return perRow(rows, width, LAYERNORM_FORWARD_PER_ELEMENT, LAYERNORM_FORWARD_PER_ROW);
    }

    public static BigInteger layerNormBackward(long rows, long width) {
        return layerNormBackward(rows, width, true);
    }

    /** As above; without the gain's and bias's gradients where {@code parametersTrain} is false (LoRA). */
    public static BigInteger layerNormBackward(long rows, long width, boolean parametersTrain) {
        return perRow(rows, width, LAYERNORM_BACKWARD_ROW_PER_ELEMENT
                + (parametersTrain ? LAYERNORM_PARAMETER_GRADIENT_PER_ELEMENT : 0), LAYERNORM_BACKWARD_PER_ROW);
    }

    /** The blocks' and the final norm forward over {@code rows} of {@code width}, of {@code shape}'s kind. */
    private static BigInteger normForward(Shape shape, long rows, long width) {
        return shape.architecture().norm() == NormKind.LAYER ? layerNormForward(rows, width)
                : rmsnormForward(rows, width);
    }

    /** The blocks' norms' backward, or the final norm's ({@code finalNorm}), their gains' gradients where those train. */
    private static BigInteger normBackward(Shape shape, long rows, long width, boolean finalNorm) {
        boolean gains = finalNorm ? FrozenKind.NORMS.trains(shape) : FrozenKind.NORMS.trainsInBlocks(shape);
        return shape.architecture().norm() == NormKind.LAYER ? layerNormBackward(rows, width, gains)
                : rmsnormBackward(rows, width, gains);
    }

    /** One head's T x T causal softmax, forward: row i has i + 1 unmasked entries. */
    public static BigInteger causalSoftmaxForward(long context) {
        return causalSoftmaxForward(context, context);
    }

    /** As above, each query attending to at most {@code span} keys (a sliding window): row i has min(i + 1, span). */
    public static BigInteger causalSoftmaxForward(long context, long span) {
        return causalSoftmaxForward(context, span, false);
    }

    /** As above, each attended score soft-capped first where {@code capped} ({@link SoftCap}). */
    public static BigInteger causalSoftmaxForward(long context, long span, boolean capped) {
        return big(SOFTMAX_FORWARD_PER_ENTRY + capForward(capped)).multiply(attendedEntries(context, span))
                .add(big(SOFTMAX_PER_ROW).multiply(big(context)));
    }

    /** {@link #SOFTCAP_FORWARD_PER_VALUE} where {@code capped}, else 0. */
    private static long capForward(boolean capped) {
        return capped ? SOFTCAP_FORWARD_PER_VALUE : 0;
    }

    /**
     * One head's flash attention forward, elementwise, n_t = ceil(T / t_b) key tiles: per unmasked
     * entry {@link #FLASH_FORWARD_PER_ENTRY}; per row and key tile {@link #FLASH_FORWARD_PER_ROW_TILE},
     * the output row rescaled (d_k) and the tile's P V added (d_k); per row at the end
     * {@link #FLASH_FORWARD_PER_ROW} and the output divided (d_k):
     * 5*T*(T+1)/2 + T*n_t*(4 + 2*d_k) + T*(3 + d_k).
     */
    public static BigInteger flashForward(long context, long headDim, long tile) {
        return flashForward(context, headDim, tile, context);
    }

    /** As above, each query attending to at most {@code span} keys (a sliding window): fewer unmasked entries. */
    public static BigInteger flashForward(long context, long headDim, long tile, long span) {
        return flashForward(context, headDim, tile, span, false);
    }

    /** As above, each attended score soft-capped first where {@code capped}. */
    public static BigInteger flashForward(long context, long headDim, long tile, long span, boolean capped) {
        BigInteger rowTiles = big(context).multiply(big(tiles(context, tile)));
        return big(FLASH_FORWARD_PER_ENTRY + capForward(capped)).multiply(attendedEntries(context, span))
                .add(rowTiles.multiply(big(FLASH_FORWARD_PER_ROW_TILE + 2 * headDim * ADD)))
                .add(big(context).multiply(big(FLASH_FORWARD_PER_ROW + headDim)));
    }

    /**
     * One head's flash attention backward, elementwise: D per row 2*d_k; per unmasked entry
     * {@link #FLASH_BACKWARD_PER_ENTRY}; per tile pair the tile's dV, dQ and dK added into the head's
     * (t_j + t_i + t_j)*d_k: 2*T*d_k + 6*T*(T+1)/2 + 3*T*n_t*d_k.
     */
    public static BigInteger flashBackward(long context, long headDim, long tile) {
        return flashBackward(context, headDim, tile, context);
    }

    /** As above, each query attending to at most {@code span} keys. */
    public static BigInteger flashBackward(long context, long headDim, long tile, long span) {
        return flashBackward(context, headDim, tile, span, false);
    }

    /**
     * As above, where {@code capped} each attended score's cap recomputed ({@link #SOFTCAP_FORWARD_PER_VALUE})
     * and its gradient taken through it ({@link #SOFTCAP_BACKWARD_PER_VALUE}).
     */
    public static BigInteger flashBackward(long context, long headDim, long tile, long span, boolean capped) {
        BigInteger rowTiles = big(context).multiply(big(tiles(context, tile)));
        long perEntry = FLASH_BACKWARD_PER_ENTRY + (capped ? SOFTCAP_FORWARD_PER_VALUE + SOFTCAP_BACKWARD_PER_VALUE : 0);
        return big(FLASH_BACKWARD_D_PER_ELEMENT).multiply(big(context)).multiply(big(headDim))
                .add(big(perEntry).multiply(attendedEntries(context, span)))
                .add(rowTiles.multiply(big(3 * headDim * ADD)));
    }

    /**
     * One head's log-sum-exp recomputed (selective recomputation under flash): the forward's online
     * softmax statistics without V or the output: 5*T*(T+1)/2 + 4*T*n_t + 2*T.
     */
    public static BigInteger flashLogSumExp(long context, long tile) {
        return flashLogSumExp(context, tile, context);
    }

    /** As above, each query attending to at most {@code span} keys. */
    public static BigInteger flashLogSumExp(long context, long tile, long span) {
        return flashLogSumExp(context, tile, span, false);
    }

    /** As above, each attended score soft-capped first where {@code capped}. */
    public static BigInteger flashLogSumExp(long context, long tile, long span, boolean capped) {
        return big(FLASH_FORWARD_PER_ENTRY + capForward(capped)).multiply(attendedEntries(context, span))
                .add(big(context).multiply(big(tiles(context, tile))).multiply(big(FLASH_FORWARD_PER_ROW_TILE)))
                .add(big(context).multiply(big(FLASH_LOGSUMEXP_PER_ROW)));
    }

    /** ceil(T / t_b): the key (and query) tiles of a head. */
    private static long tiles(long context, long tile) {
        return (context + tile - 1) / tile;
    }

    /** One head's T x T causal softmax, backward. */
    public static BigInteger causalSoftmaxBackward(long context) {
        return causalSoftmaxBackward(context, context);
    }

    /** As above, each query attending to at most {@code span} keys. */
    public static BigInteger causalSoftmaxBackward(long context, long span) {
        return causalSoftmaxBackward(context, span, false);
    }

    /** As above, the gradient taken through each score's cap where {@code capped}. */
    public static BigInteger causalSoftmaxBackward(long context, long span, boolean capped) {
        return big(SOFTMAX_BACKWARD_PER_ENTRY + (capped ? SOFTCAP_BACKWARD_PER_VALUE : 0))
                .multiply(attendedEntries(context, span));
    }

    public static BigInteger swigluForward(long elements) {
        return big(SWIGLU_FORWARD_PER_ELEMENT).multiply(big(elements));
    }

    public static BigInteger swigluBackward(long elements) {
        return big(SWIGLU_BACKWARD_PER_ELEMENT).multiply(big(elements));
    }

    public static BigInteger residualAdd(long elements) {
        return big(ADD).multiply(big(elements));
    }

    public static BigInteger crossEntropyForward(long rows, long vocab) {
        return crossEntropyForward(rows, vocab, false);
    }

    /** As above, each logit soft-capped first where {@code capped} ({@link SoftCap}). */
    public static BigInteger crossEntropyForward(long rows, long vocab, boolean capped) {
        return perRow(rows, vocab, CROSS_ENTROPY_FORWARD_PER_LOGIT + capForward(capped),
                SOFTMAX_PER_ROW + CROSS_ENTROPY_ROW_LOSS + ADD).add(big(CROSS_ENTROPY_PER_STEP));
    }

    public static BigInteger crossEntropyBackward(long rows, long vocab) {
        return crossEntropyBackward(rows, vocab, false);
    }

    /** As above, the gradient taken through each logit's cap where {@code capped}. */
    public static BigInteger crossEntropyBackward(long rows, long vocab, boolean capped) {
        return perRow(rows, vocab, CROSS_ENTROPY_BACKWARD_PER_LOGIT + (capped ? SOFTCAP_BACKWARD_PER_VALUE : 0),
                CROSS_ENTROPY_TARGET_PER_ROW).add(big(CROSS_ENTROPY_PER_STEP));
    }

    public static BigInteger embeddingBackward(long elements) {
        return big(ADD).multiply(big(elements));
    }

    /** Learned positions' adds forward, or their gradient's backward: N*d, 0 without a position table. */
    public static BigInteger positions(Shape shape) {
        return shape.architecture().positions() == Architecture.NO_POSITIONS ? BigInteger.ZERO
                : big(ADD).multiply(big(shape.tokens())).multiply(big(shape.dModel()));
    }

    /**
     * One instance of {@code component}'s bias adds, forward, or its bias gradients, backward (the
     * same count): N*out over its biased projections, 0 where the architecture biases none of them.
     */
    public static BigInteger bias(Component component, Shape shape) {
        long width = 0;
        for (ParameterTensor row : ParameterTensor.biasesOf(component)) {
            if (row.instances(shape) > 0) {
                width = Math.addExact(width, row.elements(shape));
            }
        }
        return big(ADD).multiply(big(shape.tokens())).multiply(big(width));
    }

    /**
     * Forward plus backward elementwise FLOPs of one instance of {@code component}, plus what the
     * backward pass runs again ({@link #recomputed}).
     */
    public static BigInteger perInstance(Component component, Shape shape) {
        return forward(component, shape).add(backward(component, shape)).add(recomputed(component, shape));
    }

    /**
     * Elementwise FLOPs one instance of {@code component} runs again in backward: its forward where
     * the recomputation mode reruns it ({@link Recompute#forwardAgain()}: every block component under
     * full), and, for the attention kernel's component, the kernel's rebuild of its kept rows where the
     * mode rebuilds them ({@link AttentionKernel#rebuildElementwise()}: the softmax under eager, the
     * log-sum-exp pass under flash, under selective).
     */
    public static BigInteger recomputed(Component component, Shape shape) {
        Recompute mode = shape.recompute();
        BigInteger again = mode.forwardAgain().contains(component) ? forward(component, shape) : BigInteger.ZERO;
        if (mode.rebuildsKernelCore() && component == AttentionKernel.ELEMENTWISE_COMPONENT) {
            again = again.add(heads(shape).multiply(shape.attention().rebuildElementwise().of(shape)));
        }
        if (mode.rebuildsKernelCore() && component == Component.ATTENTION_SOFTMAX_GLOBAL && patterned(shape)) {
            again = again.add(heads(shape).multiply(shape.attention().rebuildElementwise().of(shape.unwindowed())));
        }
        return again;
    }

    /** Forward elementwise FLOPs of one instance of {@code component}, its biases' adds and QK-norm included. */
    public static BigInteger forward(Component component, Shape shape) {
        return kernelForward(component, shape).add(bias(component, shape)).add(qkNorm(component, shape, true));
    }

    /**
     * Backward elementwise FLOPs of one instance of {@code component}, its biases' and QK-norm's
     * included; under LoRA no bias gradient.
     */
    public static BigInteger backward(Component component, Shape shape) {
        boolean biases = component == Component.QKV_PROJECTION || component == Component.OUTPUT_PROJECTION
                ? FrozenKind.ATTENTION.trainsInBlocks(shape) : FrozenKind.MLP.trainsInBlocks(shape);
        return kernelBackward(component, shape).add(biases ? bias(component, shape) : BigInteger.ZERO)
                .add(qkNorm(component, shape, false));
    }

    /**
     * QK-norm's FLOPs, in the QKV projections' component: an RMSNorm over N*h query rows and N*h_kv key
     * rows of d_k each (N rows of h*d_k and N of h_kv*d_k over each whole projection), forward or
     * backward; 0 without QK-norm and for every other component.
     */
    public static BigInteger qkNorm(Component component, Shape shape, boolean forward) {
        QkNorm qkNorm = shape.architecture().qkNorm();
        if (component != Component.QKV_PROJECTION || !qkNorm.active()) {
            return BigInteger.ZERO;
        }
        long queryWidth = qkNorm.queryWidth(shape);
        long keyWidth = qkNorm.keyWidth(shape);
        long queryRows = Math.multiplyExact(shape.tokens(), qkNorm.queryGroups(shape));
        long keyRows = Math.multiplyExact(shape.tokens(), qkNorm.keyGroups(shape));
        return forward ? rmsnormForward(queryRows, queryWidth).add(rmsnormForward(keyRows, keyWidth))
                : rmsnormBackward(queryRows, queryWidth, FrozenKind.NORMS.trainsInBlocks(shape))
                        .add(rmsnormBackward(keyRows, keyWidth, FrozenKind.NORMS.trainsInBlocks(shape)));
    }

    /** The MLP activation's cost per element of N x d_ff, forward or backward, by the shape's MLP kind. */
    private static long activationPerElement(Shape shape, boolean forward) {
        return switch (shape.architecture().mlp()) {
            case SWIGLU -> forward ? SWIGLU_FORWARD_PER_ELEMENT : SWIGLU_BACKWARD_PER_ELEMENT;
            case GELU -> forward ? GELU_FORWARD_PER_ELEMENT : GELU_BACKWARD_PER_ELEMENT;
            case GEGLU -> forward ? GEGLU_FORWARD_PER_ELEMENT : GEGLU_BACKWARD_PER_ELEMENT;
        };
    }

    private static BigInteger kernelForward(Component component, Shape shape) {
        long rows = shape.tokens();
        long d = shape.dModel();
        return switch (component) {
            case RMSNORM, FINAL_RMSNORM -> normForward(shape, rows, d);
            case TOKEN_EMBEDDING -> positions(shape);
            case ATTENTION_SOFTMAX -> heads(shape).multiply(shape.attention().forwardElementwise().of(shape));
            case ATTENTION_SOFTMAX_GLOBAL -> !patterned(shape) ? BigInteger.ZERO
                    : heads(shape).multiply(shape.attention().forwardElementwise().of(shape.unwindowed()));
            case OUTPUT_PROJECTION, FFN_W2 -> residualAdd(Math.multiplyExact(rows, d));
            case FFN_SILU -> big(activationPerElement(shape, true)).multiply(activationElements(shape));
            case CROSS_ENTROPY -> crossEntropyForward(rows, shape.vocabSize(),
                    shape.architecture().softCap().capsLogits());
            case LORA -> loraScale(shape);
            case ROUTER -> routerForward(shape);
            case QKV_PROJECTION, ATTENTION_SCORES, ATTENTION_WEIGHTED_SUM, FFN_W1, FFN_W3,
                    OUTPUT_EMBEDDING -> BigInteger.ZERO;
        };
    }

    private static BigInteger kernelBackward(Component component, Shape shape) {
        long rows = shape.tokens();
        long d = shape.dModel();
        return switch (component) {
            case TOKEN_EMBEDDING -> FrozenKind.EMBEDDINGS.trains(shape)
                    ? embeddingBackward(Math.multiplyExact(rows, d)).add(positions(shape)) : BigInteger.ZERO;
            case LORA -> loraScale(shape);
            case RMSNORM, FINAL_RMSNORM -> normBackward(shape, rows, d, component == Component.FINAL_RMSNORM);
            case ATTENTION_SOFTMAX -> heads(shape).multiply(shape.attention().backwardElementwise().of(shape));
            case ATTENTION_SOFTMAX_GLOBAL -> !patterned(shape) ? BigInteger.ZERO
                    : heads(shape).multiply(shape.attention().backwardElementwise().of(shape.unwindowed()));
            case FFN_SILU -> big(activationPerElement(shape, false)).multiply(activationElements(shape));
            case CROSS_ENTROPY -> crossEntropyBackward(rows, shape.vocabSize(),
                    shape.architecture().softCap().capsLogits());
            case ROUTER -> routerBackward(shape);
            case OUTPUT_PROJECTION, FFN_W2, QKV_PROJECTION, ATTENTION_SCORES, ATTENTION_WEIGHTED_SUM, FFN_W1, FFN_W3,
                    OUTPUT_EMBEDDING -> BigInteger.ZERO;
        };
    }

    /**
     * One block's LoRA scales: s times each adapter's N x r hidden values (N*k x r on the experts'
     * matrices: each routed row's expert's adapter), forward (s * (x A)) and backward (s times their
     * gradient) alike.
     */
    private static BigInteger loraScale(Shape shape) {
        Lora lora = shape.settings().lora();
        long rows = 0;
        for (LoraTarget target : lora.targets()) {
            rows = Math.addExact(rows, target.rows(shape));
        }
        return big(LORA_SCALE_PER_ELEMENT).multiply(big(rows)).multiply(big(lora.rank()));
    }

    /**
     * One block's router forward: per token, k passes of max over its E logits, the softmax over the k
     * chosen ({@value #GATE_SOFTMAX_FORWARD_PER_GATE} a gate and one 1/sum), and the combine of the k
     * experts' d outputs.
     */
    private static BigInteger routerForward(Shape shape) {
        Experts experts = shape.architecture().experts();
        if (!experts.active()) {
            return BigInteger.ZERO;
        }
        long k = experts.topK();
        // unnormalized gates: the softmax over all E logits, the k chosen read off it
        long softmaxed = experts.normalized() ? k : experts.count();
        long perToken = k * experts.count() * TOP_K_PER_LOGIT + softmaxed * GATE_SOFTMAX_FORWARD_PER_GATE
                + SOFTMAX_PER_ROW + (experts.shared() ? SIGMOID_FORWARD_PER_ELEMENT : 0);
        return big(shape.tokens()).multiply(big(perToken))
                .add(big(COMBINE_FORWARD_PER_ELEMENT).multiply(big(combined(shape))).multiply(big(shape.dModel())));
    }

    /**
     * One block's router backward: the combine's, the gate softmax's (over all E logits for
     * unnormalized gates), and the scatter-add of the experts' input gradients; with a shared expert,
     * its combine's and its sigmoid's.
     */
    private static BigInteger routerBackward(Shape shape) {
        Experts experts = shape.architecture().experts();
        if (!experts.active()) {
            return BigInteger.ZERO;
        }
        long k = experts.topK();
        long perToken = k * GATE_DOT_PER_GATE + (experts.normalized() ? k : experts.count())
                * GATE_LOGIT_GRADIENT_PER_LOGIT + (experts.shared() ? SIGMOID_BACKWARD_PER_ELEMENT : 0);
        return big(shape.tokens()).multiply(big(perToken))
                .add(big(COMBINE_BACKWARD_PER_ELEMENT).multiply(big(combined(shape))).multiply(big(shape.dModel())))
                .add(big(ADD).multiply(big(shape.routedTokens())).multiply(big(shape.dModel())));
    }

    /** The rows a block's combine weights: N*k routed, plus N of the shared expert's. */
    private static long combined(Shape shape) {
        return Math.addExact(shape.routedTokens(), shape.architecture().experts().shared() ? shape.tokens() : 0);
    }

    /** The MLP activation's elements a block: N*k*d_ff routed (N*d_ff dense), plus N*d_sh of a shared expert. */
    private static BigInteger activationElements(Shape shape) {
        return big(shape.routedTokens()).multiply(big(shape.dFf()))
                .add(big(shape.tokens()).multiply(big(shape.architecture().experts().sharedFfn())));
    }

    /** Whether the shape has global layers beside windowed ones (a window pattern): 0 FLOPs for their component else. */
    private static boolean patterned(Shape shape) {
        return shape.architecture().windowPattern() != Architecture.WINDOW_EVERY_LAYER;
    }

    /** B*h: one softmax per sequence and head. */
    private static BigInteger heads(Shape shape) {
        return big(shape.batchSize()).multiply(big(shape.heads()));
    }

    /** rows * (width * perElement + perRow). */
    private static BigInteger perRow(long rows, long width, long perElement, long perRow) {
        return big(rows).multiply(big(width).multiply(big(perElement)).add(big(perRow)));
    }

    /** sum over rows i < T of (i + 1) = T*(T+1)/2: a causal T x T matrix's unmasked entries. */
    private static BigInteger causalEntries(long context) {
        BigInteger t = big(context);
        return t.multiply(t.add(BigInteger.ONE)).divide(BigInteger.TWO);
    }

    /**
     * sum over rows i &lt; T of min(i + 1, w): w*(w+1)/2 + (T - w)*w where a window w &lt; T cuts the
     * causal rows, T*(T+1)/2 where it does not.
     */
    private static BigInteger attendedEntries(long context, long span) {
        if (span >= context) {
            return causalEntries(context);
        }
        return causalEntries(span).add(big(context - span).multiply(big(span)));
    }

    private static BigInteger big(long value) {
        return BigInteger.valueOf(value);
    }
}
