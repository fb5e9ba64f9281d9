package flopcast.measure.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.kernels.Workers;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.api.Test;

/**
 * The vector GEMM against a plain-loop double-precision reference, and against EJML.
 *
 * <p>Tolerance, and why: a float32 dot product of length k has error at most about
 * k * u * sum|a_i b_i| (u = 2^-24, the unit round-off; Higham, Accuracy and Stability, 3.1), whatever
 * the summation order; {@value #ROUNDINGS_PER_TERM} roundings per term leave room for the fused
 * multiply-adds, the blocked partial sums and the reference's own double rounding. A wrong index or a
 * missed edge gives errors of order |c|, far above it.
 */
class VectorGemmTest {
    private static final double UNIT_ROUNDOFF = Math.pow(2, -24);
    private static final int ROUNDINGS_PER_TERM = 2;
    private static final int[][] SHAPES = {
        {1, 1, 1}, {1, 17, 1}, {5, 1, 3}, {7, 13, 11}, {6, 32, 1}, {13, 33, 17}, {31, 29, 37}, {97, 101, 103},
        {64, 64, 64}, {100, 257, 300}, {259, 31, 513}, {300, 2050, 7}};

    /**
     * Each register tile (whichever this machine's vectors call for: the other is slower here, not
     * wrong) on one thread, on two at the production threshold, and on two splitting every product.
     */
    private static List<VectorGemm> gemms() {
        List<VectorGemm> gemms = new ArrayList<>();
        for (RegisterTile tile : RegisterTile.values()) {
            gemms.add(new VectorGemm(new Workers(1), tile, VectorGemm.PARALLEL_THRESHOLD));
            gemms.add(new VectorGemm(new Workers(2), tile, VectorGemm.PARALLEL_THRESHOLD));
            gemms.add(new VectorGemm(new Workers(2), tile, 0));
        }
        return gemms;
    }

    @Test
    void everyTileFitsThePackedRowBlockAndTheEdgeBuffer() {
        // row blocks of MC rows hold whole tiles (tile positions stay put however C is split), and the
        // edge-tile buffer is sized by the tallest tile
        for (RegisterTile tile : RegisterTile.values()) {
            assertEquals(0, VectorGemm.MC % tile.rows, tile + " in MC = " + VectorGemm.MC);
            assertTrue(tile.rows <= RegisterTile.EIGHT_ROWS.rows, tile.toString());
        }
    }

