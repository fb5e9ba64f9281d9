package flopcast.benchmarks;

/**
 * One row of a benchmark class, as {@link InterleavedBenchmark} times it in its turn: the op, what
 * each call of it does ({@link Work.PerOp}) and whether its warm-up settled. The op is the one that
 * class's own trial times, built by the same code ({@link ComponentBenchmark#turn},
 * {@link AdamWBenchmark#turn}, {@link WholeStepBenchmark#turn}).
 */
final class Turn {
    private final SteadyState.Op op;
    private final Runnable beforeCall;
    private final Work.PerOp perOp;
    private final boolean step;
    private final int opsPerCall;
    private boolean settled = true;

    /**
     * @param op         one call of the op
     * @param beforeCall what JMH runs untimed before each call in that benchmark's own trial (an
     *                   elementwise kernel's inputs restored); nothing where it runs nothing
     * @param perOp      what one call does
     * @param step       whether the op is a whole step, whose warm-up counts no round before
     *                   {@link SteadyState#STEP_MIN_SECONDS} in a JVM that has not yet warmed a step
     */
    Turn(SteadyState.Op op, Runnable beforeCall, Work.PerOp perOp, boolean step) {
        this(op, beforeCall, perOp, step, 1);
    }

    /**
     * As {@link #Turn(SteadyState.Op, Runnable, Work.PerOp, boolean)}, for an op of which one call
     * runs {@code opsPerCall} ({@link Work#ops}): {@code perOp} is one of them.
     */
    Turn(SteadyState.Op op, Runnable beforeCall, Work.PerOp perOp, boolean step, int opsPerCall) {
        if (opsPerCall < 1) {
            throw new IllegalArgumentException("a call runs at least one op, got " + opsPerCall);
        }
        this.op = op;
        this.beforeCall = beforeCall;
        this.perOp = perOp;
        this.step = step;
        this.opsPerCall = opsPerCall;
    }

    boolean step() {
        return step;
    }

    /**
     * Warms the op ({@link SteadyState}), no round counting before {@code minSeconds}, for at most
     * {@code maxSeconds}; remembers whether it settled.
     */
    void warm(double minSeconds, double maxSeconds) {
        settled = SteadyState.settle(this::runOnce, (long) (minSeconds * 1e9), (long) (maxSeconds * 1e9)).settled();
    }

    /** Marks the op unsettled: the JIT went on compiling after its warm-up. */
    void unsettle() {
        settled = false;
    }

    /** What precedes each timed call, untimed. */
    void beforeCall() {
        beforeCall.run();
    }

    /** One call of the op, recorded as turn {@code index} of {@code rotation}. */
    Object run(Work work, int index, int rotation) {
        Object result = call();
        work.add(perOp, index, rotation, settled, opsPerCall);
        return result;
    }

    /** One call, not recorded, after what precedes it. */
    Object runOnce() {
        beforeCall();
        return call();
    }

    /**
     * The op. Every call goes through this one call site, warm-ups and timed calls alike: HotSpot
     * profiles a call site's receivers per bytecode, so the rotations before timing leave it seen
     * with every turn's op, and the timed calls find no receiver that C2 did not expect (through a
     * site of its own, each turn that follows would deoptimize the code compiled for the one before).
     */
    private Object call() {
        return op.run();
    }
}
