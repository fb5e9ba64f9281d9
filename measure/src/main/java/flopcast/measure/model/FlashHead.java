package flopcast.measure.model;

import static flopcast.analytic.ElementwiseFlops.ADD;
import static flopcast.analytic.ElementwiseFlops.FLASH_BACKWARD_D_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.FLASH_BACKWARD_PER_ENTRY;
import static flopcast.analytic.ElementwiseFlops.FLASH_FORWARD_PER_ENTRY;
import static flopcast.analytic.ElementwiseFlops.FLASH_FORWARD_PER_ROW;
import static flopcast.analytic.ElementwiseFlops.FLASH_FORWARD_PER_ROW_TILE;
import static flopcast.analytic.ElementwiseFlops.FLASH_LOGSUMEXP_PER_ROW;
import static flopcast.analytic.ElementwiseFlops.SOFTCAP_BACKWARD_PER_VALUE;
import static flopcast.analytic.ElementwiseFlops.SOFTCAP_FORWARD_PER_VALUE;

import flopcast.analytic.Component;
import flopcast.analytic.Dim;
import flopcast.analytic.Shape;
import flopcast.analytic.WorkspaceBuffer;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.counting.OpClass;
import flopcast.measure.counting.OpProfile;
import flopcast.measure.kernels.Arithmetic;
import flopcast.measure.kernels.ElementwiseKernels;
import java.util.Arrays;
import java.util.function.Function;
import org.ejml.data.FMatrixRMaj;

/**
 * Flash attention of one head (Dao et al. 2022, Algorithms 1 and 2), in tiles of t_b = min(T, 64)
 * query and key positions: the forward pass keeps the output and one log-sum-exp per row, with an
 * online softmax over the key tiles; the backward pass recomputes each tile's scores (counted in the
 * recompute pass) and never holds a T x T matrix. Every tile pair is computed, masked entries set
 * (the full square, as the eager kernel and {@link flopcast.analytic.MatmulFlops} count it): after
 * the query (causal) and, under a sliding window shorter than the context, more than w - 1 before it. The
 * elementwise costs are {@link flopcast.analytic.ElementwiseFlops}' FLASH constants, every scalar
 * step through the kernels' {@link Arithmetic}. Its own loops (the online softmax, the rescaling and
 * the tile accumulations, whose FLOPs are the softmax's) are timed as the softmax, its tile copies as
 * head copies, between the facade's matmuls. Soft-capped scores ({@link flopcast.analytic.SoftCap}) are
 * capped after their scale in each pass that computes them, the backward's tanh(s / c) into one tile
 * for dS through the cap. Pinned by {@code FlashHeadTest}.
 */
final class FlashHead {
    private final CountingOps ops;
    private final FlopCounter counter;
    private final OpProfile profile;
    private final int context;
    /** Keys a query attends to, itself included: the context, or a sliding window shorter than it. */
    private final int span;
    /** Whose elementwise FLOPs it executes: the softmax's, or the global layers' beside windowed ones. */
    private final Component component;
    private final int headDim;
    private final int tile;
    private final float scale;
    /** The scores' soft-cap c, or 0 for none. */
    private final float cap;
    /** One tile's tanh(s / c) under a cap; null without. */
    private float[] capped;
    /**
     * The workspace rows the statistics live in, held as matrices and their floats read as each pass starts
     * ({@link #arrays}): the pool may have given the workspace back and allocated it anew between steps.
     */
    private final FMatrixRMaj cappedBuffer;
    private final FMatrixRMaj rowMaxBuffer;
    private final FMatrixRMaj rowSumBuffer;
    private final FMatrixRMaj alphaBuffer;
    private final FMatrixRMaj query;
    private final FMatrixRMaj key;
    private final FMatrixRMaj value;
    private final FMatrixRMaj outputGradient;
    private final FMatrixRMaj product;
    private final FMatrixRMaj scores;
    private final FMatrixRMaj gradient;
    private float[] rowMax;
    private float[] rowSum;
    /** Each tile row's rescale factor exp(m - m'). */
    private float[] alpha;