    @Test
    void everyFormMatchesTheReferenceOnRaggedShapes() {
        Random random = new Random(1);
        int checked = 0;
        for (VectorGemm gemm : gemms()) {
            for (int[] shape : SHAPES) {
                for (boolean transA : new boolean[] {false, true}) {
                    for (boolean transB : new boolean[] {false, true}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            check(gemm, shape[0], shape[1], shape[2], transA, transB, accumulate, random);
                            checked++;
                        }
                    }
                }
            }
        }
        assertEquals(RegisterTile.values().length * 3 * SHAPES.length * 8, checked,
                "every tile, threading, shape, form and mode");
    }

    @Test
    void splitProductsEqualOneThreadExactly() {
        // C is cut between whole tiles, never inside a dot product: results are bit-identical, whether
        // rows are split (tall C), columns (wide C), at the production threshold or at every size
        Random random = new Random(2);
        int[][] shapes = {{300, 200, 400}, {200, 300, 400}, {512, 4096, 64}, {97, 101, 103}, {259, 31, 513},
            {31, 259, 513}, {13, 2050, 7}};
        int compared = 0;
        for (RegisterTile tile : RegisterTile.values()) {
            compared += compareSplits(tile, shapes, random);
        }
        assertEquals(RegisterTile.values().length * shapes.length * 8 * 2, compared,
                "every tile, shape, form, mode and split");
    }

    /** One tile's split products against its one-thread products; returns how many it compared. */
    private static int compareSplits(RegisterTile tile, int[][] shapes, Random random) {
        VectorGemm one = new VectorGemm(new Workers(1), tile, VectorGemm.PARALLEL_THRESHOLD);
        VectorGemm[] split = {new VectorGemm(new Workers(2), tile, VectorGemm.PARALLEL_THRESHOLD),
            new VectorGemm(new Workers(2), tile, 0)};
        int compared = 0;
        for (int[] shape : shapes) {
            int m = shape[0];
            int n = shape[1];
            int k = shape[2];
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    float[] a = random(m * k, random);
                    float[] b = random(k * n, random);
                    float[] start = random(m * n, random);
                    for (boolean accumulate : new boolean[] {false, true}) {
                        float[] expected = start.clone();
                        one.gemm(m, n, k, a, transA, b, transB, expected, accumulate);
                        for (VectorGemm gemm : split) {
                            float[] actual = start.clone();
                            gemm.gemm(m, n, k, a, transA, b, transB, actual, accumulate);
                            assertArrayEquals(expected, actual, String.format(
                                    "%s %dx%dx%d transA=%b transB=%b add=%b", tile, m, n, k, transA, transB,
                                    accumulate));
                            compared++;
                        }
                    }
                }
            }
        }
        return compared;
    }

    @Test
    void backendAgreesWithEjmlOnEveryMatmulTheModelUses() {
        Random random = new Random(3);
        MatmulBackend vector = new VectorBackend(2);
        MatmulBackend ejml = MatmulBackend.ejml();
        FMatrixRMaj x = matrix(37, 53, random);
        FMatrixRMaj w = matrix(53, 71, random);
        FMatrixRMaj dy = matrix(37, 71, random);
        FMatrixRMaj c1 = new FMatrixRMaj(37, 71);
        FMatrixRMaj c2 = new FMatrixRMaj(37, 71);
        vector.mult(x, w, c1);
        ejml.mult(x, w, c2);
        assertClose(c1, c2, 53);
        FMatrixRMaj g1 = matrix(53, 71, random);
        FMatrixRMaj g2 = g1.copy();
        vector.multAddTransA(x, dy, g1);
        ejml.multAddTransA(x, dy, g2);
        assertClose(g1, g2, 37);
        FMatrixRMaj d1 = matrix(37, 53, random);
        FMatrixRMaj d2 = d1.copy();
        vector.multAddTransB(dy, w, d1);
        ejml.multAddTransB(dy, w, d2);
        assertClose(d1, d2, 71);
        FMatrixRMaj t1 = new FMatrixRMaj(53, 71);
        FMatrixRMaj t2 = new FMatrixRMaj(53, 71);
        vector.multTransA(x, dy, t1);
        ejml.multTransA(x, dy, t2);
        assertClose(t1, t2, 37);
        FMatrixRMaj s1 = new FMatrixRMaj(37, 53);
        FMatrixRMaj s2 = new FMatrixRMaj(37, 53);
        vector.multTransB(dy, w, s1);
        ejml.multTransB(dy, w, s2);
        assertClose(s1, s2, 71);
    }

    private static void check(VectorGemm gemm, int m, int n, int k, boolean transA, boolean transB,
            boolean accumulate, Random random) {
        float[] a = random(m * k, random);
        float[] b = random(k * n, random);
        float[] c = random(m * n, random);
        float[] start = c.clone();
        gemm.gemm(m, n, k, a, transA, b, transB, c, accumulate);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = accumulate ? start[i * n + j] : 0;
                double magnitude = Math.abs(sum);
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[p * m + i] : a[i * k + p];
                    double bv = transB ? b[j * k + p] : b[p * n + j];
                    sum += av * bv;
                    magnitude += Math.abs(av * bv);
                }
                double bound = ROUNDINGS_PER_TERM * (k + 1) * UNIT_ROUNDOFF * magnitude;
                double error = Math.abs(c[i * n + j] - sum);
                if (error > bound) {
                    fail(String.format("%dx%dx%d transA=%b transB=%b add=%b at (%d,%d): %g vs %g", m, n, k, transA,
                            transB, accumulate, i, j, c[i * n + j], sum));
                }
            }
        }
    }

    private static void assertClose(FMatrixRMaj actual, FMatrixRMaj expected, int k) {
        // both sides carry the float error bound; sum |a b| stays below 4k for these N(0, 1) entries
        double bound = 2 * ROUNDINGS_PER_TERM * (k + 1) * UNIT_ROUNDOFF * 4.0 * k;
        for (int i = 0; i < actual.data.length; i++) {
            assertEquals(expected.data[i], actual.data[i], bound, "element " + i);
        }
    }

    private static float[] random(int size, Random random) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static FMatrixRMaj matrix(int rows, int cols, Random random) {
        FMatrixRMaj matrix = new FMatrixRMaj(rows, cols);
        matrix.data = random(rows * cols, random);
        return matrix;
    }
}
