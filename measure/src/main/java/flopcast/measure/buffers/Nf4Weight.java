package flopcast.measure.buffers;

import flopcast.analytic.Lora;
import java.util.Arrays;

/**
 * One frozen projection weight stored as bitsandbytes' {@code Linear4bit} stores it under QLoRA
 * ({@code bnb_4bit_quant_type="nf4"}, {@code bnb_4bit_use_double_quant=True}), in the order of the
 * PyTorch weight it replaces, out x in, row-major (the model's own matrix is in x out: element
 * (i, j) is PyTorch's (j, i)):
 * <ul>
 * <li>each run of {@value Lora#NF4_BLOCK} weights has an absolute maximum m, and each weight w is
 * the 4-bit index of the NF4 value nearest w / m, two a byte, the first in the high half;
 * <li>double quantization: the maxima less their mean (the offset) are quantized in runs of
 * {@value Lora#NF4_CONSTANT_BLOCK}, each to the 8-bit index of the nearest value of the signed
 * dynamic map times the run's absolute maximum (one float32 constant a run).
 * </ul>
 * Dequantizing gives m' = map[index] * constant + offset, then NF4[code] * m', rounded to bfloat16
 * (the compute type). Its arrays hold {@link Lora#nf4Bytes} bytes exactly; the offset is a field
 * and the two tables are shared, as {@link Lora#nf4Bytes} leaves them out.
 * <p>Source: QLoRA (Dettmers et al. 2023, section 3 and appendix E: the NF4 values, double
 * quantization); bitsandbytes {@code functional.py} ({@code quantize_4bit}, {@code create_dynamic_map}).
 * Pinned by {@code Nf4WeightTest}.
 */
public final class Nf4Weight {
    /** The 16 NF4 values, ascending: the normal distribution's quantiles scaled into [-1, 1], 0 exact. */
    static final float[] NF4 = {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f,
        0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f,
        0.5626170039176941f, 0.7229568362236023f, 1.0f};
    /** bitsandbytes' signed 8-bit dynamic map, ascending: the double quantization's values. */
    static final float[] DYNAMIC_MAP = dynamicMap();

    private final int rows;
    private final int columns;
    /** Two 4-bit NF4 indices a byte, the even element's in the high half. */
    private final byte[] codes;
    /** Each block's maximum less the offset, as an index into {@link #DYNAMIC_MAP} (unsigned). */
    private final byte[] maxima;
    /** Each run of {@value Lora#NF4_CONSTANT_BLOCK} maxima's absolute maximum. */
    private final float[] constants;
    /** The maxima's mean, subtracted before their quantization. */
    private float offset;

    /** A {@code rows} x {@code columns} weight (the model's in x out), all zero. */
    public Nf4Weight(int rows, int columns) {
        this.rows = rows;
        this.columns = columns;
        long elements = (long) rows * columns;
        int blocks = Math.toIntExact(ceil(elements, Lora.NF4_BLOCK));
        codes = new byte[Math.toIntExact(ceil(elements, 2))];
        maxima = new byte[blocks];
        constants = new float[Math.toIntExact(ceil(blocks, Lora.NF4_CONSTANT_BLOCK))];
        quantize(new float[Math.toIntExact(elements)]);
    }

    public int rows() {
        return rows;
    }

    public int columns() {
        return columns;
    }

    public long elements() {
        return (long) rows * columns;
    }

    /** The bytes its arrays hold: the codes, the quantized maxima and the float32 constants. */
    public long bytes() {
        return codes.length + maxima.length + 4L * constants.length;
    }

    /** Stores {@code values}, the model's in x out matrix row-major, quantized. */
    public void quantize(float[] values) {
        if (values.length != elements()) {
            throw new IllegalArgumentException("expected " + elements() + " values, got " + values.length);
        }
        Arrays.fill(codes, (byte) 0);
        float[] blockMaxima = new float[maxima.length];
        for (int p = 0; p < values.length; p++) {
            int block = p / (int) Lora.NF4_BLOCK;
            blockMaxima[block] = Math.max(blockMaxima[block], Math.abs(values[modelIndex(p)]));
        }
        for (int p = 0; p < values.length; p++) {
            float maximum = blockMaxima[p / (int) Lora.NF4_BLOCK];
            int code = nearest(NF4, maximum == 0 ? 0 : values[modelIndex(p)] * (1f / maximum));
            codes[p / 2] |= (byte) (p % 2 == 0 ? code << 4 : code);
        }
        double sum = 0;
        for (float maximum : blockMaxima) {
            sum += maximum;
        }
        offset = (float) (sum / blockMaxima.length);
        for (int run = 0; run < constants.length; run++) {
            int from = run * (int) Lora.NF4_CONSTANT_BLOCK;
            int to = Math.min(blockMaxima.length, from + (int) Lora.NF4_CONSTANT_BLOCK);
            float constant = 0;
            for (int b = from; b < to; b++) {
                constant = Math.max(constant, Math.abs(blockMaxima[b] - offset));
            }
            constants[run] = constant;
            for (int b = from; b < to; b++) {
                maxima[b] = (byte) nearest(DYNAMIC_MAP, constant == 0 ? 0 : (blockMaxima[b] - offset) * (1f / constant));
            }
        }
    }