    FlashHead(CountingOps ops, Shape shape, Function<WorkspaceBuffer, FMatrixRMaj> buffer) {
        this(ops, shape, Math.toIntExact(shape.attentionSpan()), Component.ATTENTION_SOFTMAX, buffer);
    }

    /** As above, over at most {@code span} keys a query, its elementwise FLOPs recorded as {@code component}'s. */
    FlashHead(CountingOps ops, Shape shape, int span, Component component,
            Function<WorkspaceBuffer, FMatrixRMaj> buffer) {
        this.ops = ops;
        this.counter = ops.counter();
        this.profile = counter.profile();
        this.context = Math.toIntExact(shape.contextLength());
        this.span = span;
        this.component = component;
        this.headDim = Math.toIntExact(shape.headDim());
        this.tile = Math.toIntExact(Dim.TILE.size(shape));
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.cap = (float) shape.architecture().softCap().attention();
        this.cappedBuffer = cap > 0 ? buffer.apply(WorkspaceBuffer.TILE_SOFTCAP) : null;
        this.query = buffer.apply(WorkspaceBuffer.TILE_QUERY);
        this.key = buffer.apply(WorkspaceBuffer.TILE_KEY);
        this.value = buffer.apply(WorkspaceBuffer.TILE_VALUE);
        this.outputGradient = buffer.apply(WorkspaceBuffer.TILE_OUTPUT_GRADIENT);
        this.product = buffer.apply(WorkspaceBuffer.TILE_PRODUCT);
        this.scores = buffer.apply(WorkspaceBuffer.TILE_SCORES);
        this.gradient = buffer.apply(WorkspaceBuffer.TILE_GRADIENT);
        this.rowMaxBuffer = buffer.apply(WorkspaceBuffer.ROW_MAX);
        this.rowSumBuffer = buffer.apply(WorkspaceBuffer.ROW_SUM);
        this.alphaBuffer = buffer.apply(WorkspaceBuffer.ROW_SCALE);
    }

    /** The statistics' floats, read from their workspace rows as a pass starts. */
    private void arrays() {
        capped = cappedBuffer == null ? null : cappedBuffer.data;
        rowMax = rowMaxBuffer.data;
        rowSum = rowSumBuffer.data;
        alpha = alphaBuffer.data;
    }

    /** Lets go of the statistics' floats as a pass ends, so that none outlives the workspace row it came from. */
    private void forgetArrays() {
        capped = null;
        rowMax = null;
        rowSum = null;
        alpha = null;
    }

    /** out = softmax(masked q k^T / sqrt(d_k)) v, T x d_k each; lse[from + t] = the row's log-sum-exp. */
    void forward(FMatrixRMaj q, FMatrixRMaj k, FMatrixRMaj v, FMatrixRMaj out, float[] lse, int from) {
        arrays();
        ElementwiseKernels kernels = ops.kernels();
        Arithmetic f = kernels.arithmetic();
        float[] o = out.data;
        long start = profile.start();
        resetStatistics();
        Arrays.fill(o, 0, context * headDim, 0f);
        profile.stop(OpClass.ATTENTION_SOFTMAX, start);
        long flops = 0;
        for (int i0 = 0; i0 < context; i0 += tile) {
            int ti = Math.min(tile, context - i0);
            rows(q, i0, ti, query);
            for (int j0 = 0; j0 < context; j0 += tile) {
                int tj = Math.min(tile, context - j0);
                scoreTile(k, j0, tj, ti);
                rows(v, j0, tj, value);
                start = profile.start();
                flops += statistics(f, i0, ti, j0, tj);
                for (int r = 0; r < ti; r++) {
                    int row = i0 + r;
                    for (int c = 0; c < headDim; c++) {
                        o[row * headDim + c] = f.mul(o[row * headDim + c], alpha[r]);
                    }
                    flops += headDim;
                }
                profile.stop(OpClass.ATTENTION_SOFTMAX, start);
                product.reshape(ti, headDim);
                ops.mult(Component.ATTENTION_WEIGHTED_SUM, scores, value, product);
                start = profile.start();
                kernels.accumulate(o, i0 * headDim, product.data, 0, ti * headDim);
                profile.stop(OpClass.ATTENTION_SOFTMAX, start);
                flops += ADD * ti * headDim;
            }
        }
        start = profile.start();
        for (int row = 0; row < context; row++) {
            float inverse = f.div(1f, rowSum[row]);
            for (int c = 0; c < headDim; c++) {
                o[row * headDim + c] = f.mul(o[row * headDim + c], inverse);
            }
            lse[from + row] = (float) f.add((double) rowMax[row], f.log(rowSum[row]));
            flops += FLASH_FORWARD_PER_ROW + headDim;
        }
        profile.stop(OpClass.ATTENTION_SOFTMAX, start);
        ops.elementwise(component, flops);
        forgetArrays();
    }

