package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Worked by hand:
 * <pre>
 *   4e12 model FLOPs in 0.02 s on a 1e15 FLOP/s peak:   4e12 / (0.02 x 1e15) = 0.2
 *   the same as a rate: 4e12 / 0.02 = 2e14 FLOP/s;      2e14 / 1e15          = 0.2
 *   1e9 FLOPs in 0.5 s on a 217 GFLOP/s core:           1e9 / (0.5 x 217e9)  = 0.0092166
 *   full recomputation runs the forward matmuls again: forward 1e12, model 3e12, hardware 4e12, in 0.02 s
 *   on 1e15: MFU 3e12 / 2e13 = 0.15, HFU 4e12 / 2e13 = 0.2 (HFU / MFU = 4/3)
 * </pre>
 */
class FlopsUtilizationTest {
    /** One or two double operations: exact to a few ulps. */
    private static final double RELATIVE = 1e-15;

    @ParameterizedTest
    @CsvSource({
        "4e12, 0.02, 1e15, 0.2",
        "1e9, 0.5, 217e9, 0.009216589861751152",
        "3e12, 0.02, 1e15, 0.15",
    })
    void mfuIsModelFlopsOverSecondsTimesPeak(double flops, double seconds, double peak, double expected) {
        assertEquals(expected, FlopsUtilization.mfu(flops, seconds, peak), expected * RELATIVE);
        assertEquals(expected, FlopsUtilization.mfuOfRate(flops / seconds, peak), expected * 4 * RELATIVE);
    }

    @Test
    void fullRecomputationMakesHfuFourThirdsOfMfu() {
        double mfu = FlopsUtilization.mfu(3e12, 0.02, 1e15);
        double hfu = FlopsUtilization.hfu(4e12, 0.02, 1e15);
        assertEquals(0.2, hfu, 0.2 * RELATIVE);
        assertEquals(4.0 / 3, hfu / mfu, RELATIVE * 4);
    }

    @Test
    void theSeedsStepAtHalfTheFp32PeakIsFiftyPercentMfu() {
        // the seed's GPT-2 XL step: 278,313,880,780,800 FLOPs; at 50% of the A100's 19.5 TFLOP/s one step takes 28.545 s
        BigInteger step = new BigInteger("278313880780800");
        double seconds = TrainingTime.of(1, step, 19.5e12, 0.5).seconds();
        assertEquals(28.545013413415385, seconds, 28.55 * RELATIVE);
        assertEquals(0.5, FlopsUtilization.mfu(step.doubleValue(), seconds, 19.5e12), 0.5 * RELATIVE);
    }

    @Test
    void noPeakGivesNaNNotAFraction() {
        assertTrue(Double.isNaN(FlopsUtilization.mfu(4e12, 0.02, Double.NaN)));
        assertTrue(Double.isNaN(FlopsUtilization.mfuOfRate(2e14, Double.NaN)));
    }
}
