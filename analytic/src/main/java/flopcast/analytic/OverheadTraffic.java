package flopcast.analytic;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The work a step executes beyond its components' kernels, as calls and bytes per step: what the
 * step-time model times at the bandwidth of the bytes' cache level, so that every class the in-situ
 * profile times has a term. N = B*T, n_t = ceil(T / t_b) tiles:
 * <pre>
 *   residual add      forward: 2 per block, x += f(x) over N x d              12*N*d per call (2 read, 1 write)
 *   bias              per block and biased projection ({@link LinearBias}), out its width:
 *                       forward    y += b over N x out                         4*(2*N*out + out) (y read and
 *                                                                              written, b read)
 *                       backward   dB += the N rows of dY                      4*(N*out + 2*out)
 *   QK-norm           per block, for Q (R = N*h rows) and K (R = N*h_kv rows) of d_k each:
 *                       forward    the norm, 1 call each                       4*(2*R*d_k + R + d_k) (x read,
 *                                                                              y and r written, g read)
 *                       backward   d(x) zeroed, its rows, the gain's columns:  4*(7*R*d_k + 2*R + 3*d_k) (d(x)
 *                                  3 calls each                                zeroed; dy, x, r, g read and d(x)
 *                                                                              read and written; dy, x, r read
 *                                                                              and d(g) read and written)
 *   head copy         per block and (sequence, head), T x d_k rows moved from the (B*T) x h*d_k tensors to a
 *                     head's T x d_k and back, 8 bytes per element (1 read, 1 write):
 *                       forward    K, V per key-value head gathered; Q gathered, O scattered per head
 *                       backward   K, V gathered, dK, dV scattered per key-value head; Q, dO gathered,
 *                                  dQ scattered per head
 *                     flash adds its tiles' rows, copied into the tile buffers per head:
 *                       forward    Q once, K and V once per query tile        T*d_k*(1 + 2 n_t)
 *                       backward   Q, dO once, V once per query tile          T*d_k*(2 + n_t)
 *                       recompute  K once per query tile (its scores again)   T*d_k*n_t
 *                       selective  the log-sum-exp again: Q once, K per tile  T*d_k*(1 + n_t), recompute
 *   gradient zeroing  backward: every parameter gradient (one call) and the N x d residual gradient
 *                     (another) set to 0: P in the gradient type's bytes (P_t, the adapters', under
 *                     LoRA), N*d in the activation type's
 *                     (4 each under fp32; the copies and adds above work on float32 working copies)
 * </pre>
 * Each class's footprint, the bytes its arrays occupy (each once), decides the cache level its
 * bandwidth is read at: the bytes above but for what is written where it was read (the residual add
 * 8*N*d, a bias 4*(N*out + out) each way, QK-norm's backward 4*(3*R*d_k + R + 2*d_k)).
 * Under LoRA (or frozen attention, MLP or norms) the frozen model computes no bias gradient and no QK-norm gain gradient (2 backward
 * calls a block fewer, 4*(4*R*d_k + R + d_k) bytes each norm).
 * Under full recomputation a block's forward runs again in the recompute pass: its residual adds,
 * its biases' adds, its QK-norms and its forward head copies once more. The token embedding's traffic is {@link MinimumTraffic}'s.
 * These are the loops of {@code measure}'s model ({@code CausalAttention}, {@code FlashHead},
 * {@code Block}, {@code TransformerModel}); {@code OpProfileTest} holds each class's calls to the
 * executed step's.
 */
public final class OverheadTraffic {
    private static final long FLOAT = 4;

    /** The profile's name of each class this table describes. */
    public static final String RESIDUAL_ADD = "residual_add";
    public static final String BIAS = "bias";
    public static final String QK_NORM = "qk_norm";
    public static final String HEAD_COPY = "head_copy";
    public static final String GRADIENT_ZEROING = "gradient_zeroing";

    /**
     * One class's work in one pass of a step.
     *
     * @param opClass the in-situ profile's name of the class
     * @param pass    forward, backward or recompute
     * @param calls     timed calls a step
     * @param bytes     bytes those calls move a step
     * @param footprint bytes their arrays occupy, summed over the calls (each array once a call)
     */
    public record Traffic(String opClass, String pass, long calls, BigInteger bytes, BigInteger footprint) {

        /** A class whose every byte moved is an array of its own: footprint = bytes. */
        Traffic(String opClass, String pass, long calls, BigInteger bytes) {
            this(opClass, pass, calls, bytes, bytes);
        }
    }