    /**
     * Differentiates {@link #forward} from q, k, v, its output (rows {@code outRow}.., columns
     * {@code outColumn}.. of the kept (B*T) x d attention output), dO ({@code dOut}) and the kept
     * log-sum-exp: dQ is written; dK and dV are written, or added to where
     * {@code accumulateKeyValue} (a key and value head shared by several query heads).
     */
    void backward(FMatrixRMaj q, FMatrixRMaj k, FMatrixRMaj v, FMatrixRMaj out, int outRow, int outColumn,
            FMatrixRMaj dOut, float[] lse, int from, FMatrixRMaj dQuery, FMatrixRMaj dKey, FMatrixRMaj dValue,
            boolean accumulateKeyValue) {
        arrays();
        ElementwiseKernels kernels = ops.kernels();
        Arithmetic f = kernels.arithmetic();
        float[] delta = rowSum;
        long flops = 0;
        int width = out.numCols;
        long start = profile.start();
        for (int row = 0; row < context; row++) {
            float dot = 0f;
            int at = (outRow + row) * width + outColumn;
            for (int c = 0; c < headDim; c++) {
                dot = f.add(dot, f.mul(dOut.data[row * headDim + c], out.data[at + c]));
            }
            delta[row] = dot;
        }
        flops += FLASH_BACKWARD_D_PER_ELEMENT * (long) context * headDim;
        Arrays.fill(dQuery.data, 0, context * headDim, 0f);
        if (!accumulateKeyValue) {
            Arrays.fill(dKey.data, 0, context * headDim, 0f);
            Arrays.fill(dValue.data, 0, context * headDim, 0f);
        }
        profile.stop(OpClass.ATTENTION_SOFTMAX, start);
        for (int i0 = 0; i0 < context; i0 += tile) {
            int ti = Math.min(tile, context - i0);
            rows(q, i0, ti, query);
            rows(dOut, i0, ti, outputGradient);
            for (int j0 = 0; j0 < context; j0 += tile) {
                int tj = Math.min(tile, context - j0);
                FlopCounter.Pass pass = counter.pass();
                counter.pass(FlopCounter.Pass.RECOMPUTE);
                scoreTile(k, j0, tj, ti);
                counter.pass(pass);
                rows(v, j0, tj, value);
                start = profile.start();
                float[] s = scores.data;
                for (int r = 0; r < ti; r++) {
                    int row = i0 + r;
                    int first = firstSeen(row, j0, tj);
                    int seen = lastSeen(row, j0, tj, first);
                    for (int c = first; c < seen; c++) {
                        float scaled = f.mul(s[r * tj + c], scale);
                        if (cap > 0) {
                            scaled = SoftCapping.cap(f, scaled, cap, capped, r * tj + c);
                        }
                        s[r * tj + c] = f.exp(f.sub(scaled, lse[from + row]));
                    }
                    mask(s, r * tj, first, seen, tj);
                }
                profile.stop(OpClass.ATTENTION_SOFTMAX, start);
                product.reshape(tj, headDim);
                ops.multTransA(Component.ATTENTION_WEIGHTED_SUM, scores, outputGradient, product);
                start = profile.start();
                kernels.accumulate(dValue.data, j0 * headDim, product.data, 0, tj * headDim);
                profile.stop(OpClass.ATTENTION_SOFTMAX, start);
                gradient.reshape(ti, tj);
                ops.multTransB(Component.ATTENTION_WEIGHTED_SUM, outputGradient, value, gradient);
                start = profile.start();
                float[] g = gradient.data;
                for (int r = 0; r < ti; r++) {
                    int row = i0 + r;
                    int first = firstSeen(row, j0, tj);
                    int seen = lastSeen(row, j0, tj, first);
                    for (int c = first; c < seen; c++) {
                        float dCapped = f.mul(s[r * tj + c], f.sub(g[r * tj + c], delta[row]));
                        if (cap > 0) {
                            dCapped = SoftCapping.through(f, dCapped, capped[r * tj + c]);
                        }
                        g[r * tj + c] = f.mul(dCapped, scale);
                    }
                    mask(g, r * tj, first, seen, tj);
                    flops += (FLASH_BACKWARD_PER_ENTRY
                            + (cap > 0 ? SOFTCAP_FORWARD_PER_VALUE + SOFTCAP_BACKWARD_PER_VALUE : 0)) * (seen - first);
                }
                profile.stop(OpClass.ATTENTION_SOFTMAX, start);
                product.reshape(ti, headDim);
                ops.mult(Component.ATTENTION_SCORES, gradient, key, product);
                start = profile.start();
                kernels.accumulate(dQuery.data, i0 * headDim, product.data, 0, ti * headDim);
                profile.stop(OpClass.ATTENTION_SOFTMAX, start);
                product.reshape(tj, headDim);
                ops.multTransA(Component.ATTENTION_SCORES, gradient, query, product);
                start = profile.start();
                kernels.accumulate(dKey.data, j0 * headDim, product.data, 0, tj * headDim);
                profile.stop(OpClass.ATTENTION_SOFTMAX, start);
                flops += ADD * (long) (ti + 2 * tj) * headDim;
            }
        }
        ops.elementwise(component, flops);
        forgetArrays();
    }

