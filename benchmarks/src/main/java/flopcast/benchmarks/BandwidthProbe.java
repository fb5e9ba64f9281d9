package flopcast.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * What memory bandwidth can this JVM reach? STREAM's copy (a = b) and triad (a = b + s*c) over
 * 64 MiB float arrays, far larger than any cache: the bandwidth memory-bound ops are measured
 * against. Bytes per op count each array once (no write-allocate traffic), as STREAM does.
 *
 * <p>A broken result looks like tens of times the host's memory bandwidth (the arrays fit in
 * cache, or the loop was optimized away). Run alone: {@code mvn jmh:run -Djmh.include=Bandwidth}.
 */
@State(Scope.Thread)
public class BandwidthProbe extends BenchmarkSettings {
    private static final int LENGTH = 16 * 1024 * 1024;
    private static final Work.PerOp COPY = new Work.PerOp(0, 0, 0, 2L * Float.BYTES * LENGTH);
    private static final Work.PerOp TRIAD = new Work.PerOp(0, 0, 0, 3L * Float.BYTES * LENGTH);

    private float[] a;
    private float[] b;
    private float[] c;
    private float scalar = 3f;

    @Setup(Level.Trial)
    public void allocate() {
        a = new float[LENGTH];
        b = new float[LENGTH];
        c = new float[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            b[i] = i;
            c[i] = LENGTH - i;
        }
        SteadyState.warm(() -> {
            copyOnce();
            triadOnce();
            return a;
        });
    }

    @Benchmark
    @Threads(1)
    public float[] copy(Work work) {
        copyOnce();
        work.add(COPY);
        return a;
    }

    @Benchmark
    @Threads(1)
    public float[] triad(Work work) {
        triadOnce();
        work.add(TRIAD);
        return a;
    }

    @Benchmark
    @Threads(Threads.MAX)
    public float[] triadAllThreads(Work work) {
        triadOnce();
        work.add(TRIAD);
        return a;
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
