package flopcast.measure.model;

import flopcast.analytic.Bf16Conversions;
import flopcast.analytic.Component;
import flopcast.analytic.DataType;
import flopcast.analytic.Shape;
import flopcast.analytic.WorkspaceBuffer;
import flopcast.measure.buffers.BFloat16;
import flopcast.measure.buffers.ModelBuffers;
import flopcast.measure.buffers.TensorAllocation;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.counting.OpClass;
import flopcast.measure.counting.OpProfile;
import org.ejml.data.FMatrixRMaj;

/**
 * Causal multi-head or grouped-query attention over Q of shape (B*T) x d and K, V of shape
 * (B*T) x (h_kv*d_k): query head h reads key and value head h / (h / h_kv). Per sequence b and head h,
 * P = softmax(Q_bh K_bh^T / sqrt(d_k)) with the upper triangle masked, O_bh = P V_bh, each pair's
 * slices gathered into head scratch and run by the three op classes {@link AttentionScores} (the
 * full T x T square, counted so), {@link CausalSoftmax} (over {@code span} positions) and
 * {@link AttentionWeightedSum}. The work is split by (sequence, key and value head) group: one
 * part gathers the group's K and V once, runs its h / h_kv query heads in turn and accumulates
 * their dK and dV in the head scratch (the GEMM's add, no elementwise pass), so no two threads
 * write one K or V slice. With h_kv = h every group is one head and the loop is today's.
 */
final class CausalAttention {
    private final int context;
    private final int heads;
    private final int kvHeads;
    /** h / h_kv: the query heads of one group. */
    private final int group;
    private final int headDim;
    /**
     * True under a bf16 policy: eager's probabilities are a bfloat16 tensor, rounded before P V
     * reads them, whether kept or recomputed (selective), so both read the same values.
     */
    private final boolean bfloat16Probabilities;
    /** The B*h pairs split across the backend's threads, one scratch per part. */
    private final HeadParts parts;
    private final HeadScratch[] scratch;

    /**
     * One thread's op classes, on its part's ops, and its head slices (T x d_k) and probability
     * gradient (T x T). The first thread's buffers are the workspace table's rows; every further
     * thread's are its own copy, thread scratch outside the table (as the vector GEMM's packing
     * buffers are).
     */
    private static final class HeadScratch {
        final AttentionScores scores;
        final CausalSoftmax softmax;
        final AttentionWeightedSum weightedSum;
        final FMatrixRMaj query;
        final FMatrixRMaj key;
        final FMatrixRMaj value;
        final FMatrixRMaj output;
        final FMatrixRMaj queryGradient;
        final FMatrixRMaj keyGradient;
        final FMatrixRMaj valueGradient;
        final FMatrixRMaj probabilityGradient;
        /** One head's probabilities where they are not kept (selective recomputation); else null. */
        final FMatrixRMaj probabilities;
        /** One head's tanh of its capped scores where they are not kept (capped, selective); else null. */
        final FMatrixRMaj capped;
        /** The part's counter, switched to the recompute pass while the core reruns. */
        final FlopCounter counter;
        /** The part's profile, which times its head copies and roundings. */
        final OpProfile profile;
        /** The flash kernel and its tiles under flash attention; else null. */
        final FlashHead flash;
        /** One head's log-sum-exp where it is not kept (flash with selective recomputation); else null. */
        final FMatrixRMaj logSumExp;

        HeadScratch(CountingOps ops, Shape shape, int span, int headDim, boolean recomputes, Component component,
                java.util.function.Function<WorkspaceBuffer, FMatrixRMaj> buffer) {
            boolean flashing = shape.attention().tiled();
            this.scores = new AttentionScores(ops);
            float cap = (float) shape.architecture().softCap().attention();
            this.softmax = new CausalSoftmax(ops, span, headDim, cap, component);
            this.weightedSum = new AttentionWeightedSum(ops);
            this.query = buffer.apply(WorkspaceBuffer.HEAD_QUERY);
            this.key = buffer.apply(WorkspaceBuffer.HEAD_KEY);
            this.value = buffer.apply(WorkspaceBuffer.HEAD_VALUE);
            this.output = buffer.apply(WorkspaceBuffer.HEAD_OUTPUT);
            this.queryGradient = buffer.apply(WorkspaceBuffer.HEAD_QUERY_GRADIENT);
            this.keyGradient = buffer.apply(WorkspaceBuffer.HEAD_KEY_GRADIENT);
            this.valueGradient = buffer.apply(WorkspaceBuffer.HEAD_VALUE_GRADIENT);
            this.probabilityGradient = flashing ? null : buffer.apply(WorkspaceBuffer.HEAD_PROBABILITY_GRADIENT);
            this.probabilities = recomputes && !flashing ? buffer.apply(WorkspaceBuffer.HEAD_PROBABILITIES) : null;
            this.capped = recomputes && !flashing && cap > 0 ? buffer.apply(WorkspaceBuffer.HEAD_SOFTCAP) : null;
            this.counter = ops.counter();
            this.profile = counter.profile();
            // the global layers' attend to every earlier key; the others' to the shape's span
            this.flash = !flashing ? null : new FlashHead(ops, shape, component == Component.ATTENTION_SOFTMAX_GLOBAL
                    ? Math.toIntExact(shape.contextLength()) : Math.toIntExact(shape.attentionSpan()), component,
                    buffer);
            this.logSumExp = flashing && recomputes ? buffer.apply(WorkspaceBuffer.HEAD_LOGSUMEXP) : null;
        }
    }

