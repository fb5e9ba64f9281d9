package flopcast.measure.kernels.vector;

/**
 * The GEMM's register tile: how many rows of C one micro-kernel call holds, by two vectors of
 * columns. A tile's live vectors are its accumulators (rows x 2), the two B vectors and one
 * broadcast A element; they must fit the machine's vector registers, or C2 spills accumulators to
 * the stack inside the innermost loop. The Vector API does not say how many registers there are,
 * so the tile follows the vector width: 512-bit vectors mean AVX-512 and its 32 registers, anything
 * narrower is taken to have 16 (AVX2; NEON's 32 registers then get a smaller tile than they could
 * hold, which is slower, never wrong).
 */
enum RegisterTile {
    /** 12 accumulators + 3 = 15 live vectors: fits AVX2's 16 registers. */
    SIX_ROWS(6),
    /** 16 accumulators + 3 = 19 live vectors: fits AVX-512's 32; spills on AVX2. */
    EIGHT_ROWS(8);

    /** Rows of C per tile (MR). */
    final int rows;

    RegisterTile(int rows) {
        this.rows = rows;
    }

    /** The tile for this JVM's preferred vector width. */
    static RegisterTile preferred() {
        return VectorGemm.LANES >= 16 ? EIGHT_ROWS : SIX_ROWS;
    }

    /** out (rows x NR) = in + A panel x B panel over kp: see {@link MicroKernels}. */
    void multiply(int kp, float[] pa, int aOffset, float[] pb, int bOffset, float[] in, int inOffset, int inStride,
            float[] out, int outOffset, int outStride) {
        if (this == EIGHT_ROWS) {
            MicroKernels.eightRows(kp, pa, aOffset, pb, bOffset, in, inOffset, inStride, out, outOffset, outStride);
        } else {
            MicroKernels.sixRows(kp, pa, aOffset, pb, bOffset, in, inOffset, inStride, out, outOffset, outStride);
        }
    }
}
