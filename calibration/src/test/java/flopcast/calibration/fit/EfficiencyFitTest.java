package flopcast.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flopcast.calibration.measurements.OpClass;
import java.util.List;
import org.junit.jupiter.api.Test;

class EfficiencyFitTest {
    /** Least squares on exact points: recovered to round-off. */
    private static final double EXACT = 1e-12;

    @Test
    void recoversALogLinearLineAndHoldsItWithinTheMeasuredEfficiencies() {
        // e = 0.1 + 0.02 ln(x) at x = e, e^2, e^3: 0.12, 0.14, 0.16
        EfficiencyFit fit = EfficiencyFit.of(OpClass.MATMUL_FORWARD, List.of(new EfficiencyFit.Point(Math.E, 0.12),
                new EfficiencyFit.Point(Math.exp(2), 0.14), new EfficiencyFit.Point(Math.exp(3), 0.16)));
        assertEquals(0.1, fit.intercept(), EXACT);
        assertEquals(0.02, fit.slope(), EXACT);
        assertEquals(0.15, fit.efficiency(Math.exp(2.5)), EXACT);
        assertEquals(0.16, fit.efficiency(Math.exp(30)), EXACT, "held at the largest measured efficiency");
        assertEquals(0.12, fit.efficiency(1e-9), EXACT, "held at the smallest");
        assertEquals(3, fit.points());
    }

    @Test
    void oneSizeGivesTheMeanEfficiency() {
        EfficiencyFit fit = EfficiencyFit.of(OpClass.ADAMW, List.of(new EfficiencyFit.Point(1e6, 0.3),
                new EfficiencyFit.Point(1e6, 0.5)));
        assertEquals(0.0, fit.slope(), 0.0);
        assertEquals(0.4, fit.efficiency(1e9), EXACT);
    }
}