    CausalAttention(CountingOps ops, Shape shape, int span, ModelBuffers buffers) {
        this(ops, shape, span, buffers, Component.ATTENTION_SOFTMAX);
    }

    /**
     * As above, its softmax's (or flash core's) FLOPs recorded as {@code component}'s: the global layers'
     * under a window pattern attend over every earlier key.
     */
    CausalAttention(CountingOps ops, Shape shape, int span, ModelBuffers buffers, Component component) {
        this.context = Math.toIntExact(shape.contextLength());
        this.heads = Math.toIntExact(shape.heads());
        this.kvHeads = Math.toIntExact(shape.architecture().kvHeads());
        this.group = Math.toIntExact(shape.queriesPerKvHead());
        this.headDim = Math.toIntExact(shape.headDim());
        this.bfloat16Probabilities = shape.policy().activationType() == DataType.BFLOAT16;
        this.parts = new HeadParts(ops, Math.toIntExact(Math.multiplyExact(shape.batchSize(), shape.architecture().kvHeads())));
        this.scratch = new HeadScratch[parts.parts()];
        for (int part = 0; part < scratch.length; part++) {
            scratch[part] = new HeadScratch(parts.ops(part), shape, span, headDim,
                    shape.recompute().rebuildsKernelCore(), component,
                    part == 0 ? buffers::scratch : row -> TensorAllocation.matrix(row, shape));
        }
    }

    /**
     * out = softmax(masked Q K^T / sqrt(d_k)) V per head. Eager: probabilities[b*h + head] keeps the
     * probabilities (and {@code capped} tanh of the soft-capped scores, null without a cap), or, where it
     * is null (selective recomputation), each head's go to the head scratch and are not kept. Flash: {@code logSumExp} keeps one float per row, or, where it is
     * null (selective recomputation), each head's goes to the head scratch.
     */
    void forward(FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj value, FMatrixRMaj[] probabilities,
            FMatrixRMaj[] capped, FMatrixRMaj logSumExp, FMatrixRMaj out) {
        eachGroup((s, b, g) -> {
            gather(s, key, b, g, s.key);
            gather(s, value, b, g, s.value);
            for (int h = g * group; h < (g + 1) * group; h++) {
                gather(s, query, b, h, s.query);
                if (s.flash != null) {
                    float[] lse = logSumExp == null ? s.logSumExp.data : logSumExp.data;
                    s.flash.forward(s.query, s.key, s.value, s.output, lse, logSumExp == null ? 0 : row(b, h));
                } else {
                    FMatrixRMaj p = probabilities == null ? s.probabilities : probabilities[b * heads + h];
                    probabilities(s, p, probabilities == null || capped == null ? s.capped : capped[b * heads + h]);
                    s.weightedSum.forward(p, s.value, s.output);
                }
                scatter(s, s.output, b, h, out);
            }
        });
    }

    /**
     * Differentiates {@link #forward}: dP = dO V^T, dV = P^T dO, dS = P (dP - rowsum(P dP)) / sqrt(d_k),
     * dQ = dS K, dK = dS^T Q; a group's dK and dV are the sums over its query heads. What was not
     * kept (selective recomputation) is recomputed first, exactly as {@link #forward} made it, so the
     * gradients are bit for bit those of keeping it. Flash reads its kept output {@code attentionOut}.
     */
    void backward(FMatrixRMaj dOut, FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj value,
            FMatrixRMaj[] probabilities, FMatrixRMaj[] capped, FMatrixRMaj logSumExp, FMatrixRMaj attentionOut,
            FMatrixRMaj dQuery, FMatrixRMaj dKey, FMatrixRMaj dValue) {
        eachGroup((s, b, g) -> {
            gather(s, key, b, g, s.key);
            gather(s, value, b, g, s.value);
            for (int h = g * group; h < (g + 1) * group; h++) {
                boolean accumulate = h > g * group;
                gather(s, query, b, h, s.query);
                gather(s, dOut, b, h, s.output);
                if (s.flash != null) {
                    flashBackward(s, b, h, logSumExp, attentionOut, accumulate);
                } else {
                    eagerBackward(s, b, h, probabilities, capped, accumulate);
                }
                scatter(s, s.queryGradient, b, h, dQuery);
            }
            scatter(s, s.keyGradient, b, g, dKey);
            scatter(s, s.valueGradient, b, g, dValue);
        });
    }

