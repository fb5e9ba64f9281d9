package flopcast.measure.model;

import flopcast.measure.buffers.TensorAllocation;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.CountingTest;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import flopcast.analytic.Component;
import flopcast.analytic.Dim;
import flopcast.analytic.ElementwiseFlops;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.Recompute;
import flopcast.analytic.Shape;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Random;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link FlashHead} alone, one head of T x d_k: what its tiles and online softmax must add up to.
 * Its forward output and log-sum-exp equal a softmax written out directly in double precision, and
 * its backward the gradients of that softmax written out (dV = P^T dO, dS = P (dO V^T - rowsum(dO O)),
 * dQ = dS K / sqrt(d_k), dK = dS^T Q / sqrt(d_k)); a query tile is bit for bit the same whether
 * later key tiles follow or not (they are masked: rescale by exp(0), add zeros); the log-sum-exp it
 * recomputes for selective recomputation is the forward's bit for bit; a shared key and value head
 * accumulates; and it counts the full square of tile pairs and analytic's flash constants. Through
 * {@link CausalAttention}, against eager attention and finite differences, it is checked in
 * {@code OpGradientTest} and {@code TransformerModelTest}.
 *
 * <p>Tolerance: float32 sums of at most T = 130 terms of order 1, in tile order, against double:
 * about 1e-6 of the largest element (measured), checked at {@value #FLOAT32_SUMS}.
 */
class FlashHeadTest {
    /** Of each tensor's largest element: float32 tile sums against the double reference. */
    private static final double FLOAT32_SUMS = 1e-5;
    private static final int HEAD_DIM = 4;

    /** One head at context {@code context}, its tiles, and a counter. */
    private static final class Head {
        final Shape shape;
        final FlopCounter counter = new FlopCounter();
        final FlashHead flash;

        Head(int context) {
            this(context, flopcast.analytic.Architecture.NO_WINDOW);
        }

        /** A head whose queries see at most {@code window} keys (none: every earlier one). */
        Head(int context, long window) {
            shape = CountingTest.flash(new Shape(5, context, 1, HEAD_DIM, 1, 8, 1, new flopcast.analytic.Architecture(1,
                    false, flopcast.analytic.LinearBias.NONE, 0, false, window)), Recompute.NONE);
            flash = new FlashHead(new CountingOps(counter, MatmulBackend.ejml()), shape,
                    row -> TensorAllocation.matrix(row, shape));
        }
    }

    @ParameterizedTest(name = "T = {0}")
    @ValueSource(ints = {1, 5, 64, 65, 130})
    void forwardIsTheDirectSoftmaxAndItsLogSumExp(int context) {
        Random random = new Random(context);
        FMatrixRMaj q = gaussian(context, random);
        FMatrixRMaj k = gaussian(context, random);
        FMatrixRMaj v = gaussian(context, random);
        FMatrixRMaj out = new FMatrixRMaj(context, HEAD_DIM);
        float[] lse = new float[context];
        new Head(context).flash.forward(q, k, v, out, lse, 0);
        Reference reference = new Reference(q, k, v, gaussian(context, random));
        assertClose(reference.out, out.data, "output");
        assertClose(reference.logSumExp, lse, "log-sum-exp");
    }

    @ParameterizedTest(name = "T = {0}")
    @ValueSource(ints = {3, 64, 130})
    void backwardIsTheDirectSoftmaxsGradient(int context) {
        Random random = new Random(context + 1);
        FMatrixRMaj q = gaussian(context, random);
        FMatrixRMaj k = gaussian(context, random);
        FMatrixRMaj v = gaussian(context, random);
        FMatrixRMaj dOut = gaussian(context, random);
        Reference reference = new Reference(q, k, v, dOut);
        Gradients flash = new Gradients(context);
        flash.run(new Head(context), q, k, v, dOut, false);
        assertClose(reference.dQuery, flash.dQuery.data, "dQ");
        assertClose(reference.dKey, flash.dKey.data, "dK");
        assertClose(reference.dValue, flash.dValue.data, "dV");
    }

    /**
     * A sliding window masks the keys more than w - 1 before each query, inside a tile and across
     * tiles (a query's early key tiles wholly before its window): forward, log-sum-exp and every
     * gradient are the direct softmax's over the window.
     */
    @ParameterizedTest(name = "T = {0}, w = {1}")
    @org.junit.jupiter.params.provider.CsvSource({"5, 2", "130, 20", "150, 70", "65, 64"})
    void aWindowedHeadIsTheDirectSoftmaxOverItsWindow(int context, int window) {
        Random random = new Random(context * 31L + window);
        FMatrixRMaj q = gaussian(context, random);
        FMatrixRMaj k = gaussian(context, random);
        FMatrixRMaj v = gaussian(context, random);
        FMatrixRMaj dOut = gaussian(context, random);
        Reference reference = new Reference(q, k, v, dOut, window);
        FMatrixRMaj out = new FMatrixRMaj(context, HEAD_DIM);
        float[] lse = new float[context];
        new Head(context, window).flash.forward(q, k, v, out, lse, 0);
        assertClose(reference.out, out.data, "output");
        assertClose(reference.logSumExp, lse, "log-sum-exp");
        Gradients flash = new Gradients(context);
        flash.run(new Head(context, window), q, k, v, dOut, false);
        assertClose(reference.dQuery, flash.dQuery.data, "dQ");
        assertClose(reference.dKey, flash.dKey.data, "dK");
        assertClose(reference.dValue, flash.dValue.data, "dV");
    }

    /**
     * Rows 0..63 of a T = 130 head (3 key tiles, the last ragged) are those of a T = 64 head on the
     * same first 64 positions, bit for bit: the causal mask leaves later tiles nothing to add.
     */
    @Test
    void aQueryTileIsTheSameWhetherLaterKeyTilesFollowOrNot() {
        int tile = Math.toIntExact(Dim.FLASH_TILE);
        Random random = new Random(9);
        FMatrixRMaj q = gaussian(130, random);
        FMatrixRMaj k = gaussian(130, random);
        FMatrixRMaj v = gaussian(130, random);
        FMatrixRMaj out = new FMatrixRMaj(130, HEAD_DIM);
        float[] lse = new float[130];
        new Head(130).flash.forward(q, k, v, out, lse, 0);
        FMatrixRMaj shortOut = new FMatrixRMaj(tile, HEAD_DIM);
        float[] shortLse = new float[tile];
        new Head(tile).flash.forward(prefix(q, tile), prefix(k, tile), prefix(v, tile), shortOut, shortLse, 0);
        assertArrayEquals(shortOut.data, Arrays.copyOf(out.data, tile * HEAD_DIM));
        assertArrayEquals(shortLse, Arrays.copyOf(lse, tile));
    }

    /** Selective recomputation's log-sum-exp from Q and K alone is the forward's, bit for bit, at an offset. */
    @Test
    void recomputedLogSumExpIsTheForwardsBitForBit() {
        Random random = new Random(4);
        FMatrixRMaj q = gaussian(130, random);
        FMatrixRMaj k = gaussian(130, random);
        float[] kept = new float[130];
        new Head(130).flash.forward(q, k, gaussian(130, random), new FMatrixRMaj(130, HEAD_DIM), kept, 0);
        float[] recomputed = new float[7 + 130];
        new Head(130).flash.logSumExp(q, k, recomputed, 7);
        assertArrayEquals(kept, Arrays.copyOfRange(recomputed, 7, 7 + 130));
    }

    /**
     * A key and value head shared by two query heads: the second backward with accumulation adds its
     * dK and dV to the first's and writes its own dQ; the output is read at its offset in the kept
     * (B*T) x d attention output.
     */
    @Test
    void aSharedKeyValueHeadAccumulatesAndTheOutputIsReadAtItsOffset() {
        int context = 70;
        Random random = new Random(2);
        FMatrixRMaj k = gaussian(context, random);
        FMatrixRMaj v = gaussian(context, random);
        FMatrixRMaj[] q = {gaussian(context, random), gaussian(context, random)};
        FMatrixRMaj[] dOut = {gaussian(context, random), gaussian(context, random)};
        Gradients shared = new Gradients(context);
        Gradients[] alone = {new Gradients(context), new Gradients(context)};
        for (int h = 0; h < 2; h++) {
            alone[h].run(new Head(context), q[h], k, v, dOut[h], false);
            shared.run(new Head(context), q[h], k, v, dOut[h], h > 0);
        }
        assertArrayEquals(alone[1].dQuery.data, shared.dQuery.data, "dQ is written, not added");
        for (int i = 0; i < context * HEAD_DIM; i++) {
            assertEquals(alone[0].dKey.data[i] + alone[1].dKey.data[i], shared.dKey.data[i],
                    FLOAT32_SUMS * largest(shared.dKey.data), "dK[" + i + "]");
            assertEquals(alone[0].dValue.data[i] + alone[1].dValue.data[i], shared.dValue.data[i],
                    FLOAT32_SUMS * largest(shared.dValue.data), "dV[" + i + "]");
        }
    }

    /**
     * T = 130 (tiles of 64, 64 and 2): forward counts the full square of Q K^T and P V tile pairs,
     * 2*T*T*d_k each, and analytic's flash forward constants; backward twice each product, Q K^T once
     * more in the recompute pass, and the flash backward constants; the log-sum-exp recomputation
     * only Q K^T, in the recompute pass, and its constants.
     */
    @Test
    void countsAreAnalyticsForOneHead() {
        int context = 130;
        Random random = new Random(1);
        FMatrixRMaj q = gaussian(context, random);
        FMatrixRMaj k = gaussian(context, random);
        FMatrixRMaj v = gaussian(context, random);
        FMatrixRMaj out = new FMatrixRMaj(context, HEAD_DIM);
        Head head = new Head(context);
        long tile = Dim.TILE.size(head.shape);
        long square = MatmulFlops.forward(Component.ATTENTION_SCORES, head.shape).longValueExact();
        assertEquals(2L * context * context * HEAD_DIM, square);
        FlopCounter counter = head.counter;
        counter.pass(FlopCounter.Pass.FORWARD);
        head.flash.forward(q, k, v, out, new float[context], 0);
        assertEquals(square, counter.forwardMatmulFlops(Component.ATTENTION_SCORES));
        assertEquals(square, counter.forwardMatmulFlops(Component.ATTENTION_WEIGHTED_SUM));
        assertEquals(ElementwiseFlops.flashForward(context, HEAD_DIM, tile), elementwise(counter));
        assertEquals(ElementwiseFlops.forward(Component.ATTENTION_SOFTMAX, head.shape), elementwise(counter));

        counter.reset();
        counter.pass(FlopCounter.Pass.BACKWARD);
        float[] lse = new float[context];
        head.flash.logSumExp(q, k, lse, 0);
        assertEquals(square, counter.recomputeMatmulFlops(Component.ATTENTION_SCORES));
        assertEquals(0, counter.forwardMatmulFlops() + counter.backwardMatmulFlops());
        assertEquals(ElementwiseFlops.flashLogSumExp(context, tile), elementwise(counter));
        assertEquals(FlopCounter.Pass.BACKWARD, counter.pass(), "the pass it found is restored");

        counter.reset();
        counter.pass(FlopCounter.Pass.BACKWARD);
        FMatrixRMaj d = new FMatrixRMaj(context, HEAD_DIM);
        head.flash.backward(q, k, v, out, 0, 0, gaussian(context, random), lse, 0, d, new FMatrixRMaj(context,
                HEAD_DIM), new FMatrixRMaj(context, HEAD_DIM), false);
        assertEquals(2 * square, counter.backwardMatmulFlops(Component.ATTENTION_SCORES));
        assertEquals(2 * square, counter.backwardMatmulFlops(Component.ATTENTION_WEIGHTED_SUM));
        assertEquals(square, counter.recomputeMatmulFlops(Component.ATTENTION_SCORES));
        assertEquals(square, counter.recomputeMatmulFlops());
        assertEquals(0, counter.forwardMatmulFlops());
        assertEquals(ElementwiseFlops.flashBackward(context, HEAD_DIM, tile), elementwise(counter));
        assertEquals(ElementwiseFlops.backward(Component.ATTENTION_SOFTMAX, head.shape), elementwise(counter));
    }

    /** The head's counted elementwise FLOPs, all under the softmax. */
    private static BigInteger elementwise(FlopCounter counter) {
        assertEquals(counter.elementwiseFlops(), counter.elementwiseFlops(Component.ATTENTION_SOFTMAX));
        return BigInteger.valueOf(counter.elementwiseFlops());
    }

    /** dQ, dK, dV of one head's backward, its forward run first for the output and log-sum-exp. */
    private static final class Gradients {
        final FMatrixRMaj dQuery;
        final FMatrixRMaj dKey;
        final FMatrixRMaj dValue;
        private final int context;

        Gradients(int context) {
            this.context = context;
            dQuery = new FMatrixRMaj(context, HEAD_DIM);
            dKey = new FMatrixRMaj(context, HEAD_DIM);
            dValue = new FMatrixRMaj(context, HEAD_DIM);
        }

        /** The output kept at rows 3.., columns 2.. of a wider matrix, as one head of a (B*T) x d one. */
        void run(Head head, FMatrixRMaj q, FMatrixRMaj k, FMatrixRMaj v, FMatrixRMaj dOut, boolean accumulate) {
            FMatrixRMaj out = new FMatrixRMaj(context, HEAD_DIM);
            float[] lse = new float[context];
            head.flash.forward(q, k, v, out, lse, 0);
            FMatrixRMaj kept = new FMatrixRMaj(context + 3, HEAD_DIM + 2);
            Arrays.fill(kept.data, Float.NaN);
            for (int t = 0; t < context; t++) {
                System.arraycopy(out.data, t * HEAD_DIM, kept.data, (t + 3) * kept.numCols + 2, HEAD_DIM);
            }
            head.flash.backward(q, k, v, kept, 3, 2, dOut, lse, 0, dQuery, dKey, dValue, accumulate);
        }
    }

    /** Attention of one head written out in double: scores, softmax, output, log-sum-exp and gradients. */
    private static final class Reference {
        final float[] out;
        final float[] logSumExp;
        final float[] dQuery;
        final float[] dKey;
        final float[] dValue;

        Reference(FMatrixRMaj q, FMatrixRMaj k, FMatrixRMaj v, FMatrixRMaj dOut) {
            this(q, k, v, dOut, q.numRows);
        }

        /** Each query over the {@code span} keys up to itself. */
        Reference(FMatrixRMaj q, FMatrixRMaj k, FMatrixRMaj v, FMatrixRMaj dOut, int span) {
            int context = q.numRows;
            double scale = 1 / Math.sqrt(HEAD_DIM);
            double[][] p = new double[context][context];
            out = new float[context * HEAD_DIM];
            logSumExp = new float[context];
            for (int i = 0; i < context; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = Math.max(0, i - span + 1); j <= i; j++) {
                    p[i][j] = dot(q, i, k, j) * scale;
                    max = Math.max(max, p[i][j]);
                }
                double sum = 0;
                for (int j = Math.max(0, i - span + 1); j <= i; j++) {
                    sum += Math.exp(p[i][j] - max);
                }
                double lse = max + Math.log(sum);
                logSumExp[i] = (float) lse;
                for (int j = Math.max(0, i - span + 1); j <= i; j++) {
                    p[i][j] = Math.exp(p[i][j] - lse);
                    for (int c = 0; c < HEAD_DIM; c++) {
                        out[i * HEAD_DIM + c] += (float) (p[i][j] * v.get(j, c));
                    }
                }
            }
            double[] dq = new double[context * HEAD_DIM];
            double[] dk = new double[context * HEAD_DIM];
            double[] dv = new double[context * HEAD_DIM];
            for (int i = 0; i < context; i++) {
                double[] dp = new double[i + 1];
                double rowSum = 0;
                for (int j = Math.max(0, i - span + 1); j <= i; j++) {
                    dp[j] = dot(dOut, i, v, j);
                    rowSum += p[i][j] * dp[j];
                }
                for (int j = Math.max(0, i - span + 1); j <= i; j++) {
                    double ds = p[i][j] * (dp[j] - rowSum) * scale;
                    for (int c = 0; c < HEAD_DIM; c++) {
                        dv[j * HEAD_DIM + c] += p[i][j] * dOut.get(i, c);
                        dq[i * HEAD_DIM + c] += ds * k.get(j, c);
                        dk[j * HEAD_DIM + c] += ds * q.get(i, c);
                    }
                }
            }
            dQuery = floats(dq);
            dKey = floats(dk);
            dValue = floats(dv);
        }

        private static double dot(FMatrixRMaj a, int row, FMatrixRMaj b, int other) {
            double sum = 0;
            for (int c = 0; c < HEAD_DIM; c++) {
                sum += (double) a.get(row, c) * b.get(other, c);
            }
            return sum;
        }

        private static float[] floats(double[] values) {
            float[] result = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                result[i] = (float) values[i];
            }
            return result;
        }
    }

    private static void assertClose(float[] expected, float[] actual, String name) {
        assertEquals(expected.length, actual.length, name);
        double tolerance = FLOAT32_SUMS * Math.max(largest(expected), 1e-30);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, name + "[" + i + "]");
        }
    }

    private static float largest(float[] values) {
        float largest = 0;
        for (float value : values) {
            largest = Math.max(largest, Math.abs(value));
        }
        return largest;
    }

    private static FMatrixRMaj gaussian(int context, Random random) {
        FMatrixRMaj matrix = new FMatrixRMaj(context, HEAD_DIM);
        FiniteDifference.fillGaussian(matrix.data, random, 1);
        return matrix;
    }

    /** The first {@code rows} rows. */
    private static FMatrixRMaj prefix(FMatrixRMaj matrix, int rows) {
        FMatrixRMaj first = new FMatrixRMaj(rows, matrix.numCols);
        System.arraycopy(matrix.data, 0, first.data, 0, rows * matrix.numCols);
        return first;
    }
}
