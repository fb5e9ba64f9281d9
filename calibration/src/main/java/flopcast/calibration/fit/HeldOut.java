package flopcast.calibration.fit;

import flopcast.analytic.FlopsUtilization;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.measurements.OpClass;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The calibrated model checked on what it was not fitted on: every measured step of a backend and
 * thread count that has a calibration, valid or marked noisy alone, predicted from all of that
 * calibration's component rows, and again from the component rows of the other shapes only (held
 * out). A step whose shape has no component rows is held out either way. A noisy step is shown
 * beside the others and judged by no target: its samples disagree by more than the targets resolve.
 */
public final class HeldOut {

    /**
     * @param backend          the step's backend
     * @param threads          threads its kernels used
     * @param shape            the step's shape
     * @param measuredSeconds  JMH's time per step
     * @param predictedSeconds the model fitted on every component row of its backend and thread count
     * @param leaveOutSeconds  the model fitted without this shape's component rows; NaN when no other shape was measured
     * @param modelFlops       forward plus backward matmul FLOPs of the step
     * @param hostMfu          model FLOPs / (measured time x measured peak at the step's thread count)
     * @param noiseFloor       the error the measurements alone can make: the step's spread and the median
     *                         spread of its fit's component rows (and the largest spread of a class fitted
     *                         from noisy rows), added in quadrature; NaN where a spread is unknown
     * @param noisy            whether the step row is marked noisy (its spread above the step limit)
     */
    public record StepCheck(String backend, int threads, Shape shape, double measuredSeconds, double predictedSeconds,
            double leaveOutSeconds, long modelFlops, double hostMfu, double noiseFloor, boolean noisy) {

        /**
         * Whether the check can say met or not met: the step row is not noisy and its noise floor is
         * known and within the worst target at its thread count. An undecided shape's error is shown
         * but judged by no target.
         */
        public boolean decided() {
            return !noisy && noiseFloor <= worstTarget(threads);
        }

        public double error() {
            return predictedSeconds / measuredSeconds - 1;
        }

        public double leaveOutError() {
            return leaveOutSeconds / measuredSeconds - 1;
        }

        public String label() {
            return Calibration.label(backend, threads);
        }
    }

    /** The held-out targets on one thread: the median step within 3%, the worst within 5%. */
    public static final double ONE_THREAD_MEDIAN_TARGET = 0.03;
    public static final double ONE_THREAD_WORST_TARGET = 0.05;
    /** Above one thread, where threads hand work to each other: median within 5%, worst within 10%. */
    public static final double THREADS_MEDIAN_TARGET = 0.05;
    public static final double THREADS_WORST_TARGET = 0.10;

    private HeldOut() {
    }

    public static double medianTarget(int threads) {
        return threads == 1 ? ONE_THREAD_MEDIAN_TARGET : THREADS_MEDIAN_TARGET;
    }

    public static double worstTarget(int threads) {
        return threads == 1 ? ONE_THREAD_WORST_TARGET : THREADS_WORST_TARGET;
    }

    /** Every step, valid or marked noisy alone, that one of {@code calibrations} describes, checked against it. */
    public static List<StepCheck> check(List<Measurement> rows, List<Calibration> calibrations) {
        List<StepCheck> checks = new ArrayList<>();
        for (Measurement step : rows) {
            if (!step.pass().equals("step") || !step.timedRight()) {
                continue;
            }
            Optional<Calibration> fitted = calibrations.stream().filter(c -> c.describes(step)).findFirst();
            if (fitted.isEmpty()) {
                continue;
            }
            Calibration all = fitted.get();
            Shape shape = step.shape();
            checks.add(new StepCheck(step.backend(), step.threads(), shape, step.secondsPerOp(),
                    all.predictStep(shape).seconds(), leaveShapeOut(rows, all, shape), step.matmulFlops(),
                    FlopsUtilization.mfu(step.matmulFlops(), step.secondsPerOp(), all.peakFlopsPerSecond()),
                    Math.hypot(Math.hypot(step.spread(), componentSpread(rows, all, shape)), all.noisySpread(shape)),
                    !step.valid()));
        }
        return checks;
    }

    /**
     * The median spread of the valid component and AdamW rows {@code fitted} describes that time a step at
     * {@code shape} (the bf16 conversion rows only where it converts); NaN where none has one.
     */
    static double componentSpread(List<Measurement> rows, Calibration fitted, Shape shape) {
        double[] spreads = rows.stream().filter(r -> r.valid() && fitted.describes(r) && OpClass.of(r)
                .filter(op -> op.times(shape)).isPresent())
                .mapToDouble(Measurement::spread).toArray();
        if (Arrays.stream(spreads).anyMatch(Double::isNaN)) {
            return Double.NaN;
        }
        Arrays.sort(spreads);
        return middle(spreads);
    }