    /** One head's eager backward, its Q, K, V and dO gathered; the probabilities recomputed where not kept. */
    private void eagerBackward(HeadScratch s, int b, int h, FMatrixRMaj[] probabilities, FMatrixRMaj[] capped,
            boolean accumulate) {
        FMatrixRMaj p;
        FMatrixRMaj t;
        if (probabilities == null) {
            // selective recomputation: the attention core again, its matmul counted as recompute
            p = s.probabilities;
            t = s.capped;
            s.counter.pass(FlopCounter.Pass.RECOMPUTE);
            probabilities(s, p, t);
            s.counter.pass(FlopCounter.Pass.BACKWARD);
        } else {
            p = probabilities[b * heads + h];
            t = capped == null ? null : capped[b * heads + h];
        }
        s.weightedSum.backward(s.output, p, s.value, s.probabilityGradient, s.valueGradient, accumulate);
        s.softmax.backward(p, s.probabilityGradient, t);
        s.scores.backward(s.probabilityGradient, s.query, s.key, s.queryGradient, s.keyGradient, accumulate);
    }

    /**
     * p = softmax(masked Q K^T / sqrt(d_k)) of the gathered head (its scores capped, tanh(s / c) into
     * {@code t}, where t is not null), rounded to bfloat16 under a bf16 policy, as the kept tensors are.
     */
    private void probabilities(HeadScratch s, FMatrixRMaj p, FMatrixRMaj t) {
        s.scores.forward(s.query, s.key, p);
        s.softmax.forward(p, t);
        if (bfloat16Probabilities) {
            long start = s.profile.start();
            BFloat16.roundInPlace(p.data);
            long elements = p.data.length;
            if (t != null) {
                BFloat16.roundInPlace(t.data);
                elements += t.data.length;
            }
            s.profile.stopMoving(OpClass.BF16_CONVERSION, start, elements * Bf16Conversions.ROUND_IN_PLACE_BYTES);
        }
    }

    /** One head's flash backward, its Q, K, V and dO gathered; the log-sum-exp recomputed where not kept. */
    private void flashBackward(HeadScratch s, int b, int h, FMatrixRMaj logSumExp, FMatrixRMaj attentionOut,
            boolean accumulate) {
        float[] lse = logSumExp == null ? s.logSumExp.data : logSumExp.data;
        int from = logSumExp == null ? 0 : row(b, h);
        if (logSumExp == null) {
            s.flash.logSumExp(s.query, s.key, lse, from);
        }
        s.flash.backward(s.query, s.key, s.value, attentionOut, b * context, h * headDim, s.output, lse, from,
                s.queryGradient, s.keyGradient, s.valueGradient, accumulate);
    }

    /** Where sequence b, head h's rows start in the kept (B*h) x T log-sum-exp. */
    private int row(int b, int h) {
        return (b * heads + h) * context;
    }

    private interface GroupWork {
        void run(HeadScratch scratch, int sequence, int kvHead);
    }

    /** Runs {@code work} for every (sequence, key and value head), each part on its own scratch ({@link HeadParts}). */
    private void eachGroup(GroupWork work) {
        parts.each((part, pair) -> work.run(scratch[part], pair / kvHeads, pair % kvHeads));
    }

    /** Copies sequence b, head h of a (B*T) x (heads*d_k) matrix into a T x d_k one, timed as a head copy. */
    private void gather(HeadScratch s, FMatrixRMaj source, int b, int h, FMatrixRMaj head) {
        long start = s.profile.start();
        HeadRows.gather(source.data, source.numCols, context, headDim, b, h, head.data);
        s.profile.stop(OpClass.HEAD_COPY, start);
    }

    /** Copies a T x d_k matrix into sequence b, head h of a (B*T) x (heads*d_k) one, timed as a head copy. */
    private void scatter(HeadScratch s, FMatrixRMaj head, int b, int h, FMatrixRMaj target) {
        long start = s.profile.start();
        HeadRows.scatter(head.data, target.numCols, context, headDim, b, h, target.data);
        s.profile.stop(OpClass.HEAD_COPY, start);
    }
}
