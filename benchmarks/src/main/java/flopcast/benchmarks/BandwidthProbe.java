package flopcast.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Threads;

/**
 * What bandwidth can this JVM reach at each level of the memory hierarchy? STREAM's triad
 * (a = b + s*c), on one thread and on all, over float arrays of four sizes: 32 KiB each (a core's
 * first-level cache), 512 KiB (its second level), 8 MiB (a shared last level) and 64 MiB (far larger
 * than any cache: memory). A memory-bound op is measured against the triad at its own bytes per op,
 * interpolated between these, so an op whose data stays in cache is held to the cache's bandwidth,
 * not memory's. Bytes per op count each array once (no write-allocate traffic), as STREAM does.
 *
 * <p>A broken result looks like the small arrays slower than the large, or the large ones at tens of
 * times the host's memory bandwidth (the loop was optimized away). Run alone:
 * {@code mvn jmh:run -Djmh.include=Bandwidth}.
 */
public class BandwidthProbe extends ProbeBenchmark {
    @Param({"bandwidth_triad"})
    public String component;

    /** Floats per array: 32 KiB, 512 KiB, 8 MiB and 64 MiB. */
    @Param({"8192", "131072", "2097152", "16777216"})
    public int floats;

    private Work.PerOp perOp;

    private float[] a;
    private float[] b;
    private float[] c;
    private float scalar = 3f;

    @Setup(Level.Trial)
    public void allocate() {
        if (!component.equals("bandwidth_triad")) {
            throw new IllegalArgumentException("component must be bandwidth_triad, got " + component);
        }
        perOp = new Work.PerOp(0, 0, 0, 3L * Float.BYTES * floats);
        a = new float[floats];
        b = new float[floats];
        c = new float[floats];
        for (int i = 0; i < floats; i++) {
            b[i] = i;
            c[i] = floats - i;
        }
        SteadyState.warm(() -> {
            triadOnce();
            return a;
        });
    }

    @Benchmark
    @Threads(1)
    public float[] oneThread(Work work) {
        triadOnce();
        work.add(perOp);
        return a;
    }

    @Benchmark
    @Threads(Threads.MAX)
    public float[] allThreads(Work work) {
        triadOnce();
        work.add(perOp);
        return a;
    }

    private void triadOnce() {
        float s = scalar;
        for (int i = 0; i < floats; i++) {
            a[i] = b[i] + s * c[i];
        }
    }
}
