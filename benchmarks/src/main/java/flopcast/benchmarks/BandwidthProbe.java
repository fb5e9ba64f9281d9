package flopcast.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Threads;

/**
 * What bandwidth can this JVM reach at each level of the memory hierarchy? A streaming update in
 * place (a += s*b, c += s*b, d += s*b: four float arrays read, three of them written back where they
 * were read), on one thread and on all, at four footprints (all four arrays): 32 KiB (a core's
 * first-level cache), 512 KiB (its second level), 8 MiB (a shared last level) and 128 MiB (far larger
 * than any cache: memory). A memory-bound op is measured against this probe at its own footprint,
 * interpolated between these, so an op whose data stays in cache is held to the cache's bandwidth,
 * not memory's. It moves 28 bytes per element over 16 of footprint.
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

    private Work.PerOp perOp;

    private float[] a;
    private float[] b;
    private float[] c;
    private float[] d;
    private float scalar = 1e-6f;

    @Setup(Level.Trial)
    public void allocate() {
        if (!component.equals("bandwidth_update")) {
            throw new IllegalArgumentException("component must be bandwidth_update, got " + component);
        }
        perOp = new Work.PerOp(0, 0, 0, 7L * Float.BYTES * floats);
        a = new float[floats];
        b = new float[floats];
        c = new float[floats];
        d = new float[floats];
        for (int i = 0; i < floats; i++) {
            b[i] = floats - i;
        }
        SteadyState.warm(() -> {
            updateOnce();
            return a;
        });
    }

    @Benchmark
    @Threads(1)
    public float[] oneThread(Work work) {
        updateOnce();
        work.add(perOp);
        return a;
    }

    @Benchmark
    @Threads(Threads.MAX)
    public float[] allThreads(Work work) {
        updateOnce();
        work.add(perOp);
        return a;
    }

    /** a, c, d += s*b: each grows by at most 9 per call, nowhere near overflow in any run. */
    private void updateOnce() {
        float s = scalar;
        for (int i = 0; i < floats; i++) {
            float x = s * b[i];
            a[i] += x;
            c[i] += x;
            d[i] += x;
        }
    }
}
