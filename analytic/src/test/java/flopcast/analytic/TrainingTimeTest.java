package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class TrainingTimeTest {
    /** Tolerance for seconds and days: the division is one double operation, exact to about 1e-16. */
    private static final double RELATIVE = 1e-12;

    @Test
    void seedScenarioIs11418005_37SecondsOr132_15Days() {
        TrainingTime time = TrainingTime.of(400_000, new BigInteger("278313880780800"), 19.5e12, 0.5);
        assertEquals(new BigInteger("111325552312320000000"), time.totalFlops());
        assertEquals(111_325_552_312_320_000_000.0 / 9.75e12, time.seconds(), 11_418_005.37 * RELATIVE);
        assertEquals("11418005.37", String.format(java.util.Locale.ROOT, "%.2f", time.seconds()));
        assertEquals("132.15", String.format(java.util.Locale.ROOT, "%.2f", time.days()));
    }

    @Test
    void completeAccountingOfTheSeedScenarioIs6583_56Days() {
        Prediction complete = CompleteAccounting.predict(Preset.SEED_GPT2_XL.shape(1024));
        TrainingTime time = TrainingTime.of(400_000, complete.flops().step(), 19.5e12, 0.5);
        assertEquals("6583.56", String.format(java.util.Locale.ROOT, "%.2f", time.days()));
    }

    @Test
    void mfuMustBeInZeroOne() {
        assertThrows(InvalidInputException.class, () -> TrainingTime.requireMfu(0));
        assertThrows(InvalidInputException.class, () -> TrainingTime.requireMfu(1.0001));
        assertThrows(InvalidInputException.class, () -> TrainingTime.requireMfu(Double.NaN));
        assertThrows(InvalidInputException.class, () -> TrainingTime.requireMfu(-0.5));
        TrainingTime.requireMfu(1);
    }

    /** The seed's step: 2.78313881e14 FLOPs at 50% of 19.5 TFLOP/s is 28.545 s; 400,000 of them its 132.15 days. */
    @Test
    void computeSecondsPerStepIsStepFlopsOverPeakTimesMfu() {
        TrainingPlan plan = new TrainingPlan(400_000, Device.A100_80GB, Precision.FP32, 19.5e12, 0.5);
        BigInteger step = new BigInteger("278313880780800");
        assertEquals(278_313_880_780_800.0 / 9.75e12, plan.computeSecondsPerStep(step), 0.0);
        assertEquals(plan.timeFor(step).seconds(), 400_000 * plan.computeSecondsPerStep(step),
                11_418_005.37 * RELATIVE);
    }
}
