package flopcast.measure.kernels.vector;

import static flopcast.measure.kernels.vector.VectorGemm.LANES;
import static flopcast.measure.kernels.vector.VectorGemm.NR;
import static flopcast.measure.kernels.vector.VectorGemm.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * The GEMM's micro-kernels: out (rows x NR) = in + A panel x B panel over kp, an even depth, for
 * the two {@link RegisterTile}s. The A panel holds kp columns of the tile's rows, the B panel kp
 * rows of NR = 2 vectors; A is broadcast one element at a time, B loaded a vector at a time, and
 * the accumulators stay in registers for the whole pass. Each tile is written out by hand, one
 * local per accumulator, because that is what C2 keeps in registers.
 *
 * <p>Three JDK 17 C2 findings shape them (the first two on an AVX-512 Xeon). Indices derived from
 * p alone let C2 hoist the range checks out of the loop (separately stepped indices kept them in:
 * 37 GFLOP/s instead of 140). The accumulators come in and go out through straight-line loads and
 * stores whose arrays and offsets the caller chose: choosing between vectors behind branches (full
 * or edge tile, overwrite or add) made C2 box them (40 GFLOP/s instead of 160). And a tile needs
 * fewer live vectors than the machine has registers, or C2 spills accumulators to the stack on
 * every step ({@link RegisterTile} says which tile fits where).
 */
final class MicroKernels {
    private MicroKernels() {
    }

    /**
     * The 8 x NR tile: 16 accumulators, two steps of p per loop pass (kp is even). Unrolled by two,
     * it ran at 210 GFLOP/s instead of 170 on one AVX-512 core (Intel Xeon): the loop's own work is
     * halved, and the 32 registers hold the second step's B vectors too.
     */
    static void eightRows(int kp, float[] pa, int aOffset, float[] pb, int bOffset, float[] in, int inOffset,
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
        for (int p = 0; p < kp; p += 2) {
            int ai0 = aOffset + (p + 0) * 8;
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
            int ai1 = aOffset + (p + 1) * 8;
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

    /**
     * The 6 x NR tile: 12 accumulators, one step of p per loop pass. Unrolled by two like the
     * eight-row kernel, the second step's B vectors raise the live vectors to 17, past AVX2's 16,
     * and C2 spills: on an AVX2 core (AMD EPYC, Zen 3) 35 GFLOP/s against 59 (medians of 12
     * interleaved runs of both on the same panels).
     */
    static void sixRows(int kp, float[] pa, int aOffset, float[] pb, int bOffset, float[] in, int inOffset,
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
        for (int p = 0; p < kp; p++) {
            int ai = aOffset + p * 6;
            int bi = bOffset + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, pb, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, pb, bi + LANES);
            FloatVector a0 = FloatVector.broadcast(SPECIES, pa[ai + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(SPECIES, pa[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(SPECIES, pa[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(SPECIES, pa[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(SPECIES, pa[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(SPECIES, pa[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
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
    }
}
