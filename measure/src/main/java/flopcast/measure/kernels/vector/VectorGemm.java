package flopcast.measure.kernels.vector;

import flopcast.measure.kernels.Workers;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C (m x n) = op(A) op(B), or C += op(A) op(B), for row-major float arrays, op being the identity
 * or the transpose. BLIS loop order: for each KC-deep slice of the shared dimension and NC-wide
 * slice of B, pack that slice of B into NR-column panels; for each MC-tall slice of A, pack it into
 * MR-row panels; then an MR x NR register tile ({@link RegisterTile}: 6 or 8 rows by 2 vectors, as
 * the machine's vector registers allow; {@link MicroKernels}) runs over every panel pair. Packing
 * reads A and B with their strides, so the transposed forms cost the same after packing; panels
 * are zero-padded (in depth to an even count too), whole tiles start from and end in C, and edge
 * tiles go through a small buffer, so any shape works, 1 x 1 x 1 included.
 *
 * <p>Threads ({@link Workers}) split C into contiguous ranges of whole tiles, each thread with its
 * own packing buffers: ranges of rows when C is at least as tall as it is wide, ranges of columns
 * when it is wider. Each thread packs all of the operand on the side it does not split and its own
 * share of the other, so splitting the side whose operand is larger packs the fewest floats per
 * thread (the LM head's forward, 512 x 4096 from a 256-deep product, would otherwise have every
 * thread pack all 1M floats of its weight). Tiles sit at the same columns and rows however C is
 * split, so the result is bit-identical to one thread's. A product below the parallel threshold
 * ({@link #PARALLEL_THRESHOLD} multiply-adds) runs on the calling thread alone (handing half of a
 * small product to another thread costs more than it saves), as does one called from a thread
 * already running a split part (an attention head).
 */
public final class VectorGemm {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    static final int NR = 2 * LANES;
    static final int KC = 256;
    static final int MC = 96;
    static final int NC = 2048;
    /**
     * Multiply-adds below which one thread does the whole product: one head's 256 x 256 x 64 attention
     * product (4.2M) ran at 100 GFLOP/s on one thread and 60 split over two.
     */
    static final long PARALLEL_THRESHOLD = 8_000_000L;
    /** What a tile that overwrites C starts from: one row of zeros, read with stride 0. */
    private static final float[] ZEROS = new float[NR];

    private final Workers workers;
    private final RegisterTile tile;
    /** Rows of C per register tile. */
    private final int mr;
    private final long parallelThreshold;
    private final ThreadLocal<Workspace> workspace = ThreadLocal.withInitial(Workspace::new);

    /** A GEMM on {@code workers}' threads, with the register tile this machine's vectors call for. */
    public VectorGemm(Workers workers) {
        this(workers, RegisterTile.preferred(), PARALLEL_THRESHOLD);
    }

    /**
     * A GEMM with the given tile, splitting products of {@code parallelThreshold} multiply-adds or
     * more (tests run both tiles on any machine, and split small products).
     */
    VectorGemm(Workers workers, RegisterTile tile, long parallelThreshold) {
        this.workers = workers;
        this.tile = tile;
        this.mr = tile.rows;
        this.parallelThreshold = parallelThreshold;
    }

    /**
     * @param transA     A is stored k x m (use its transpose)
     * @param transB     B is stored n x k
     * @param accumulate add to C instead of overwriting it
     */
    public void gemm(int m, int n, int k, float[] a, boolean transA, float[] b, boolean transB, float[] c,
            boolean accumulate) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                java.util.Arrays.fill(c, 0, m * n, 0f);
            }
            return;
        }
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        // one thread below the threshold; above it, parts of whole tiles, at most one per thread
        boolean alone = (long) m * n * k < parallelThreshold;
        if (n > m) {
            workers.split(n, alone ? Integer.MAX_VALUE : NR, NR, (part, from, to) -> {
                block(0, m, from, to, n, k, a, lda, transA, b, ldb, transB, c, accumulate);
                return 0;
            });
        } else {
            workers.split(m, alone ? Integer.MAX_VALUE : mr, mr, (part, from, to) -> {
                block(from, to, 0, n, n, k, a, lda, transA, b, ldb, transB, c, accumulate);
                return 0;
            });
        }
    }

    /** C rows [rowFrom, rowTo) x columns [colFrom, colTo) of C's n, on the calling thread. */
    private void block(int rowFrom, int rowTo, int colFrom, int colTo, int n, int k, float[] a, int lda,
            boolean transA, float[] b, int ldb, boolean transB, float[] c, boolean accumulate) {
        Workspace w = workspace.get();
        w.fit(colTo - colFrom);
        for (int jc = colFrom; jc < colTo; jc += NC) {
            int nc = Math.min(NC, colTo - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                int kp = (kc + 1) & ~1;
                boolean add = accumulate || pc > 0;
                packB(b, ldb, transB, pc, kc, kp, jc, nc, w.packedB);
                for (int ic = rowFrom; ic < rowTo; ic += MC) {
                    int mc = Math.min(MC, rowTo - ic);
                    packA(a, lda, transA, ic, mc, pc, kc, kp, mr, w.packedA);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += mr) {
                            int rows = Math.min(mr, mc - ir);
                            int cOffset = (ic + ir) * n + jc + jr;
                            if (rows == mr && nr == NR) {
                                // a whole tile starts from C (or zeros) and ends in C
                                tile.multiply(kp, w.packedA, ir * kp, w.packedB, jr * kp, add ? c : ZEROS,
                                        add ? cOffset : 0, add ? n : 0, c, cOffset, n);
                            } else {
                                tile.multiply(kp, w.packedA, ir * kp, w.packedB, jr * kp, ZEROS, 0, 0, w.tile, 0, NR);
                                update(w.tile, c, cOffset, n, rows, nr, add);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * B rows [pc, pc+kc) x columns [jc, jc+nc) into NR-wide panels: panel holds kp (kc rounded up to
     * even) rows of NR values, zero-padded. Reads run along B's storage order either way.
     */
    private static void packB(float[] b, int ldb, boolean transB, int pc, int kc, int kp, int jc, int nc,
            float[] packed) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int base = jr * kp;
            if (!transB) {
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(b, (pc + p) * ldb + jc + jr, packed, base + p * NR, nr);
                }
            } else {
                for (int j = 0; j < nr; j++) {
                    int source = (jc + jr + j) * ldb + pc;
                    for (int p = 0; p < kc; p++) {
                        packed[base + p * NR + j] = b[source + p];
                    }
                }
            }
            if (nr < NR) {
                for (int p = 0; p < kc; p++) {
                    java.util.Arrays.fill(packed, base + p * NR + nr, base + (p + 1) * NR, 0f);
                }
            }
            java.util.Arrays.fill(packed, base + kc * NR, base + kp * NR, 0f);
        }
    }

    /**
     * A rows [ic, ic+mc) x columns [pc, pc+kc) into MR-tall panels (MR = {@code tileRows}): panel
     * holds kp (kc rounded up to even) columns of MR values, zero-padded. Reads run along A's storage
     * order either way.
     */
    private static void packA(float[] a, int lda, boolean transA, int ic, int mc, int pc, int kc, int kp,
            int tileRows, float[] packed) {
        for (int ir = 0; ir < mc; ir += tileRows) {
            int mr = Math.min(tileRows, mc - ir);
            int base = ir * kp;
            if (!transA) {
                for (int i = 0; i < mr; i++) {
                    int source = (ic + ir + i) * lda + pc;
                    for (int p = 0; p < kc; p++) {
                        packed[base + p * tileRows + i] = a[source + p];
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(a, (pc + p) * lda + ic + ir, packed, base + p * tileRows, mr);
                }
            }
            if (mr < tileRows) {
                for (int p = 0; p < kc; p++) {
                    java.util.Arrays.fill(packed, base + p * tileRows + mr, base + (p + 1) * tileRows, 0f);
                }
            }
            java.util.Arrays.fill(packed, base + kc * tileRows, base + kp * tileRows, 0f);
        }
    }

    /** C[tile] (+)= the tile buffer, for the tile's mr x nr valid part. */
    private static void update(float[] tile, float[] c, int cOffset, int ldc, int mr, int nr, boolean add) {
        for (int i = 0; i < mr; i++) {
            int row = cOffset + i * ldc;
            int j = 0;
            for (; j + LANES <= nr; j += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, tile, i * NR + j);
                if (add) {
                    v = v.add(FloatVector.fromArray(SPECIES, c, row + j));
                }
                v.intoArray(c, row + j);
            }
            for (; j < nr; j++) {
                c[row + j] = add ? c[row + j] + tile[i * NR + j] : tile[i * NR + j];
            }
        }
    }

    /**
     * One thread's packing buffers and tile, B's sized to the widest product seen so far (at most
     * KC x NC): a small model does not pay for 2 MB of panels per thread. They grow only while the
     * first products of a run arrive; after that a matmul allocates nothing.
     */
    private static final class Workspace {
        final float[] packedA = new float[MC * KC];
        float[] packedB = new float[0];
        /** An edge tile, of at most the tallest tile's rows. */
        final float[] tile = new float[RegisterTile.EIGHT_ROWS.rows * NR];

        void fit(int n) {
            int needed = KC * ((Math.min(NC, n) + NR - 1) / NR) * NR;
            if (packedB.length < needed) {
                packedB = new float[needed];
            }
        }
    }
}
