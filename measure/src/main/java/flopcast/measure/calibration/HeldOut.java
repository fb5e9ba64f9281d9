package flopcast.measure.calibration;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The calibrated model checked on what it was not fitted on: every measured step, predicted from
 * all component rows; and each shape's step again, predicted from the other shapes' component rows
 * only (leave one shape out).
 */
public final class HeldOut {

    /**
     * @param shape            the step's shape
     * @param measuredSeconds  JMH's time per step
     * @param predictedSeconds the model fitted on every component row
     * @param leaveOutSeconds  the model fitted without this shape's component rows
     * @param modelFlops       forward plus backward matmul FLOPs of the step
     * @param hostMfu          model FLOPs / (measured time x measured one-thread peak)
     */
    public record StepCheck(Shape shape, double measuredSeconds, double predictedSeconds, double leaveOutSeconds,
            long modelFlops, double hostMfu) {

        public double error() {
            return predictedSeconds / measuredSeconds - 1;
        }

        public double leaveOutError() {
            return leaveOutSeconds / measuredSeconds - 1;
        }
    }

    private HeldOut() {
    }

    public static List<StepCheck> check(List<Measurement> rows, Calibration all) {
        List<StepCheck> checks = new ArrayList<>();
        for (Measurement step : rows) {
            if (!step.pass().equals("step") || step.threads() != 1
                    || !step.backend().equals(Calibration.REFERENCE_BACKEND)) {
                continue;
            }
            Shape shape = step.shape();
            checks.add(new StepCheck(shape, step.secondsPerOp(), all.predictStep(shape).seconds(),
                    leaveShapeOut(rows, shape), step.matmulFlops(),
                    step.matmulFlops() / (step.secondsPerOp() * all.peakFlopsPerSecond())));
        }
        return checks;
    }

    /** The step predicted without its shape's component rows; NaN when no other shape was measured. */
    private static double leaveShapeOut(List<Measurement> rows, Shape shape) {
        try {
            return Calibration.fit(rows, r -> r.shape() == null || !r.shape().equals(shape)).predictStep(shape)
                    .seconds();
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
            if (!row.pass().equals("step")) {
                continue;
            }
            double peak = rows.stream().filter(r -> r.component().equals("peak_flops") && r.threads() == row.threads())
                    .mapToDouble(Measurement::flopsPerSecond).findFirst().orElse(Double.NaN);
            steps.add(new BackendStep(row.backend(), row.threads(), row.shape(), row.secondsPerOp(), row.matmulFlops(),
                    row.matmulFlops() / (row.secondsPerOp() * peak)));
        }
        return steps;
    }

    /** The largest absolute error, of either kind (leave-one-out where it could be computed). */
    public static double worst(List<StepCheck> checks) {
        double worst = 0;
        for (StepCheck check : checks) {
            worst = Math.max(worst, Math.abs(check.error()));
            if (!Double.isNaN(check.leaveOutSeconds())) {
                worst = Math.max(worst, Math.abs(check.leaveOutError()));
            }
        }
        return worst;
    }
}
