package flopcast.measure;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The threads a backend runs on: the calling thread and {@code threads - 1} daemon pool threads.
 * {@link #split} cuts a loop over {@code [0, count)} into contiguous parts, runs the first on the
 * calling thread and the others on the pool, waits for all, and returns the sum of what the parts
 * return (the FLOPs their loops executed, so that counting stays exact however the loop is cut).
 * One thread splits at a time (the thread running the model); a part may split again, and that
 * split runs whole on the part's thread.
 */
public final class Workers {
    private final int threads;
    private final ExecutorService pool;
    @SuppressWarnings("unchecked")
    private final Future<Long>[] pending;
    /** A split is running: a part that splits again runs its loop on its own thread. */
    private volatile boolean splitting;

    /** One part of a split loop: items {@code [from, to)}, part {@code part} of the split. */
    @FunctionalInterface
    public interface Part {
        /** Runs the items and returns the FLOPs it executed (0 where nothing is counted). */
        long run(int part, int from, int to);
    }

    @SuppressWarnings("unchecked")
    public Workers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, runnable -> {
            Thread thread = new Thread(runnable, "flopcast-worker");
            thread.setDaemon(true);
            return thread;
        });
        this.pending = new Future[threads];
    }

    public int threads() {
        return threads;
    }

    /** How many parts {@link #split} cuts {@code count} items into, none smaller than {@code grain}. */
    public int parts(int count, int grain) {
        return (int) Math.max(1, Math.min(threads, count / Math.max(1, (long) grain)));
    }

    /**
     * Runs {@code part} over {@code [0, count)} in {@link #parts} contiguous parts whose bounds are
     * multiples of {@code align} (but the last), and returns the sum of what they return. A split
     * called from inside a part runs whole on the thread that called it (the pool is busy).
     */
    public long split(int count, int grain, int align, Part part) {
        int parts = parts(count, grain);
        if (parts == 1 || splitting) {
            return part.run(0, 0, count);
        }
        splitting = true;
        try {
            return runParts(count, parts, align, part);
        } finally {
            splitting = false;
        }
    }

    private long runParts(int count, int parts, int align, Part part) {
        int step = ((count + parts - 1) / parts + align - 1) / align * align;
        int submitted = 0;
        for (int index = 1; index < parts && index * step < count; index++) {
            int from = index * step;
            int to = Math.min(count, from + step);
            int which = index;
            pending[submitted++] = pool.submit(() -> part.run(which, from, to));
        }
        long total = part.run(0, 0, Math.min(count, step));
        try {
            for (int i = 0; i < submitted; i++) {
                total = Math.addExact(total, pending[i].get());
                pending[i] = null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a worker", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a worker thread failed", e.getCause());
        }
        return total;
    }
}