    /** The step predicted without its shape's component rows; NaN when no other shape was measured. */
    private static double leaveShapeOut(List<Measurement> rows, Calibration all, Shape shape) {
        try {
            // component rows are measured at the default settings: a settings step leaves out its shape's rows too
            Shape measured = shape.withSettings(Settings.DEFAULT);
            return Calibration.fit(rows, all.backend(), all.threads(),
                    r -> r.shape() == null || !r.shape().withSettings(Settings.DEFAULT).equals(measured))
                    .predictStep(shape).seconds();
        } catch (InvalidInputException e) {
            return Double.NaN;
        }
    }

    /**
     * Every measured step of every backend and thread count, with its MFU against the measured peak
     * at the same thread count (empty when no probe ran at that count).
     *
     * @param backend    ejml or vector
     * @param threads    threads the step's matmuls used
     * @param shape      the step's shape
     * @param seconds    JMH's time per step
     * @param modelFlops forward plus backward matmul FLOPs
     * @param mfu        model FLOPs / (seconds x measured peak at {@code threads}); NaN without that probe
     */
    public record BackendStep(String backend, int threads, Shape shape, double seconds, long modelFlops, double mfu) {
    }

    public static List<BackendStep> byBackend(List<Measurement> rows) {
        List<BackendStep> steps = new ArrayList<>();
        for (Measurement row : rows) {
            if (!row.pass().equals("step") || !row.timedRight()) {
                continue;
            }
            double peak = rows.stream().filter(r -> r.component().equals("peak_flops") && r.threads() == row.threads())
                    .mapToDouble(Measurement::flopsPerSecond).findFirst().orElse(Double.NaN);
            steps.add(new BackendStep(row.backend(), row.threads(), row.shape(), row.secondsPerOp(), row.matmulFlops(),
                    FlopsUtilization.mfu(row.matmulFlops(), row.secondsPerOp(), peak)));
        }
        return steps;
    }

    /** The decided checks' held-out errors: each prediction from the other shapes, where one could be made. */
    private static double[] heldOutErrors(List<StepCheck> checks) {
        return checks.stream().filter(c -> c.decided() && !Double.isNaN(c.leaveOutSeconds()))
                .mapToDouble(c -> Math.abs(c.leaveOutError())).sorted().toArray();
    }

    /** How many checks are undecided: their step row noisy, or their noise floor unknown or above the worst target. */
    public static long undecided(List<StepCheck> checks) {
        return checks.stream().filter(c -> !c.decided()).count();
    }

    /** The checks of one backend at one thread count. */
    public static List<StepCheck> of(List<StepCheck> checks, String backend, int threads) {
        return checks.stream().filter(c -> c.backend().equals(backend) && c.threads() == threads).toList();
    }

    /** The largest absolute held-out error of the decided checks; NaN when none could be held out. */
    public static double worst(List<StepCheck> checks) {
        double[] errors = heldOutErrors(checks);
        return errors.length == 0 ? Double.NaN : errors[errors.length - 1];
    }

    /** The median absolute held-out error of the decided checks; NaN when none could be held out. */
    public static double median(List<StepCheck> checks) {
        return middle(heldOutErrors(checks));
    }

    /**
     * What a setting costs in time: a step at other settings beside the step of the same backend,
     * threads and shape at the defaults, both measured and both predicted (held out).
     *
     * @param setting the step at other settings
     * @param base    the same step at the defaults
     */
    public record SettingCost(StepCheck setting, StepCheck base) {
        /** Measured time at the setting over measured time at the defaults. */
        public double measuredRatio() {
            return setting.measuredSeconds() / base.measuredSeconds();
        }

        /** The same from the held-out predictions. */
        public double predictedRatio() {
            return setting.leaveOutSeconds() / base.leaveOutSeconds();
        }

        /** What the setting changes, as predict's options write it. */
        public String describe() {
            Settings s = setting.shape().settings();
            StringBuilder text = new StringBuilder();
            if (s.attention() != Settings.DEFAULT.attention()) {
                text.append("--attention ").append(s.attention().cliName()).append(' ');
            }
            if (s.recompute() != Settings.DEFAULT.recompute()) {
                text.append("--recompute ").append(s.recompute().cliName()).append(' ');
            }
            if (s.policy() != Settings.DEFAULT.policy()) {
                text.append("--precision-policy ").append(s.policy().cliName()).append(' ');
            }
            return text.toString().strip();
        }
    }

    /** Every checked step at other settings that has a checked step at the defaults beside it. */
    public static List<SettingCost> settingCosts(List<StepCheck> checks) {
        List<SettingCost> costs = new ArrayList<>();
        for (StepCheck setting : checks) {
            if (setting.shape().settings().equals(Settings.DEFAULT)) {
                continue;
            }
            Shape base = setting.shape().withSettings(Settings.DEFAULT);
            checks.stream().filter(c -> c.backend().equals(setting.backend()) && c.threads() == setting.threads()
                    && c.shape().equals(base)).findFirst().ifPresent(c -> costs.add(new SettingCost(setting, c)));
        }
        return costs;
    }

    /** The middle of sorted values, or the mean of the two middle ones; NaN where there are none. */
    private static double middle(double[] sorted) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
