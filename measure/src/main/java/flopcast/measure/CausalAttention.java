package flopcast.measure;

import flopcast.analytic.Component;
import flopcast.analytic.Shape;
import flopcast.analytic.WorkspaceBuffer;
import org.ejml.data.FMatrixRMaj;

/**
 * Causal multi-head attention over Q, K, V of shape (B*T) x d: per sequence b and head h,
 * P = softmax(Q_bh K_bh^T / sqrt(d_k)) with the upper triangle masked, O_bh = P V_bh. The scores
 * are the full T x T square (counted so); the softmax is {@link CausalSoftmax}, over
 * {@code span} positions.
 */
final class CausalAttention {
    private final CountingOps ops;
    private final int batch;
    private final int context;
    private final int heads;
    private final int headDim;
    /** One per thread: the heads are split across the backend's threads. */
    private final HeadScratch[] scratch;

    /**
     * One thread's head slices (T x d_k) and probability gradient (T x T), with its own counter (merged
     * into the model's after each pass) and softmax. The first thread's buffers are the workspace
     * table's rows; every further thread's are its own copy, thread scratch outside the table (as the
     * vector GEMM's packing buffers are).
     */
    private static final class HeadScratch {
        final FlopCounter counter = new FlopCounter();
        final CountingOps ops;
        final CausalSoftmax softmax;
        final FMatrixRMaj query;
        final FMatrixRMaj key;
        final FMatrixRMaj value;
        final FMatrixRMaj output;
        final FMatrixRMaj queryGradient;
        final FMatrixRMaj keyGradient;
        final FMatrixRMaj valueGradient;
        final FMatrixRMaj probabilityGradient;

        HeadScratch(MatmulBackend backend, int span, int headDim, java.util.function.Function<WorkspaceBuffer,
                FMatrixRMaj> buffer) {
            this.ops = new CountingOps(counter, backend);
            this.softmax = new CausalSoftmax(ops, span, headDim);
            this.query = buffer.apply(WorkspaceBuffer.HEAD_QUERY);
            this.key = buffer.apply(WorkspaceBuffer.HEAD_KEY);
            this.value = buffer.apply(WorkspaceBuffer.HEAD_VALUE);
            this.output = buffer.apply(WorkspaceBuffer.HEAD_OUTPUT);
            this.queryGradient = buffer.apply(WorkspaceBuffer.HEAD_QUERY_GRADIENT);
            this.keyGradient = buffer.apply(WorkspaceBuffer.HEAD_KEY_GRADIENT);
            this.valueGradient = buffer.apply(WorkspaceBuffer.HEAD_VALUE_GRADIENT);
            this.probabilityGradient = buffer.apply(WorkspaceBuffer.HEAD_PROBABILITY_GRADIENT);
        }
    }

    CausalAttention(CountingOps ops, Shape shape, int span, ModelBuffers buffers) {
        this.ops = ops;
        this.batch = Math.toIntExact(shape.batchSize());
        this.context = Math.toIntExact(shape.contextLength());
        this.heads = Math.toIntExact(shape.heads());
        this.headDim = Math.toIntExact(shape.headDim());
        this.scratch = new HeadScratch[ops.workers().parts(batch * heads, 1)];
        for (int part = 0; part < scratch.length; part++) {
            scratch[part] = new HeadScratch(ops.backend(), span, headDim, part == 0 ? buffers::workspace
                    : row -> TensorAllocation.matrices(row, shape)[0]);
        }
    }

    /** probabilities[b*h + head] = softmax of the masked scores; out = P V per head. */
    void forward(FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj value, FMatrixRMaj[] probabilities,
            FMatrixRMaj out) {
        eachHead((s, b, h) -> {
            FMatrixRMaj p = probabilities[b * heads + h];
            gatherHead(s, query, key, value, b, h);
            s.ops.multTransB(Component.ATTENTION_SCORES, s.query, s.key, p);
            s.softmax.forward(p);
            s.ops.mult(Component.ATTENTION_WEIGHTED_SUM, p, s.value, s.output);
            scatter(s.output, b, h, out);
        });
    }

    /**
     * Differentiates {@link #forward}: dP = dO V^T, dV = P^T dO, dS = P (dP - rowsum(P dP)) / sqrt(d_k),
     * dQ = dS K, dK = dS^T Q.
     */
    void backward(FMatrixRMaj dOut, FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj value,
            FMatrixRMaj[] probabilities, FMatrixRMaj dQuery, FMatrixRMaj dKey, FMatrixRMaj dValue) {
        eachHead((s, b, h) -> {
            FMatrixRMaj p = probabilities[b * heads + h];
            gatherHead(s, query, key, value, b, h);
            gather(dOut, b, h, s.output);
            s.ops.multTransB(Component.ATTENTION_WEIGHTED_SUM, s.output, s.value, s.probabilityGradient);
            s.ops.multTransA(Component.ATTENTION_WEIGHTED_SUM, p, s.output, s.valueGradient);
            s.softmax.backward(p, s.probabilityGradient);
            s.ops.mult(Component.ATTENTION_SCORES, s.probabilityGradient, s.key, s.queryGradient);
            s.ops.multTransA(Component.ATTENTION_SCORES, s.probabilityGradient, s.query, s.keyGradient);
            scatter(s.queryGradient, b, h, dQuery);
            scatter(s.keyGradient, b, h, dKey);
            scatter(s.valueGradient, b, h, dValue);
        });
    }

    private interface HeadWork {
        void run(HeadScratch scratch, int sequence, int head);
    }

    /**
     * Runs {@code work} for every (sequence, head), the pairs split across the backend's threads, each
     * part on its own scratch and counter; the counters are then added to the model's.
     */
    private void eachHead(HeadWork work) {
        FlopCounter.Pass pass = ops.counter().pass();
        ops.workers().split(batch * heads, 1, 1, (part, from, to) -> {
            HeadScratch s = scratch[part];
            s.counter.pass(pass);
            for (int bh = from; bh < to; bh++) {
                work.run(s, bh / heads, bh % heads);
            }
            return 0;
        });
        for (HeadScratch s : scratch) {
            ops.counter().add(s.counter);
            s.counter.reset();
        }
    }

    /** Sequence b, head h of Q, K and V into the head scratch. */
    private void gatherHead(HeadScratch s, FMatrixRMaj query, FMatrixRMaj key, FMatrixRMaj value, int b, int h) {
        gather(query, b, h, s.query);
        gather(key, b, h, s.key);
        gather(value, b, h, s.value);
    }

    /** Copies sequence b, head h of a (B*T) x d matrix into a T x d_k one. */
    private void gather(FMatrixRMaj source, int b, int h, FMatrixRMaj head) {
        int width = source.numCols;
        for (int t = 0; t < context; t++) {
            System.arraycopy(source.data, (b * context + t) * width + h * headDim, head.data, t * headDim, headDim);
        }
    }

    /** Copies a T x d_k matrix into sequence b, head h of a (B*T) x d one. */
    private void scatter(FMatrixRMaj head, int b, int h, FMatrixRMaj target) {
        int width = target.numCols;
        for (int t = 0; t < context; t++) {
            System.arraycopy(head.data, t * headDim, target.data, (b * context + t) * width + h * headDim, headDim);
        }
    }
}
