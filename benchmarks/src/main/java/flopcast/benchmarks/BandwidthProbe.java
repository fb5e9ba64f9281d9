package flopcast.benchmarks;

import flopcast.measure.kernels.Workers;
import java.util.Map;
import org.openjdk.jmh.annotations.Param;

/**
 * What bandwidth can this JVM reach at each level of the memory hierarchy? A streaming update in
 * place (a += s*b, c += s*b, d += s*b: four float arrays read, three of them written back where they
 * were read), on one thread and on all, at four footprints (all four arrays): 32 KiB (a core's
 * first-level cache), 512 KiB (its second level), 8 MiB (a shared last level) and 128 MiB (far larger
 * than any cache: memory). A memory-bound op is measured against this probe at its own footprint,
 * interpolated between these, so an op whose data stays in cache is held to the cache's bandwidth,
 * not memory's. It moves 28 bytes per element over 16 of footprint.
 *
 * <p>On all threads the elements are cut into one part per thread, as the model's memory-bound
 * kernels cut theirs, so the footprint is the whole op's, as an op's is; each part has arrays of its
 * own, as no two threads may write one cache line (cut inside shared arrays, the parts' boundary
 * lines moved between the cores on every sweep: at 32 KiB two threads ran at half one thread's
 * rate). An op is one sweep over the elements; a call runs {@link #sweeps} of them in each part
 * before the parts meet again, so that a sweep in the first cache level (under a microsecond) is
 * timed and not the hand-off around it.
 *
 * <p>Why not STREAM's triad (a = b + s*c): a store to a line the core has not read first reads it
 * from memory (write-allocate), traffic STREAM does not count, so the triad moves 16 bytes per
 * element where it counts 12 and reports less than the memory system delivers; an update reads what
 * it writes, so the bytes it counts are the bytes it moves. Why seven streams and not two: one core's
 * bandwidth from memory grows with the streams its prefetchers follow at once, and seven is the most
 * any of the model's memory-bound kernels runs (AdamW's p, g, m and v, read, and p, m and v written).
 * Measured side by side on one host (docs/calibration.md), AdamW from memory streamed 1.7 times the
 * triad's counted rate, 1.1 times a two-array update's, and within 4% of this probe's.
 *
 * <p>A broken result looks like the small arrays slower than the large, or the large ones at tens of
 * times the host's memory bandwidth (the loop was optimized away). Run alone:
 * {@code mvn jmh:run -Djmh.include=Bandwidth}.
 */
public class BandwidthProbe extends ProbeBenchmark {
    @Param({"bandwidth_update"})
    public String component;

    /** Floats per array: four arrays of 8 KiB, 128 KiB, 2 MiB and 32 MiB. */
    @Param({"2048", "32768", "524288", "8388608"})
    public int floats;

    /** Elements a call updates at least, over its sweeps: about 0.1 ms on one thread of this host from the first cache level. */
    static final int ELEMENTS_PER_CALL = 1 << 18;

    /**
     * Floats no sweep touches at each end of a part's arrays, a 64-byte cache line: one part's arrays
     * lie next to another's in the heap, and without them the line where one array ends and the next
     * begins was written by two threads on every sweep (in turns among the other rows, two threads ran
     * 32 KiB at 0.65 us a sweep where one took 0.29).
     */
    static final int PAD = 16;

    @Override
    Probe probe(String benchmark, Map<String, String> params) {
        return of(benchmark, params);
    }

    /** The row of {@code benchmark} with parameters {@code params} as a turn of {@link InterleavedBenchmark}. */
    static Turn turn(String benchmark, Map<String, String> params) {
        return of(benchmark, params).turn();
    }

    /** Sweeps a call runs over arrays of {@code floats}: enough for {@link #ELEMENTS_PER_CALL}, at least one. */
    static int sweeps(int floats) {
        return Math.max(1, ELEMENTS_PER_CALL / floats);
    }

    private static Probe of(String benchmark, Map<String, String> params) {
        Identity identity = Identity.of(benchmark, params);
        identity.expect("bandwidth_update", "probe");
        int floats;
        try {
            floats = Integer.parseInt(params.getOrDefault("floats", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("floats must be a whole number of floats per array, got "
                    + params.get("floats"));
        }
        if (floats < 1) {
            throw new IllegalArgumentException("floats must be at least 1, got " + floats);
        }
        int threads = identity.threads();
        if (floats < threads) {
            throw new IllegalArgumentException("floats must be at least the " + threads + " threads, got " + floats);
        }
        Workers workers = new Workers(threads);
        // part p holds elements [p * floats / threads, (p + 1) * floats / threads), in arrays of its own
        float[][] a = new float[threads][];
        float[][] b = new float[threads][];
        float[][] c = new float[threads][];
        float[][] d = new float[threads][];
        for (int part = 0; part < threads; part++) {
            int first = (int) ((long) part * floats / threads);
            int length = (int) ((long) (part + 1) * floats / threads) - first;
            a[part] = new float[PAD + length + PAD];
            b[part] = new float[PAD + length + PAD];
            c[part] = new float[PAD + length + PAD];
            d[part] = new float[PAD + length + PAD];
            for (int i = 0; i < length; i++) {
                b[part][PAD + i] = floats - first - i;
            }
        }
        int sweeps = sweeps(floats);
        SteadyState.Op call = () -> {
            workers.split(threads, 1, 1, (index, from, to) -> {
                for (int part = from; part < to; part++) {
                    for (int sweep = 0; sweep < sweeps; sweep++) {
                        update(a[part], b[part], c[part], d[part]);
                    }
                }
                return 0;
            });
            return a;
        };
        return new Probe(call, new Work.PerOp(0, 0, 0, 7L * Float.BYTES * floats, threads, 0), sweeps);
    }

    /**
     * a, c, d += s*b: each grows by at most 1e-6 x floats (under 9) per sweep, far from overflow in
     * any run.
     */
    private static void update(float[] a, float[] b, float[] c, float[] d) {
        float s = 1e-6f;
        for (int i = PAD, end = a.length - PAD; i < end; i++) {
            float x = s * b[i];
            a[i] += x;
            c[i] += x;
            d[i] += x;
        }
    }
}
