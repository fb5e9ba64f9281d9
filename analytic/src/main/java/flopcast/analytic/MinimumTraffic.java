package flopcast.analytic;

import java.math.BigInteger;

/**
 * Bytes an op must at least move: each input read once, each output written once, float32
 * (int32 token ids and targets: 4 bytes too). N = B*T; for a projection X (N x in) W (in x out):
 * <pre>
 *   projection forward    4*(N*in + in*out + N*out)              X, W in; Y out
 *   projection backward   4*(N*out + 2*N*in + 2*in*out)          dY, X, W in; dX, dW out
 *   scores forward        4*(2*N*d + B*h*T^2)                    Q, K in; S out
 *   scores backward       4*(B*h*T^2 + 4*N*d)                    dS, Q, K in; dQ, dK out
 *   weighted sum forward  4*(B*h*T^2 + 2*N*d)                    P, V in; O out
 *   weighted sum backward 4*(2*B*h*T^2 + 3*N*d)                  dO, P, V in; dP, dV out
 *   RMSNorm forward       4*(2*N*d + d + N)                      x, g in; y, 1/rms out
 *   RMSNorm backward      4*(3*N*d + 2*d + N)                    dy, x, g, 1/rms in; dx, dg out
 *   LayerNorm forward     4*(2*N*d + 2*d + 2*N)                  x, g, b in; y, mean, 1/std out
 *   LayerNorm backward    4*(3*N*d + 3*d + 2*N)                  dy, x, g, mean, 1/std in; dx, dg, db out
 *   softmax forward       8*B*h*T^2                              S in; P out
 *   softmax backward      12*B*h*T^2                             P, dP in; dS out
 *   SiLU and product fwd  16*N*d_ff                              W1x, W3x in; SiLU, product out
 *   SiLU and product bwd  24*N*d_ff                              dG, W1x, W3x, SiLU in; dW1x, dW3x out
 *   GELU fwd, bwd         8*N*d_ff, 12*N*d_ff                    W1x in, GELU out; dG, W1x in, dW1x out
 *   cross-entropy fwd     4*(2*N*V + N)                          logits, targets in; probabilities out
 *   cross-entropy bwd     4*(2*N*V + N)                          probabilities, targets in; dlogits out
 *   soft-caps             + 4*B*h*T^2 to the softmax forward and backward, + 4*N*V to the cross-entropy's:
 *                                                                 tanh(x / c) written, then read
 *   AdamW                 28*P                                   p, g, m, v in; p, m, v out
 *   LoRA adapter          two projections each: x A (in, r) and (.) B^T (r, out)
 *   learned positions     + 4*T*d forward and backward           the table's T rows read, their gradient
 *                                                                 written (beside the token embedding's)
 * </pre>
 * Under grouped-query attention K and V are N x (h_kv*d_k), each read once: the N*d of K or V
 * above becomes N*h_kv*d_k; where d_k is not d / h, Q, the attention output and their gradients are
 * N x h*d_k, and the output projection's in is h*d_k. QKV counts its three projections (in = d, out = d + 2*h_kv*d_k, 3d
 * under multi-head attention, as one); W1, W3 and W2 are projections with
 * in, out = d, d_ff (W2: d_ff, d); the LM head d, V. Convention: a lower bound on memory traffic,
 * for bytes-per-second efficiency of memory-bound ops; caches can only make the real traffic larger.
 * Source: REFERENCES.md (AdamW: 28 bytes per fp32 parameter); roofline analysis (Williams et al.
 * 2009). Under experts ({@link Experts}) W1, W3 and W2 are E projections over N*k rows in all
 * (4*(N*k*in + E*in*out + N*k*out) forward, 4*(N*k*out + 2*N*k*in + 2*E*in*out) backward, with
 * min(E, N*k) for E where fewer rows than experts leave some expert without a token), the
 * activation runs over N*k rows, and the router moves
 * <pre>
 *   router forward        4*(N*d + d*E + N*E)                    x, W_r in; logits out
 *                         + 4*(N*E + 2*N*k)                      logits in; gates, choices out
 *                         + 4*(N*k*d + N*k + N*d)                y, gates in; out written
 *   router backward       4*(N*E + 2*N*d + 2*d*E)                dz, x, W_r in; dx, dW_r out
 *                         + 4*(N*d + N*k*d + N*k)                dOut, y in; dg out
 *                         + 4*(N*k*d) + 4*(2*N*k + N*E)          dy out; g, dg in, dz out
 *                         + 4*(N*k*d + N*d)                      the experts' dx in, scatter-added
 * </pre>
 * Pinned by {@code MinimumTrafficTest}.
 */