    /**
     * Recomputes {@link #forward}'s log-sum-exp from q and k alone (selective recomputation):
     * the online softmax statistics over the key tiles, each tile's Q K^T in the recompute pass.
     */
    void logSumExp(FMatrixRMaj q, FMatrixRMaj k, float[] lse, int from) {
        arrays();
        Arithmetic f = ops.kernels().arithmetic();
        FlopCounter.Pass pass = counter.pass();
        counter.pass(FlopCounter.Pass.RECOMPUTE);
        long start = profile.start();
        resetStatistics();
        profile.stop(OpClass.ATTENTION_SOFTMAX, start);
        long flops = 0;
        for (int i0 = 0; i0 < context; i0 += tile) {
            int ti = Math.min(tile, context - i0);
            rows(q, i0, ti, query);
            for (int j0 = 0; j0 < context; j0 += tile) {
                int tj = Math.min(tile, context - j0);
                scoreTile(k, j0, tj, ti);
                start = profile.start();
                flops += statistics(f, i0, ti, j0, tj);
                profile.stop(OpClass.ATTENTION_SOFTMAX, start);
            }
        }
        start = profile.start();
        for (int row = 0; row < context; row++) {
            lse[from + row] = (float) f.add((double) rowMax[row], f.log(rowSum[row]));
            flops += FLASH_LOGSUMEXP_PER_ROW;
        }
        profile.stop(OpClass.ATTENTION_SOFTMAX, start);
        counter.pass(pass);
        ops.elementwise(component, flops);
        forgetArrays();
    }

