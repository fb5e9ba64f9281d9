package flopcast.measure.vector;

import flopcast.measure.Workers;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C (m x n) = op(A) op(B), or C += op(A) op(B), for row-major float arrays, op being the identity
 * or the transpose. BLIS loop order: for each KC-deep slice of the shared dimension and NC-wide
 * slice of B, pack that slice of B into NR-column panels; for each MC-tall slice of A, pack it into
 * MR-row panels; then an MR x NR register tile (8 rows x 2 vectors: 16 accumulators, A broadcast,
 * B loaded, two steps of the shared dimension per loop pass) runs over every panel pair. Packing
 * reads A and B with their strides, so the transposed forms cost the same after packing; panels
 * are zero-padded (in depth to an even count too), whole tiles start from and end in C, and edge
 * tiles go through a small buffer, so any shape works, 1 x 1 x 1 included.
 *
 * <p>Threads ({@link Workers}) split C's rows into contiguous ranges, each with its own packing
 * buffers; a product below {@link #PARALLEL_THRESHOLD} multiply-adds runs on the calling thread
 * alone (handing half of a small product to another thread costs more than it saves), as does one
 * called from a thread already running a split part (an attention head).
 */
public final class VectorGemm {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    static final int MR = 8;
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
    private final ThreadLocal<Workspace> workspace = ThreadLocal.withInitial(Workspace::new);

    /** A GEMM on {@code workers}' threads. */
    public VectorGemm(Workers workers) {
        this.workers = workers;
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
        // one thread below the threshold; above it, parts of whole MR-row tiles, at most one per thread
        int grain = (long) m * n * k < PARALLEL_THRESHOLD ? Integer.MAX_VALUE : MR;
        workers.split(m, grain, MR, (part, from, to) -> {
            rows(from, to, n, k, a, lda, transA, b, ldb, transB, c, accumulate);
            return 0;
        });
    }

    /** C rows [rowFrom, rowTo), on the calling thread. */
    private void rows(int rowFrom, int rowTo, int n, int k, float[] a, int lda, boolean transA, float[] b, int ldb,
            boolean transB, float[] c, boolean accumulate) {
        Workspace w = workspace.get();
        w.fit(n);
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                int kp = (kc + 1) & ~1;
                boolean add = accumulate || pc > 0;
                packB(b, ldb, transB, pc, kc, kp, jc, nc, w.packedB);
                for (int ic = rowFrom; ic < rowTo; ic += MC) {
                    int mc = Math.min(MC, rowTo - ic);
                    packA(a, lda, transA, ic, mc, pc, kc, kp, w.packedA);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int cOffset = (ic + ir) * n + jc + jr;
                            if (mr == MR && nr == NR) {
                                // a whole tile starts from C (or zeros) and ends in C
                                kernel(kp, w.packedA, ir * kp, w.packedB, jr * kp, add ? c : ZEROS,
                                        add ? cOffset : 0, add ? n : 0, c, cOffset, n);
                            } else {
                                kernel(kp, w.packedA, ir * kp, w.packedB, jr * kp, ZEROS, 0, 0, w.tile, 0, NR);
                                update(w.tile, c, cOffset, n, mr, nr, add);
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
     * A rows [ic, ic+mc) x columns [pc, pc+kc) into MR-tall panels: panel holds kp (kc rounded up to
     * even) columns of MR values, zero-padded. Reads run along A's storage order either way.
     */
    private static void packA(float[] a, int lda, boolean transA, int ic, int mc, int pc, int kc, int kp,
            float[] packed) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int base = ir * kp;
            if (!transA) {
                for (int i = 0; i < mr; i++) {
                    int source = (ic + ir + i) * lda + pc;
                    for (int p = 0; p < kc; p++) {
                        packed[base + p * MR + i] = a[source + p];
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(a, (pc + p) * lda + ic + ir, packed, base + p * MR, mr);
                }
            }
            if (mr < MR) {
                for (int p = 0; p < kc; p++) {
                    java.util.Arrays.fill(packed, base + p * MR + mr, base + (p + 1) * MR, 0f);
                }
            }
            java.util.Arrays.fill(packed, base + kc * MR, base + kp * MR, 0f);
        }
    }

    /**
     * The MR x NR register tile: tile = A panel x B panel over kp, an even depth, two steps of p per
     * pass (unrolled by two, the kernel ran at 210 GFLOP/s instead of 170 on one core: the loop's own
     * work is halved). 8 x 2 vectors: 16 accumulators, the two B vectors and a broadcast fit the 32
     * vector registers.
     */
    private static void kernel(int kp, float[] pa, int aOffset, float[] pb, int bOffset, float[] in, int inOffset,
            int inStride, float[] out, int outOffset, int outStride) {
        FloatVector c00 = FloatVector.fromArray(SPECIES, in, inOffset);
        FloatVector c01 = FloatVector.fromArray(SPECIES, in, inOffset + LANES);
        FloatVector c10 = FloatVector.fromArray(SPECIES, in, inOffset + inStride);
        FloatVector c11 = FloatVector.fromArray(SPECIES, in, inOffset + inStride + LANES);
        FloatVector c20 = FloatVector.fromArray(SPECIES, in, inOffset + 2 * inStride);
        FloatVector c21 = FloatVector.fromArray(SPECIES, in, inOffset + 2 * inStride + LANES);
        FloatVector c30 = FloatVector.fromArray(SPECIES, in, inOffset + 3 * inStride);
        FloatVector c31 = FloatVector.fromArray(SPECIES, in, inOffset + 3 * inStride + LANES);
        FloatVector c40 = FloatVector.fromArray(SPECIES, in, inOffset + 4 * inStride);
        FloatVector c41 = FloatVector.fromArray(SPECIES, in, inOffset + 4 * inStride + LANES);
        FloatVector c50 = FloatVector.fromArray(SPECIES, in, inOffset + 5 * inStride);
        FloatVector c51 = FloatVector.fromArray(SPECIES, in, inOffset + 5 * inStride + LANES);
        FloatVector c60 = FloatVector.fromArray(SPECIES, in, inOffset + 6 * inStride);
        FloatVector c61 = FloatVector.fromArray(SPECIES, in, inOffset + 6 * inStride + LANES);
        FloatVector c70 = FloatVector.fromArray(SPECIES, in, inOffset + 7 * inStride);
        FloatVector c71 = FloatVector.fromArray(SPECIES, in, inOffset + 7 * inStride + LANES);
        // indices derived from p alone: C2 then hoists the range checks out of the loop (separately
        // stepped indices kept them in, and the kernel ran at 37 GFLOP/s instead of 140)
        for (int p = 0; p < kp; p += 2) {
            int ai0 = aOffset + (p + 0) * MR;
            int bi0 = bOffset + (p + 0) * NR;
            FloatVector b00 = FloatVector.fromArray(SPECIES, pb, bi0);
            FloatVector b01 = FloatVector.fromArray(SPECIES, pb, bi0 + LANES);
            FloatVector a00 = FloatVector.broadcast(SPECIES, pa[ai0 + 0]);
            c00 = a00.fma(b00, c00);
            c01 = a00.fma(b01, c01);
            FloatVector a01 = FloatVector.broadcast(SPECIES, pa[ai0 + 1]);
            c10 = a01.fma(b00, c10);
            c11 = a01.fma(b01, c11);
            FloatVector a02 = FloatVector.broadcast(SPECIES, pa[ai0 + 2]);
            c20 = a02.fma(b00, c20);
            c21 = a02.fma(b01, c21);
            FloatVector a03 = FloatVector.broadcast(SPECIES, pa[ai0 + 3]);
            c30 = a03.fma(b00, c30);
            c31 = a03.fma(b01, c31);
            FloatVector a04 = FloatVector.broadcast(SPECIES, pa[ai0 + 4]);
            c40 = a04.fma(b00, c40);
            c41 = a04.fma(b01, c41);
            FloatVector a05 = FloatVector.broadcast(SPECIES, pa[ai0 + 5]);
            c50 = a05.fma(b00, c50);
            c51 = a05.fma(b01, c51);
            FloatVector a06 = FloatVector.broadcast(SPECIES, pa[ai0 + 6]);
            c60 = a06.fma(b00, c60);
            c61 = a06.fma(b01, c61);
            FloatVector a07 = FloatVector.broadcast(SPECIES, pa[ai0 + 7]);
            c70 = a07.fma(b00, c70);
            c71 = a07.fma(b01, c71);
            int ai1 = aOffset + (p + 1) * MR;
            int bi1 = bOffset + (p + 1) * NR;
            FloatVector b10 = FloatVector.fromArray(SPECIES, pb, bi1);
            FloatVector b11 = FloatVector.fromArray(SPECIES, pb, bi1 + LANES);
            FloatVector a10 = FloatVector.broadcast(SPECIES, pa[ai1 + 0]);
            c00 = a10.fma(b10, c00);
            c01 = a10.fma(b11, c01);
            FloatVector a11 = FloatVector.broadcast(SPECIES, pa[ai1 + 1]);
            c10 = a11.fma(b10, c10);
            c11 = a11.fma(b11, c11);
            FloatVector a12 = FloatVector.broadcast(SPECIES, pa[ai1 + 2]);
            c20 = a12.fma(b10, c20);
            c21 = a12.fma(b11, c21);
            FloatVector a13 = FloatVector.broadcast(SPECIES, pa[ai1 + 3]);
            c30 = a13.fma(b10, c30);
            c31 = a13.fma(b11, c31);
            FloatVector a14 = FloatVector.broadcast(SPECIES, pa[ai1 + 4]);
            c40 = a14.fma(b10, c40);
            c41 = a14.fma(b11, c41);
            FloatVector a15 = FloatVector.broadcast(SPECIES, pa[ai1 + 5]);
            c50 = a15.fma(b10, c50);
            c51 = a15.fma(b11, c51);
            FloatVector a16 = FloatVector.broadcast(SPECIES, pa[ai1 + 6]);
            c60 = a16.fma(b10, c60);
            c61 = a16.fma(b11, c61);
            FloatVector a17 = FloatVector.broadcast(SPECIES, pa[ai1 + 7]);
            c70 = a17.fma(b10, c70);
            c71 = a17.fma(b11, c71);
        }
        // the accumulators come in and go out through straight-line loads and stores whose arrays and
        // offsets the caller chose: choosing between vectors behind branches (full or edge tile,
        // overwrite or add) made C2 box them, and the kernel ran at 40 GFLOP/s instead of 160
        c00.intoArray(out, outOffset);
        c01.intoArray(out, outOffset + LANES);
        c10.intoArray(out, outOffset + outStride);
        c11.intoArray(out, outOffset + outStride + LANES);
        c20.intoArray(out, outOffset + 2 * outStride);
        c21.intoArray(out, outOffset + 2 * outStride + LANES);
        c30.intoArray(out, outOffset + 3 * outStride);
        c31.intoArray(out, outOffset + 3 * outStride + LANES);
        c40.intoArray(out, outOffset + 4 * outStride);
        c41.intoArray(out, outOffset + 4 * outStride + LANES);
        c50.intoArray(out, outOffset + 5 * outStride);
        c51.intoArray(out, outOffset + 5 * outStride + LANES);
        c60.intoArray(out, outOffset + 6 * outStride);
        c61.intoArray(out, outOffset + 6 * outStride + LANES);
        c70.intoArray(out, outOffset + 7 * outStride);
        c71.intoArray(out, outOffset + 7 * outStride + LANES);
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
        final float[] tile = new float[MR * NR];

        void fit(int n) {
            int needed = KC * ((Math.min(NC, n) + NR - 1) / NR) * NR;
            if (packedB.length < needed) {
                packedB = new float[needed];
            }
        }
    }
}