public final class MinimumTraffic {
    private static final BigInteger FOUR = BigInteger.valueOf(4);

    private MinimumTraffic() {
    }

    /** Bytes one instance of {@code component} moves in its forward pass. */
    public static BigInteger forward(Component component, Shape shape) {
        Terms t = new Terms(shape);
        return switch (component) {
            case QKV_PROJECTION, OUTPUT_PROJECTION, FFN_W1, FFN_W3, FFN_W2, OUTPUT_EMBEDDING ->
                    t.projectionForward(component);
            case ATTENTION_SCORES, ATTENTION_WEIGHTED_SUM -> FOUR.multiply(t.nq.add(t.nkv).add(t.bhtt));
            case RMSNORM, FINAL_RMSNORM -> t.layerNorm
                    ? FOUR.multiply(t.nd.multiply(BigInteger.TWO).add(t.d.multiply(BigInteger.TWO))
                            .add(t.n.multiply(BigInteger.TWO)))
                    : FOUR.multiply(t.nd.multiply(BigInteger.TWO).add(t.d).add(t.n));
            case ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GLOBAL -> BigInteger.valueOf(t.cappedScores ? 12 : 8)
                    .multiply(t.bhtt);
            case FFN_SILU -> BigInteger.valueOf(t.gelu ? 8 : 16).multiply(t.activation);
            case CROSS_ENTROPY -> t.crossEntropy();
            case TOKEN_EMBEDDING -> FOUR.multiply(t.n.add(t.nd.multiply(BigInteger.TWO)).add(t.positionRows));
            case LORA -> lora(shape, true);
            case ROUTER -> t.routerForward();
        };
    }

    /**
     * A block's LoRA adapters, each two projections: x A (N x in by in x r) and (.) B^T (N x r by
     * r x out), forward or backward as {@link #forward} and {@link #backward} count a projection.
     */
    private static BigInteger lora(Shape shape, boolean forward) {
        BigInteger r = BigInteger.valueOf(shape.settings().lora().rank());
        BigInteger sum = BigInteger.ZERO;
        for (LoraTarget target : shape.settings().lora().targets()) {
            // an expert's matrix's adapters: N*k routed rows, and the adapters of min(E, N*k) experts
            BigInteger n = BigInteger.valueOf(target.rows(shape));
            BigInteger copies = BigInteger.valueOf(target.adaptersRead(shape));
            for (BigInteger[] io : new BigInteger[][] {{BigInteger.valueOf(target.in().size(shape)), r},
                    {r, BigInteger.valueOf(target.out().size(shape))}}) {
                BigInteger x = n.multiply(io[0]);
                BigInteger w = io[0].multiply(io[1]).multiply(copies);
                BigInteger y = n.multiply(io[1]);
                sum = sum.add(forward ? x.add(w).add(y) : y.add(x.multiply(BigInteger.TWO)).add(w.multiply(BigInteger.TWO)));
            }
        }
        return FOUR.multiply(sum);
    }

