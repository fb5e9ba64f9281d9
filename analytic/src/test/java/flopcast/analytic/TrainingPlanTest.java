package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class TrainingPlanTest {
    /** One double division: exact to about 1e-16. */
    private static final double RELATIVE = 1e-15;

    /**
     * The probe's test shape at B = 2 (2,661,120 model FLOPs a step) on an H100 at fp32 (67
     * TFLOP/s): 2,661,120 / 67e12 = 3.97182e-8 seconds, whatever the plan's steps and MFU.
     */
    @Test
    void stepSecondsAtPeakIsOneStepsFlopsOverThePeakAtAnyMfu() {
        TrainingPlan plan = new TrainingPlan(400_000, Device.H100_SXM, Precision.FP32, 67e12, 0.4);
        double seconds = plan.stepSecondsAtPeak(BigInteger.valueOf(2_661_120));
        assertEquals(2_661_120 / 67e12, seconds, 3.97182e-8 * RELATIVE);
        assertEquals("3.97182e-08", String.format(java.util.Locale.ROOT, "%.5e", seconds));
        assertEquals(0.4 * plan.timeFor(BigInteger.valueOf(2_661_120)).seconds() / 400_000, seconds,
                seconds * 1e-12);
    }
}
