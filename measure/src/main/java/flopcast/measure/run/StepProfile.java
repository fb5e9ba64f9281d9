package flopcast.measure.run;

import flopcast.analytic.Component;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.MinimumTraffic;
import flopcast.analytic.Shape;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.counting.OpClass;
import flopcast.measure.counting.OpProfile;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Where a training step's time went, by op class and pass, averaged over the profiled steps: the
 * total over those steps divided by their number, for every class and for the step alike, so the
 * classes and the remainder add up to the step. The remainder is the step's wall time no class
 * timed (step minus the sum of the classes): the loop around the ops, the small bookkeeping between
 * them, the clock itself. Pinned by {@code OpProfileTest}.
 *
 * @param firstStep   the first step profiled, counted from 1 (the steps before it warm up)
 * @param steps       the steps profiled, the last of the run
 * @param stepSeconds mean wall time of a profiled step
 * @param rows        one per class and pass that ran, the slowest first
 */
public record StepProfile(int firstStep, int steps, double stepSeconds, List<Row> rows) {

    /**
     * One op class in one pass, per step.
     *
     * @param op            the class
     * @param pass          the pass its calls ran in
     * @param calls         calls a step (a split across threads is one call)
     * @param seconds       wall seconds a step, on the calling thread
     * @param flops         FLOPs a step, as counted at each call (0 where the class executes none)
     * @param matmul        true for the matmul classes ({@link MatmulFlops} has a row for them)
     * @param minimumBytes  {@link MinimumTraffic}'s float32 lower bound on the bytes the class moves a
     *                      step, for the memory-bound classes it describes; empty for the matmuls
     *                      (rated by FLOPs) and for the work it has no row for
     */
    public record Row(OpClass op, FlopCounter.Pass pass, long calls, double seconds, long flops, boolean matmul,
            Optional<BigInteger> minimumBytes) {

        /** FLOPs per second of a matmul class; else empty. */
        public Optional<Double> flopsPerSecond() {
            return matmul && seconds > 0 ? Optional.of(flops / seconds) : Optional.empty();
        }

        /** Minimum bytes per second, where {@link #minimumBytes} is known. */
        public Optional<Double> bytesPerSecond() {
            return seconds > 0 ? minimumBytes.map(bytes -> bytes.doubleValue() / seconds) : Optional.empty();
        }
    }

    /** Seconds a step the classes timed. */
    public double timedSeconds() {
        double total = 0;
        for (Row row : rows) {
            total += row.seconds();
        }
        return total;
    }

    /** Seconds a step no class timed: {@link #stepSeconds} - {@link #timedSeconds}. */
    public double remainderSeconds() {
        return stepSeconds - timedSeconds();
    }

    /** {@code seconds} as a fraction of the step. */
    public double share(double seconds) {
        return seconds / stepSeconds;
    }

    /**
     * The profile {@code profile} recorded over {@code steps} steps from step {@code firstStep} on,
     * which took {@code stepNanos} together, at {@code shape} with {@code parameters} parameters.
     */
    public static StepProfile of(OpProfile profile, long stepNanos, int firstStep, int steps, Shape shape,
            long parameters) {
        if (steps < 1) {
            throw new IllegalArgumentException("a profile needs at least one step, got " + steps);
        }
        List<Row> rows = new ArrayList<>();
        for (OpClass op : OpClass.values()) {
            for (FlopCounter.Pass pass : FlopCounter.Pass.values()) {
                long calls = profile.calls(op, pass);
                if (calls == 0) {
                    continue;
                }
                rows.add(new Row(op, pass, calls / steps, profile.nanos(op, pass) / 1e9 / steps,
                        profile.flops(op, pass) / steps, matmul(op, shape), minimumBytes(op, pass, shape, parameters)));
            }
        }
        rows.sort(Comparator.comparingDouble(Row::seconds).reversed());
        return new StepProfile(firstStep, steps, stepNanos / 1e9 / steps, List.copyOf(rows));
    }

    /** True where {@code op} is a component with matmul FLOPs at {@code shape}. */
    static boolean matmul(OpClass op, Shape shape) {
        return op.component().map(c -> MatmulFlops.forward(c, shape).signum() > 0).orElse(false);
    }

    /**
     * The bytes {@link MinimumTraffic} says {@code op} moves a step in {@code pass}: its forward or
     * backward row times the component's instances (a recomputation reruns the forward), AdamW's 28
     * per parameter; empty for the matmul classes, for flash attention's softmax (whose tiles never
     * hold the T x T square the row counts) and for the classes it has no row for.
     */
    static Optional<BigInteger> minimumBytes(OpClass op, FlopCounter.Pass pass, Shape shape, long parameters) {
        if (op == OpClass.ADAMW) {
            return Optional.of(MinimumTraffic.adamW(parameters));
        }
        Optional<Component> component = op.component();
        if (component.isEmpty() || matmul(op, shape)
                || (component.get() == Component.ATTENTION_SOFTMAX && shape.attention().tiled())) {
            return Optional.empty();
        }
        BigInteger instances = BigInteger.valueOf(component.get().instances(shape));
        return switch (pass) {
            case FORWARD, RECOMPUTE -> Optional.of(MinimumTraffic.forward(component.get(), shape).multiply(instances));
            case BACKWARD -> Optional.of(MinimumTraffic.backward(component.get(), shape).multiply(instances));
            case OPTIMIZER -> Optional.empty();
        };
    }
}