    private OverheadTraffic() {
    }

    /** Every class and pass with work at {@code shape}'s settings, in the order above. */
    public static List<Traffic> of(Shape shape) {
        long layers = shape.layers();
        long n = Math.multiplyExact(shape.batchSize(), shape.contextLength());
        long nd = Math.multiplyExact(n, shape.dModel());
        boolean full = shape.recompute() == Recompute.FULL;
        List<Traffic> rows = new ArrayList<>();
        long adds = 2 * layers;
        BigInteger addBytes = big(adds).multiply(big(3 * FLOAT)).multiply(big(nd));
        BigInteger addFootprint = big(adds).multiply(big(2 * FLOAT)).multiply(big(nd));
        rows.add(new Traffic(RESIDUAL_ADD, "forward", adds, addBytes, addFootprint));
        if (full) {
            rows.add(new Traffic(RESIDUAL_ADD, "recompute", adds, addBytes, addFootprint));
        }
        biases(shape, rows, full);
        qkNorm(shape, rows, full);
        headCopies(shape, rows, full);
        rows.add(new Traffic(GRADIENT_ZEROING, "backward", 2, zeroedBytes(shape)));
        return rows;
    }

    /** Bias adds and bias gradients, per the table above; none where the architecture has no bias. */
    private static void biases(Shape shape, List<Traffic> rows, boolean full) {
        long calls = 0;
        long trainedCalls = 0;
        BigInteger forward = BigInteger.ZERO;
        BigInteger trainedBackward = BigInteger.ZERO;
        BigInteger footprint = BigInteger.ZERO;
        BigInteger trainedFootprint = BigInteger.ZERO;
        for (ParameterTensor row : ParameterTensor.values()) {
            if (row.isBias() && row.instances(shape) > 0) {
                // a bias's width is every block's (dense layers among experts are refused biases on the MLP)
                BigInteger out = big(row.elements(shape));
                BigInteger nOut = big(shape.tokens()).multiply(out);
                BigInteger instances = big(row.instances(shape));
                calls += row.instances(shape);
                forward = forward.add(instances.multiply(nOut.multiply(BigInteger.TWO).add(out)));
                footprint = footprint.add(instances.multiply(nOut.add(out)));
                long trained = row.trainedInstances(shape);
                if (trained > 0) {
                    trainedCalls += trained;
                    trainedBackward = trainedBackward.add(big(trained).multiply(nOut.add(out.multiply(BigInteger.TWO))));
                    trainedFootprint = trainedFootprint.add(big(trained).multiply(nOut.add(out)));
                }
            }
        }
        if (calls == 0) {
            return;
        }
        BigInteger floatBytes = big(FLOAT);
        rows.add(new Traffic(BIAS, "forward", calls, forward.multiply(floatBytes), footprint.multiply(floatBytes)));
        if (full) {
            rows.add(new Traffic(BIAS, "recompute", calls, forward.multiply(floatBytes),
                    footprint.multiply(floatBytes)));
        }
        if (trainedCalls > 0) {
            // a frozen bias (LoRA, or a frozen kind) has no gradient to sum
            rows.add(new Traffic(BIAS, "backward", trainedCalls, trainedBackward.multiply(floatBytes),
                    trainedFootprint.multiply(floatBytes)));
        }
    }