    /** Bytes one instance of {@code component} moves in its backward pass. */
    public static BigInteger backward(Component component, Shape shape) {
        Terms t = new Terms(shape);
        return switch (component) {
            case QKV_PROJECTION, OUTPUT_PROJECTION, FFN_W1, FFN_W3, FFN_W2, OUTPUT_EMBEDDING ->
                    t.projectionBackward(component);
            case ATTENTION_SCORES -> FOUR.multiply(t.bhtt.add(BigInteger.TWO.multiply(t.nq.add(t.nkv))));
            case ATTENTION_WEIGHTED_SUM -> FOUR.multiply(t.bhtt.multiply(BigInteger.TWO).add(t.nq)
                    .add(BigInteger.TWO.multiply(t.nkv)));
            case RMSNORM, FINAL_RMSNORM -> t.layerNorm
                    ? FOUR.multiply(t.nd.multiply(BigInteger.valueOf(3)).add(t.d.multiply(BigInteger.valueOf(3)))
                            .add(t.n.multiply(BigInteger.TWO)))
                    : FOUR.multiply(t.nd.multiply(BigInteger.valueOf(3)).add(t.d.multiply(BigInteger.TWO)).add(t.n));
            case ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GLOBAL -> BigInteger.valueOf(t.cappedScores ? 16 : 12)
                    .multiply(t.bhtt);
            case FFN_SILU -> BigInteger.valueOf(t.gelu ? 12 : 24).multiply(t.activation);
            case CROSS_ENTROPY -> t.crossEntropy();
            case TOKEN_EMBEDDING -> FOUR.multiply(t.n.add(t.nd.multiply(BigInteger.TWO)).add(t.positionRows));
            case LORA -> lora(shape, false);
            case ROUTER -> t.routerBackward();
        };
    }

    /** Bytes of one AdamW step over {@code parameters}: 28 per parameter. */
    public static BigInteger adamW(long parameters) {
        return BigInteger.valueOf(28).multiply(BigInteger.valueOf(parameters));
    }

    /**
     * Bytes one instance of {@code component}'s pass occupies, each array once: what decides the cache
     * level its bandwidth is read at. Its bytes, but where a kernel writes over what it read: the
     * softmax in place over the scores (forward 4*B*h*T^2) and dS over dP (backward 8*B*h*T^2), the
     * probabilities over the logits and the logits' gradient over the probabilities (cross-entropy,
     * 4*(N*V + N) each way), and SiLU's backward dW1x over dG (20*N*d_ff; GELU's dW1x over dG, 8*N*d_ff).
     */
    public static BigInteger footprint(Component component, boolean forward, Shape shape) {
        Terms t = new Terms(shape);
        return switch (component) {
            case ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GLOBAL -> BigInteger.valueOf(forward ? 4 : 8).multiply(t.bhtt);
            case CROSS_ENTROPY -> FOUR.multiply(t.n.multiply(t.v).add(t.n));
            case FFN_SILU -> forward ? forward(component, shape)
                    : BigInteger.valueOf(t.gelu ? 8 : 20).multiply(t.routed).multiply(t.dFf);
            default -> forward ? forward(component, shape) : backward(component, shape);
        };
    }

    /**
     * Bytes one AdamW step's data occupies: p, g, m and v, 16 per parameter. It moves 28, as p, m and v
     * are written back where they were read.
     */
    public static BigInteger adamWFootprint(long parameters) {
        return BigInteger.valueOf(16).multiply(BigInteger.valueOf(parameters));
    }

    /** Shape terms as BigInteger. */
    private static final class Terms {
        final BigInteger n;
        final BigInteger d;
        final BigInteger dFf;
        final BigInteger v;
        final BigInteger nd;
        /** N*h*d_k: Q, or the attention output (N*d where d_k = d / h). */
        final BigInteger nq;
        /** h*d_k: Q's width and the output projection's input (d where d_k = d / h). */
        final BigInteger qWidth;
        /** N*h_kv*d_k: one of K, V (N*d where h_kv = h). */
        final BigInteger nkv;
        /** h*d_k + 2*h_kv*d_k: Q, K and V's output width (3d where h_kv = h and d_k = d / h). */
        final BigInteger qkvWidth;
        final BigInteger bhtt;
        /** The norms are LayerNorms: a bias and a mean beside RMSNorm's gain and reciprocal. */
        final boolean layerNorm;
        /** Soft-capped scores (eager: flash keeps its tiles on chip) and logits: tanh(x / c) written, then read. */
        final boolean cappedScores;
        final boolean cappedLogits;
        /** The MLP is GELU's two matrices: its activation reads one tensor and writes one (GeGLU's moves SwiGLU's bytes). */
        final boolean gelu;
        /** T*d: the learned position rows a step reads (and their gradient's), 0 without a table. */
        final BigInteger positionRows;
        /** N*k: the MLP's rows (N for a dense MLP). */
        final BigInteger routed;
        /** E: the copies of each MLP matrix (1 for a dense MLP). */
        final BigInteger copies;
        /** The router's E and k (0 for a dense MLP). */
        final BigInteger experts;
        final BigInteger topK;
        /** The shared expert's d_sh (0 without one). */
        final BigInteger dSh;
        /** The gates are the softmax over all E, which backward reads. */
        final boolean unnormalized;
        /** The MLP activation's elements: N*k*d_ff, plus N*d_sh of a shared expert. */
        final BigInteger activation;

