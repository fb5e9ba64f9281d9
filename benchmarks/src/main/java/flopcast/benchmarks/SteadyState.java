package flopcast.benchmarks;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Runs a benchmark's op before JMH times it, until the JIT has compiled it: a warm-up that follows
 * compilation, not a clock. The op runs in rounds of at least {@link #ROUND_NANOS} (and at least
 * one call). A round is quiet when the compilations HotSpot finished during it took under
 * {@link #COMPILING} of its wall time (small methods keep compiling for a while: a millisecond now
 * and then) and the threads Java cannot see (the JIT's compiler threads, and the collector's) used
 * under {@link #HIDDEN_CPU} of it: the process's CPU time less that of every Java thread, which the
 * OS counts in 10 ms ticks (so an eighth of a round is noise; a busy compiler thread shows as a third
 * to two thirds). Warm-up ends after {@link #QUIET_ROUNDS} quiet rounds in a row whose
 * times per op agree within {@link #AGREEMENT}, or after {@link #MAX_SECONDS} without that: the
 * trial is then marked unsettled ({@link Work#unsettled}), and the derivation marks its row invalid.
 *
 * <p>Why: the Vector API's operations run as Java fallbacks, some hundred times slower, until C2
 * compiles the method that calls them. A fixed warm-up of 100 ms (the quick run's) timed those
 * fallbacks: the vector GEMM at 0.1 to 0.8 GFLOP/s where the compiled code reaches 60 to 160, and
 * the FMA probe at a quarter of its compiled peak. How long compilation takes depends on the host
 * and on what else runs on it, so no clock fits every host. Compilation time alone is not enough:
 * HotSpot adds a compilation's time when it completes, so a round during a long C2 compilation looks
 * quiet; the compiler thread's CPU time shows it (seen: the tiny output projection's forward passed
 * a compilation-time-only check at 43 ms a call, then ran at 0.1 ms once compiled).
 */
public final class SteadyState {
    /** A round is at least this long, so that one round's time per op is not one call's noise. */
    static final long ROUND_NANOS = 80_000_000L;
    /**
     * Quiet rounds agree when their times per op differ by at most this fraction: the round-to-round
     * spread of compiled code on the noisy 2-core hosts (at 10%, the wide step's three one-step rounds
     * missed it for 8 s on the AMD EPYC).
     */
    static final double AGREEMENT = 0.15;
    /** Quiet rounds in a row that end the warm-up. */
    static final int QUIET_ROUNDS = 3;
    /** Compilation time finished in a round, as a fraction of its wall time, below which the JIT is idle. */
    static final double COMPILING = 0.05;
    /** CPU time of threads invisible to Java, as a fraction of a round's wall time, below which the JIT is idle. */
    static final double HIDDEN_CPU = 0.25;
    /** The bound on one trial's warm-up: the wide vector step settles in three to five seconds. */
    public static final double MAX_SECONDS = 8;
    /**
     * Seconds before a whole step's rounds may count as quiet: the tiny vector step's time fell from
     * 4.9 to 2.9 ms between 1.3 and 3.5 s into its warm-up (AMD EPYC, 2 cores).
     */
    public static final double STEP_MIN_SECONDS = 4;
    /** Whether every warm-up in this JVM settled (one trial per fork, so: this trial's). */
    private static volatile boolean settled = true;

    private SteadyState() {
    }

    /** An op to warm: returns something so that the JIT cannot drop it. */
    @FunctionalInterface
    interface Op {
        Object run();
    }

    /** Warms {@code op} until it is compiled and steady (see the class comment); marks this JVM's trial unsettled if it is not. */
    static void warm(Op op) {
        warm(op, 0);
    }

    /**
     * As {@link #warm(Op)}, counting no round as quiet before {@code minSeconds} have passed: for ops
     * that call many methods a few times each (a whole step), whose compilation trickles on for
     * seconds after their rounds first agree (seen: the tiny vector step agreed at 4.9 ms after 1.3
     * s and reached 2.9 ms only after 3.5 s, with C2 still compiling and recompiling in between).
     */
    static void warm(Op op, double minSeconds) {
        if (!settle(op, (long) (minSeconds * 1e9), (long) ((minSeconds + MAX_SECONDS) * 1e9)).settled()) {
            settled = false;
        }
    }

    /**
     * How one warm-up went.
     *
     * @param rounds  rounds run
     * @param settled whether it ended quiet and steady rather than at its bound
     */
    record Outcome(int rounds, boolean settled) {
    }

    /** Runs {@code op} in rounds until {@link #QUIET_ROUNDS} quiet rounds agree, or for at most {@code maxNanos}. */
    static Outcome settle(Op op, long maxNanos) {
        return settle(op, 0, maxNanos);
    }

    /**
     * Runs {@code op} in rounds until {@link #QUIET_ROUNDS} quiet rounds agree, no round counting as
     * quiet before {@code minNanos}, or for at most {@code maxNanos}.
     */
    static Outcome settle(Op op, long minNanos, long maxNanos) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean canSeeJit = jit != null && jit.isCompilationTimeMonitoringSupported();
        long begin = System.nanoTime();
        long deadline = begin + maxNanos;
        double[] perOp = new double[QUIET_ROUNDS];
        int quiet = 0;
        int rounds = 0;
        Object sink = null;
        while (true) {
            long compiledBefore = canSeeJit ? jit.getTotalCompilationTime() : 0;
            long hiddenBefore = hiddenCpuNanos();
            long start = System.nanoTime();
            long calls = 0;
            long elapsed;
            do {
                sink = op.run();
                calls++;
                elapsed = System.nanoTime() - start;
            } while (elapsed < ROUND_NANOS);
            rounds++;
            long compiledMillis = canSeeJit ? jit.getTotalCompilationTime() - compiledBefore : 0;
            boolean jitIdle = start - begin >= minNanos && compiledMillis * 1e6 < COMPILING * elapsed
                    && hiddenCpuNanos() - hiddenBefore < HIDDEN_CPU * elapsed;
            quiet = jitIdle ? quiet + 1 : 0;
            if (quiet > 0) {
                perOp[(quiet - 1) % QUIET_ROUNDS] = (double) elapsed / calls;
            }
            if (quiet >= QUIET_ROUNDS && agree(perOp)) {
                blackhole(sink);
                return new Outcome(rounds, true);
            }
            if (System.nanoTime() > deadline) {
                blackhole(sink);
                return new Outcome(rounds, false);
            }
        }
    }

    /**
     * Rounds of a rotation in a row that must be quiet before {@link InterleavedBenchmark} times it:
     * each such round runs every op of the trial, many seconds of them at the default run's size.
     */
    static final int ROTATION_QUIET_ROUNDS = 2;

    /**
     * Runs {@code rotation} (every op of a trial that takes turns, once each) in rounds of at least
     * {@link #ROUND_NANOS} until {@link #ROTATION_QUIET_ROUNDS} rounds in a row are quiet as above, or
     * for at most {@code maxNanos}; true where they were. No agreement between rounds is asked: a
     * round is many ops, whose times the host moves. Why: ops that share one JVM share its compiled
     * code, and each op's warm-up alone leaves the others' call sites to be recompiled once every op
     * has run (seen: a second of C2 compilation, in bursts of 270 to 350 ms, while the tiny shape's
     * rows took turns on two threads after each had settled alone; a compiler thread on one of two
     * vCPUs stalls every split kernel).
     */
    static boolean quiet(Op rotation, long maxNanos) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean canSeeJit = jit != null && jit.isCompilationTimeMonitoringSupported();
        long deadline = System.nanoTime() + maxNanos;
        int quiet = 0;
        Object sink = null;
        while (quiet < ROTATION_QUIET_ROUNDS) {
            if (System.nanoTime() > deadline) {
                blackhole(sink);
                return false;
            }
            long compiledBefore = canSeeJit ? jit.getTotalCompilationTime() : 0;
            long hiddenBefore = hiddenCpuNanos();
            long start = System.nanoTime();
            long elapsed;
            do {
                sink = rotation.run();
                elapsed = System.nanoTime() - start;
            } while (elapsed < ROUND_NANOS);
            long compiledMillis = canSeeJit ? jit.getTotalCompilationTime() - compiledBefore : 0;
            boolean jitIdle = compiledMillis * 1e6 < COMPILING * elapsed
                    && hiddenCpuNanos() - hiddenBefore < HIDDEN_CPU * elapsed;
            quiet = jitIdle ? quiet + 1 : 0;
        }
        blackhole(sink);
        return true;
    }

    private static boolean agree(double[] times) {
        double low = Double.POSITIVE_INFINITY;
        double high = 0;
        for (double time : times) {
            low = Math.min(low, time);
            high = Math.max(high, time);
        }
        return high <= (1 + AGREEMENT) * low;
    }

    /**
     * The process's CPU time less that of every live Java thread: the JIT's compiler threads and the
     * collector's, which Java does not list. 0 where the JVM cannot measure either.
     */
    private static long hiddenCpuNanos() {
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)) {
            return 0;
        }
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads)
                || !threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
            return 0;
        }
        long visible = 0;
        for (long cpu : threads.getThreadCpuTime(threads.getAllThreadIds())) {
            visible += Math.max(0, cpu);
        }
        return os.getProcessCpuTime() - visible;
    }

    /** Whether every warm-up so far in this JVM settled. */
    static boolean settled() {
        return settled;
    }

    /** Keeps the warm-up's last result observable (a volatile write of its hash). */
    private static volatile int observed;

    private static void blackhole(Object value) {
        observed = System.identityHashCode(value);
    }
}
