package flopcast.measure.buffers;

/**
 * bfloat16 as the 16 high bits of a float32 (sign, 8 exponent bits, 7 stored mantissa bits; 8 with
 * the implicit one). Narrowing rounds to nearest, ties to even, as PyTorch's {@code .to(bfloat16)}
 * does; a NaN stays a (quiet) NaN, and a value past bfloat16's largest finite rounds to infinity.
 * Widening is exact.
 */
public final class BFloat16 {
    /** Relative spacing of bfloat16 values: 2^-7; rounding to nearest errs by at most half of it, 2^-8. */
    public static final double EPSILON = 0x1p-7;

    private BFloat16() {
    }

    /** {@code value} rounded to the nearest bfloat16, ties to even, as its 16 bits. */
    public static short round(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lowestKept = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lowestKept) >>> 16);
    }

    /** The float32 a bfloat16's 16 bits stand for, exactly. */
    public static float widen(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** {@code value} rounded to the nearest bfloat16 and widened back. */
    public static float rounded(float value) {
        return widen(round(value));
    }

    /** bits[i] = round(from[i]), and from[i] = the rounded value, for i below {@code length}. */
    public static void narrow(float[] from, short[] bits, int length) {
        for (int i = 0; i < length; i++) {
            short rounded = round(from[i]);
            bits[i] = rounded;
            from[i] = widen(rounded);
        }
    }

    /** values[i] = rounded(values[i]) for every i: a float32 tensor rounded as if stored and read back. */
    public static void roundInPlace(float[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = rounded(values[i]);
        }
    }

    /** to[i] = widen(bits[i]) for i below {@code length}. */
    public static void widen(short[] bits, float[] to, int length) {
        for (int i = 0; i < length; i++) {
            to[i] = widen(bits[i]);
        }
    }
}