        Terms(Shape shape) {
            n = BigInteger.valueOf(shape.batchSize()).multiply(BigInteger.valueOf(shape.contextLength()));
            d = BigInteger.valueOf(shape.dModel());
            dFf = BigInteger.valueOf(shape.dFf());
            v = BigInteger.valueOf(shape.vocabSize());
            nd = n.multiply(d);
            BigInteger kvWidth = BigInteger.valueOf(shape.kvWidth());
            nkv = n.multiply(kvWidth);
            qWidth = BigInteger.valueOf(shape.queryWidth());
            nq = n.multiply(qWidth);
            qkvWidth = qWidth.add(BigInteger.TWO.multiply(kvWidth));
            BigInteger t = BigInteger.valueOf(shape.contextLength());
            bhtt = BigInteger.valueOf(shape.batchSize()).multiply(BigInteger.valueOf(shape.heads())).multiply(t)
                    .multiply(t);
            layerNorm = shape.architecture().norm() == NormKind.LAYER;
            cappedScores = shape.architecture().softCap().capsAttention() && !shape.attention().tiled();
            cappedLogits = shape.architecture().softCap().capsLogits();
            gelu = !shape.architecture().mlp().gated();
            positionRows = shape.architecture().positions() == Architecture.NO_POSITIONS ? BigInteger.ZERO
                    : t.multiply(d);
            Experts mixture = shape.architecture().experts();
            routed = BigInteger.valueOf(shape.routedTokens());
            copies = BigInteger.valueOf(mixture.instancesPerBlock());
            experts = BigInteger.valueOf(mixture.count());
            topK = BigInteger.valueOf(mixture.topK());
            dSh = BigInteger.valueOf(mixture.sharedFfn());
            unnormalized = mixture.active() && !mixture.normalized();
            activation = routed.multiply(dFf).add(n.multiply(dSh));
        }

        /** The rows a projection runs over: N*k for the MLP's (N for a dense MLP), N for the rest. */
        private BigInteger rows(Component projection) {
            return projection == Component.FFN_W1 || projection == Component.FFN_W3 || projection == Component.FFN_W2
                    ? routed : n;
        }

        /**
         * The weights a projection's pass reads: the MLP's of min(E, N*k) experts (no more than N*k experts
         * receive a token; 1 for a dense MLP), every other projection's once.
         */
        private BigInteger weights(Component projection) {
            return rows(projection) == routed ? copies.min(routed) : BigInteger.ONE;
        }

        /** The router's projection, the top-k choice and the combine; 0 without experts. */
        BigInteger routerForward() {
            if (experts.signum() == 0) {
                return BigInteger.ZERO;
            }
            BigInteger ne = n.multiply(experts);
            BigInteger nk = n.multiply(topK);
            // unnormalized gates write the softmax over all E; a shared expert's gate reads x and w_g and
            // writes a logit, its sigmoid reads and writes one, its combine reads y_sh and the gate
            BigInteger shared = dSh.signum() == 0 ? BigInteger.ZERO
                    : nd.add(d).add(n).add(BigInteger.TWO.multiply(n)).add(nd).add(n);
            return FOUR.multiply(nd.add(d.multiply(experts)).add(ne)
                    .add(ne).add(BigInteger.TWO.multiply(nk))
                    .add(nk.multiply(d)).add(nk).add(nd).add(unnormalized ? ne : BigInteger.ZERO).add(shared));
        }

