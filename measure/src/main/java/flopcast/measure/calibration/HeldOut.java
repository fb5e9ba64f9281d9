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
            if (!step.pass().equals("step") || step.threads() != 1) {
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