    /**
     * The online softmax over one tile of scores (query rows i0.., key columns j0..): each row's
     * unmasked entries scaled, the running max and sum updated, the entries replaced by
     * exp(s - max), the masked ones set to 0, and each row's rescale factor exp(m - m') left in
     * {@link #alpha}. Returns the FLOPs it executed.
     */
    private long statistics(Arithmetic f, int i0, int ti, int j0, int tj) {
        float[] s = scores.data;
        long flops = 0;
        for (int r = 0; r < ti; r++) {
            int row = i0 + r;
            int first = firstSeen(row, j0, tj);
            int seen = lastSeen(row, j0, tj, first);
            float max = rowMax[row];
            for (int c = first; c < seen; c++) {
                s[r * tj + c] = f.mul(s[r * tj + c], scale);
                if (cap > 0) {
                    s[r * tj + c] = SoftCapping.cap(f, s[r * tj + c], cap, capped, r * tj + c);
                }
                max = f.max(max, s[r * tj + c]);
            }
            // a row whose keys so far all lie before its window has max -infinity still: nothing to rescale
            float rescale = f.exp(f.sub(rowMax[row], max));
            alpha[r] = Float.isNaN(rescale) ? 1f : rescale;
            float sum = 0f;
            for (int c = first; c < seen; c++) {
                float p = f.exp(f.sub(s[r * tj + c], max));
                s[r * tj + c] = p;
                sum = f.add(sum, p);
            }
            mask(s, r * tj, first, seen, tj);
            rowSum[row] = f.add(f.mul(rowSum[row], alpha[r]), sum);
            rowMax[row] = max;
            flops += (FLASH_FORWARD_PER_ENTRY + (cap > 0 ? SOFTCAP_FORWARD_PER_VALUE : 0)) * (seen - first)
                    + FLASH_FORWARD_PER_ROW_TILE;
        }
        return flops;
    }

    /**
     * The first column of the key tile at {@code j0} that query {@code row} sees, past those before its
     * window; tj where the whole tile lies before it.
     */
    private int firstSeen(int row, int j0, int tj) {
        return Math.min(tj, Math.max(0, row - span + 1 - j0));
    }

    /** One past the last column it sees (the causal bound), at least {@code first}: [first, seen) are unmasked. */
    private static int lastSeen(int row, int j0, int tj, int first) {
        return Math.max(first, Math.min(row - j0 + 1, tj));
    }

    /** Sets a tile row's masked entries, [0, first) and [seen, tj), to 0. */
    private static void mask(float[] tileValues, int rowStart, int first, int seen, int tj) {
        Arrays.fill(tileValues, rowStart, rowStart + first, 0f);
        Arrays.fill(tileValues, rowStart + seen, rowStart + tj, 0f);
    }

    /** The query tile's scores against key rows j0..j0+tj of {@code k}: S = Q_i K_j^T, ti x tj. */
    private void scoreTile(FMatrixRMaj k, int j0, int tj, int ti) {
        rows(k, j0, tj, key);
        scores.reshape(ti, tj);
        ops.multTransB(Component.ATTENTION_SCORES, query, key, scores);
    }

    /** Every row's running max at -infinity and running sum at 0, before the first key tile. */
    private void resetStatistics() {
        Arrays.fill(rowMax, 0, context, Float.NEGATIVE_INFINITY);
        Arrays.fill(rowSum, 0, context, 0f);
    }

    /** Rows from..from+count of a T x d_k head matrix into a tile, timed as a head copy. */
    private void rows(FMatrixRMaj head, int from, int count, FMatrixRMaj into) {
        long start = profile.start();
        into.reshape(count, headDim);
        System.arraycopy(head.data, from * headDim, into.data, 0, count * headDim);
        profile.stop(OpClass.HEAD_COPY, start);
    }
}
