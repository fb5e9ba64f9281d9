package flopcast.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Threads;

/**
 * What memory bandwidth can this JVM reach? STREAM's copy (a = b) and triad (a = b + s*c), on one
 * thread and on all, over 64 MiB float arrays, far larger than any cache: the bandwidth memory-bound ops are measured
 * against. Bytes per op count each array once (no write-allocate traffic), as STREAM does.
 *
 * <p>A broken result looks like tens of times the host's memory bandwidth (the arrays fit in
 * cache, or the loop was optimized away). Run alone: {@code mvn jmh:run -Djmh.include=Bandwidth}.
 */
public class BandwidthProbe extends ProbeBenchmark {
    @Param({"bandwidth_copy", "bandwidth_triad"})
    public String component;

    private static final int LENGTH = 16 * 1024 * 1024;
    private static final Work.PerOp COPY = new Work.PerOp(0, 0, 0, 2L * Float.BYTES * LENGTH);
    private static final Work.PerOp TRIAD = new Work.PerOp(0, 0, 0, 3L * Float.BYTES * LENGTH);

    private boolean triad;
    private Work.PerOp perOp;

    private float[] a;
    private float[] b;
    private float[] c;
    private float scalar = 3f;

    @Setup(Level.Trial)
    public void allocate() {
        triad = switch (component) {
            case "bandwidth_copy" -> false;
            case "bandwidth_triad" -> true;
            default -> throw new IllegalArgumentException("component must be bandwidth_copy or bandwidth_triad, got "
                    + component);
        };
        perOp = triad ? TRIAD : COPY;
        a = new float[LENGTH];
        b = new float[LENGTH];
        c = new float[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            b[i] = i;
            c[i] = LENGTH - i;
        }
        SteadyState.warm(() -> {
            once();
            return a;
        });
    }

    @Benchmark
    @Threads(1)
    public float[] oneThread(Work work) {
        once();
        work.add(perOp);
        return a;
    }

    @Benchmark
    @Threads(Threads.MAX)
    public float[] allThreads(Work work) {
        once();
        work.add(perOp);
        return a;
    }

    private void once() {
        if (triad) {
            triadOnce();
        } else {
            copyOnce();
        }
    }

    private void copyOnce() {
        for (int i = 0; i < LENGTH; i++) {
            a[i] = b[i];
        }
    }

    private void triadOnce() {
        float s = scalar;
        for (int i = 0; i < LENGTH; i++) {
            a[i] = b[i] + s * c[i];
        }
    }
}