    /** QK-norm's norms, per the table above; none without QK-norm. */
    private static void qkNorm(Shape shape, List<Traffic> rows, boolean full) {
        QkNorm qkNorm = shape.architecture().qkNorm();
        if (!qkNorm.active()) {
            return;
        }
        BigInteger forward = BigInteger.ZERO;
        BigInteger[] backward = {BigInteger.ZERO, BigInteger.ZERO};
        BigInteger[] backwardFootprint = {BigInteger.ZERO, BigInteger.ZERO};
        long[][] norms = {{qkNorm.queryGroups(shape), qkNorm.queryWidth(shape)},
            {qkNorm.keyGroups(shape), qkNorm.keyWidth(shape)}};
        for (long[] norm : norms) {
            long d = norm[1];
            BigInteger r = big(shape.tokens()).multiply(big(norm[0]));
            BigInteger rd = r.multiply(big(d));
            forward = forward.add(rd.multiply(BigInteger.TWO).add(r).add(big(d)));
            // [0]: a frozen gain (LoRA, frozen norms) skips the gain's column pass: dy, x, r read and d(g) read
            // and written; [1]: a gain that trains
            backward[0] = backward[0].add(rd.multiply(big(4)).add(r).add(big(d)));
            backward[1] = backward[1].add(rd.multiply(big(7)).add(r.multiply(BigInteger.TWO)).add(big(3 * d)));
            backwardFootprint[0] = backwardFootprint[0].add(rd.multiply(big(3)).add(r).add(big(d)));
            backwardFootprint[1] = backwardFootprint[1].add(rd.multiply(big(3)).add(r).add(big(2 * d)));
        }
        long layers = shape.layers();
        // the blocks whose gains train: every one, none, or those outside a --freeze-layers range
        long trained = shape.perBlock(view -> FrozenKind.NORMS.trainsInBlocks(view) ? view.layers() : 0);
        long frozen = layers - trained;
        BigInteger floatBytes = big(FLOAT);
        BigInteger forwardBytes = forward.multiply(big(FLOAT * layers));
        rows.add(new Traffic(QK_NORM, "forward", 2 * layers, forwardBytes));
        if (full) {
            rows.add(new Traffic(QK_NORM, "recompute", 2 * layers, forwardBytes));
        }
        rows.add(new Traffic(QK_NORM, "backward", 6 * trained + 4 * frozen,
                backward[1].multiply(big(trained)).add(backward[0].multiply(big(frozen))).multiply(floatBytes),
                backwardFootprint[1].multiply(big(trained)).add(backwardFootprint[0].multiply(big(frozen)))
                        .multiply(floatBytes)));
    }

    /** Head and tile copies, per the table above. */
    private static void headCopies(Shape shape, List<Traffic> rows, boolean full) {
        long sequences = Math.multiplyExact(shape.batchSize(), shape.layers());
        long h = shape.heads();
        long kv = shape.architecture().kvHeads();
        long headElements = Math.multiplyExact(shape.contextLength(), shape.headDim());
        long tile = Dim.TILE.size(shape);
        long tiles = (shape.contextLength() + tile - 1) / tile;
        boolean flash = shape.attention() == AttentionKernel.FLASH;
        // per sequence and block: {calls, head-sized copies}; a tile pass over all of T is one head's elements
        long forwardCalls = 2 * kv + 2 * h;
        long forwardCopies = forwardCalls;
        long backwardCalls = 4 * kv + 3 * h;
        long backwardCopies = backwardCalls;
        long recomputeCalls = 0;
        long recomputeCopies = 0;
        if (flash) {
            forwardCalls += h * (tiles + 2 * tiles * tiles);
            forwardCopies += h * (1 + 2 * tiles);
            backwardCalls += h * (2 * tiles + tiles * tiles);
            backwardCopies += h * (2 + tiles);
            recomputeCalls += h * tiles * tiles;
            recomputeCopies += h * tiles;
            if (shape.recompute().rebuildsKernelCore()) {
                recomputeCalls += h * (tiles + tiles * tiles);
                recomputeCopies += h * (1 + tiles);
            }
        }
        if (full) {
            recomputeCalls += forwardCalls;
            recomputeCopies += forwardCopies;
        }
        BigInteger perCopy = big(2 * FLOAT).multiply(big(headElements)).multiply(big(sequences));
        rows.add(new Traffic(HEAD_COPY, "forward", sequences * forwardCalls, perCopy.multiply(big(forwardCopies))));
        rows.add(new Traffic(HEAD_COPY, "backward", sequences * backwardCalls, perCopy.multiply(big(backwardCopies))));
        if (recomputeCalls > 0) {
            rows.add(new Traffic(HEAD_COPY, "recompute", sequences * recomputeCalls,
                    perCopy.multiply(big(recomputeCopies))));
        }
    }

    /**
     * Bytes the gradient zeroing writes: every parameter gradient in the policy's gradient type and
     * the N x d residual gradient in its activation type (bfloat16 storage under a bf16 policy).
     */
    public static BigInteger zeroedBytes(Shape shape) {
        long nd = Math.multiplyExact(shape.tokens(), shape.dModel());
        return big(ParameterTensor.trainable(shape)).multiply(big(shape.policy().gradientType().bytes()))
                .add(big(nd).multiply(big(shape.policy().activationType().bytes())));
    }

    private static BigInteger big(long value) {
        return BigInteger.valueOf(value);
    }
}