    /** The bfloat16 bits of every weight dequantized, into {@code to} in the model's in x out order. */
    public void dequantize(short[] to) {
        int elements = Math.toIntExact(elements());
        for (int block = 0; block * (int) Lora.NF4_BLOCK < elements; block++) {
            float maximum = blockMaximum(block);
            int end = Math.min(elements, (block + 1) * (int) Lora.NF4_BLOCK);
            for (int p = block * (int) Lora.NF4_BLOCK; p < end; p++) {
                to[modelIndex(p)] = BFloat16.round(NF4[code(p)] * maximum);
            }
        }
    }

    /** Every weight dequantized and widened, in the model's in x out order (tests and reports). */
    public float[] values() {
        short[] bits = new short[Math.toIntExact(elements())];
        dequantize(bits);
        float[] values = new float[bits.length];
        BFloat16.widen(bits, values, bits.length);
        return values;
    }

    /** Block {@code block}'s absolute maximum as dequantization recovers it. */
    float blockMaximum(int block) {
        return DYNAMIC_MAP[maxima[block] & 0xff] * constants[block / (int) Lora.NF4_CONSTANT_BLOCK] + offset;
    }

    /** The NF4 index of PyTorch-order element {@code p}. */
    int code(int p) {
        int pair = codes[p / 2] & 0xff;
        return p % 2 == 0 ? pair >>> 4 : pair & 0xf;
    }

    /** Where PyTorch-order element p (out x in) sits in the model's in x out matrix. */
    private int modelIndex(int p) {
        int out = p / rows;
        int in = p % rows;
        return in * columns + out;
    }

    /** The index of the value of ascending {@code table} nearest {@code x}; a tie goes to the lower. */
    static int nearest(float[] table, float x) {
        int low = 0;
        int high = table.length - 1;
        while (high - low > 1) {
            int middle = (low + high) >>> 1;
            if (table[middle] <= x) {
                low = middle;
            } else {
                high = middle;
            }
        }
        return Math.abs(table[high] - x) < Math.abs(x - table[low]) ? high : low;
    }

    /**
     * bitsandbytes' {@code create_dynamic_map(signed=True)}: for i = 0..6, the midpoints of 2^i + 1
     * float32 points evenly from 0.1 to 1 (torch.linspace), times 10^(i - 6), with their negatives;
     * then 0 and 1; 256 values, sorted.
     */
    private static float[] dynamicMap() {
        float[] map = new float[256];
        int n = 0;
        for (int i = 0; i < 7; i++) {
            float[] boundaries = linspace(0.1f, 1f, (1 << i) + 1);
            for (int k = 0; k + 1 < boundaries.length; k++) {
                double mean = (boundaries[k] + boundaries[k + 1]) / 2f;
                map[n++] = (float) (Math.pow(10, i - 6) * mean);
                map[n++] = (float) (-Math.pow(10, i - 6) * mean);
            }
        }
        map[n++] = 0f;
        map[n++] = 1f;
        if (n != map.length) {
            throw new IllegalStateException("the dynamic map has " + n + " values, not 256");
        }
        Arrays.sort(map);
        return map;
    }

    /** torch.linspace in float32: from the start below the middle, from the end above it. */
    private static float[] linspace(float start, float end, int steps) {
        float step = (end - start) / (steps - 1);
        float[] points = new float[steps];
        for (int i = 0; i < steps; i++) {
            points[i] = i < steps / 2 ? start + step * i : end - step * (steps - i - 1);
        }
        return points;
    }

    private static long ceil(long a, long b) {
        return a / b + (a % b == 0 ? 0 : 1);
    }
}