        /** The router's projection backward, the combine's and gates' backward and the scatter-add; 0 without experts. */
        BigInteger routerBackward() {
            if (experts.signum() == 0) {
                return BigInteger.ZERO;
            }
            BigInteger ne = n.multiply(experts);
            BigInteger nk = n.multiply(topK);
            BigInteger nkd = nk.multiply(d);
            // unnormalized gates read the kept softmax; a shared expert's combine backward reads dOut and y_sh
            // and writes dy_sh and a gate gradient, its sigmoid's reads two and writes one, and its gate's
            // projection backward reads and writes as any projection's
            BigInteger shared = dSh.signum() == 0 ? BigInteger.ZERO
                    : BigInteger.TWO.multiply(nd).add(n).add(nd).add(BigInteger.valueOf(3).multiply(n))
                            .add(n.add(BigInteger.TWO.multiply(nd)).add(BigInteger.TWO.multiply(d)));
            return FOUR.multiply(ne.add(BigInteger.TWO.multiply(nd)).add(BigInteger.TWO.multiply(d.multiply(experts)))
                    .add(nd).add(nkd).add(nk)
                    .add(nkd).add(BigInteger.TWO.multiply(nk)).add(ne)
                    .add(nkd).add(nd).add(unnormalized ? ne : BigInteger.ZERO).add(shared));
        }

        /** A projection's input and output widths, {in, out}: the one table both passes read. */
        BigInteger[] widths(Component projection) {
            return switch (projection) {
                case QKV_PROJECTION -> new BigInteger[] {d, qkvWidth};
                case OUTPUT_PROJECTION -> new BigInteger[] {qWidth, d};
                case FFN_W1, FFN_W3 -> new BigInteger[] {d, dFf};
                case FFN_W2 -> new BigInteger[] {dFf, d};
                case OUTPUT_EMBEDDING -> new BigInteger[] {d, v};
                default -> throw new IllegalArgumentException(projection + " is not a projection");
            };
        }

        /** X (N x in) and W (in x out) read, Y (N x out) written: 4 bytes each (N*k rows, E weights: experts). */
        BigInteger projectionForward(Component projection) {
            BigInteger in = widths(projection)[0];
            BigInteger out = widths(projection)[1];
            BigInteger rows = rows(projection);
            return FOUR.multiply(rows.multiply(in).add(weights(projection).multiply(in).multiply(out))
                    .add(rows.multiply(out))).add(sharedProjection(projection, true));
        }

        /** A shared expert's matrix of an MLP projection, over every token, as any projection's pass; else 0. */
        private BigInteger sharedProjection(Component projection, boolean forward) {
            if (dSh.signum() == 0 || projection != Component.FFN_W1 && projection != Component.FFN_W3
                    && projection != Component.FFN_W2) {
                return BigInteger.ZERO;
            }
            BigInteger in = projection == Component.FFN_W2 ? dSh : d;
            BigInteger out = projection == Component.FFN_W2 ? d : dSh;
            BigInteger x = n.multiply(in);
            BigInteger y = n.multiply(out);
            BigInteger w = in.multiply(out);
            return FOUR.multiply(forward ? x.add(w).add(y)
                    : y.add(BigInteger.TWO.multiply(x)).add(BigInteger.TWO.multiply(w)));
        }

        /** dY, X and W read, dX and dW written: 4 bytes each. */
        BigInteger projectionBackward(Component projection) {
            BigInteger in = widths(projection)[0];
            BigInteger out = widths(projection)[1];
            BigInteger rows = rows(projection);
            return FOUR.multiply(rows.multiply(out).add(BigInteger.TWO.multiply(rows.multiply(in)))
                    .add(BigInteger.TWO.multiply(weights(projection).multiply(in).multiply(out))))
                    .add(sharedProjection(projection, false));
        }

        BigInteger crossEntropy() {
            return FOUR.multiply(BigInteger.valueOf(cappedLogits ? 3 : 2).multiply(n.multiply(v)).add(n));
        }
    }
}
