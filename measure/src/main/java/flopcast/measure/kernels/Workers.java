package flopcast.measure.kernels;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The threads a backend runs on: the calling thread and {@code threads - 1} daemon worker threads.
 * {@link #split} cuts a loop over {@code [0, count)} into contiguous parts, runs the first on the
 * calling thread and the others on the workers, waits for all, and returns the sum of what the parts
 * return (the FLOPs their loops executed, so that counting stays exact however the loop is cut).
 * One thread splits at a time (the thread running the model); a part may split again, and that
 * split runs whole on the part's thread.
 *
 * <p>A part is handed over through fields the worker watches, not a queue: after finishing a part a
 * worker spins for {@link #SPIN_NANOS} before it parks, and the caller spins as long for the
 * workers' results before it parks. A step runs dozens to hundreds of splits back to back, each a
 * millisecond or less at the small shapes, and waking a parked thread costs tens to hundreds of
 * microseconds on a virtual machine: handed over through a thread pool's blocking queue, the
 * 2-thread GEMM ran at 0.8x to 1.5x one thread at the small shape's projections (AMD EPYC, 2
 * cores), and at 1.7x to 2.2x handed over like this. The spin is bounded, so idle workers cost
 * nothing.
 */
public final class Workers {
    /** How long a worker (or the waiting caller) spins for the next hand-off before it parks. */
    static final long SPIN_NANOS = 1_000_000L;

    private final int threads;
    private final Worker[] workers;
    /** A split is running: a part that splits again runs its loop on its own thread. */
    private volatile boolean splitting;

    /** One part of a split loop: items {@code [from, to)}, part {@code part} of the split. */
    @FunctionalInterface
    public interface Part {
        /** Runs the items and returns the FLOPs it executed (0 where nothing is counted). */
        long run(int part, int from, int to);
    }

    public Workers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
        }
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
     * called from inside a part runs whole on the thread that called it (the workers are busy).
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
        int handed = 0;
        for (int index = 1; index < parts && index * step < count; index++) {
            int from = index * step;
            workers[handed++].hand(part, index, from, Math.min(count, from + step));
        }
        long total;
        try {
            total = part.run(0, 0, Math.min(count, step));
        } finally {
            for (int i = 0; i < handed; i++) {
                workers[i].await();
            }
        }
        for (int i = 0; i < handed; i++) {
            total = Math.addExact(total, workers[i].result());
        }
        return total;
    }

    /** Spins with {@link Thread#onSpinWait} until {@code done} holds (true) or {@link #SPIN_NANOS} pass (false). */
    private static boolean spin(BooleanSupplier done) {
        long start = System.nanoTime();
        for (int i = 1; ; i++) {
            if (done.getAsBoolean()) {
                return true;
            }
            Thread.onSpinWait();
            if ((i & 63) == 0 && System.nanoTime() - start > SPIN_NANOS) {
                return false;
            }
        }
    }

    /**
     * One worker thread and its hand-off. {@code posted} and {@code finished} count hand-offs; the
     * part's fields are written before {@code posted} (a volatile write publishes them) and the
     * result before {@code finished}. Each side announces that it parks ({@code sleeping},
     * {@code waiter}) and then checks again, so a hand-off or a result is never missed.
     */
    private static final class Worker implements Runnable {
        private final Thread thread;
        private volatile int posted;
        private volatile int finished;
        private volatile boolean sleeping;
        private volatile Thread waiter;
        private Part part;
        private int index;
        private int from;
        private int to;
        private long result;
        private Throwable failure;

        Worker() {
            thread = new Thread(this, "flopcast-worker");
            thread.setDaemon(true);
            thread.start();
        }

        /** Called by the splitting thread: the worker runs {@code part} over {@code [from, to)}. */
        void hand(Part part, int index, int from, int to) {
            this.part = part;
            this.index = index;
            this.from = from;
            this.to = to;
            this.failure = null;
            posted = posted + 1;
            if (sleeping) {
                LockSupport.unpark(thread);
            }
        }

        /** Called by the splitting thread: waits until the part it handed last has finished. */
        void await() {
            int target = posted;
            if (spin(() -> finished == target)) {
                return;
            }
            waiter = Thread.currentThread();
            while (finished != target) {
                LockSupport.park(this);
            }
            waiter = null;
        }

        /** What the part returned; rethrows its failure. */
        long result() {
            if (failure != null) {
                throw new IllegalStateException("a worker thread failed", failure);
            }
            return result;
        }

        @Override
        public void run() {
            int seen = 0;
            while (true) {
                int last = seen;
                if (!spin(() -> posted != last)) {
                    sleeping = true;
                    while (posted == last) {
                        LockSupport.park(this);
                    }
                    sleeping = false;
                }
                seen = posted;
                try {
                    result = part.run(index, from, to);
                } catch (Throwable t) {
                    failure = t;
                }
                finished = seen;
                Thread parked = waiter;
                if (parked != null) {
                    LockSupport.unpark(parked);
                }
            }
        }
    }
}
