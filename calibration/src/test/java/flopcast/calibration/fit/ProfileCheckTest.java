package flopcast.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Component;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.OverheadTraffic;
import flopcast.calibration.profile.ProfileCsvTest;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A profiled step beside the model's terms of the same class and pass. */
class ProfileCheckTest {
    private static final double EXACT = 1e-12;

    @Test
    void eachClassBesideItsTermAndTheRestAsUnmodelledOrRemainder(@TempDir Path directory) {
        Calibration fit = Calibration.fit(CalibrationTest.measurements(SyntheticMeasurements.rows("host", null, 1),
                directory), r -> true);
        List<ProfileCheck> checks = ProfileCheck.of(ProfileCsvTest.rows("run-1", "host"), List.of(fit));
        assertEquals(1, checks.size());
        ProfileCheck check = checks.get(0);
        // ffn_w1 forward: two layers of 2 m n k FLOPs at half the peak
        double w1 = 2 * MatmulFlops.forward(Component.FFN_W1, SyntheticMeasurements.SMALL).doubleValue()
                / (SyntheticMeasurements.PEAK * SyntheticMeasurements.MATMUL_FORWARD);
        ProfileCheck.ClassTime first = check.classes().get(0);
        assertEquals(List.of("ffn_w1", "forward"), List.of(first.opClass(), first.pass()));
        assertEquals(w1, first.predicted(), w1 * EXACT);
        assertTrue(check.classes().get(1).modelled(), "AdamW has the optimizer term");
        // head copies backward: their bytes at the probes' one-thread bandwidth, no efficiency fitted
        OverheadTraffic.Traffic copies = OverheadTraffic.of(SyntheticMeasurements.SMALL).stream()
                .filter(t -> t.opClass().equals("head_copy") && t.pass().equals("backward")).findFirst().orElseThrow();
        double copySeconds = copies.bytes().doubleValue() / SyntheticMeasurements.BANDWIDTH;
        assertEquals(copySeconds, check.classes().get(2).predicted(), copySeconds * EXACT);
        assertTrue(!check.classes().get(3).modelled(), "the attention split's hand-off has no term");
        assertEquals(0.002, check.unmodelledSeconds(), EXACT);
        assertEquals(0.0075, check.modelledMeasuredSeconds(), EXACT);
        assertEquals(0.0005, check.remainderSeconds(), EXACT);
        assertTrue(ProfileCheck.of(ProfileCsvTest.rows("run-1", "host"), List.of()).isEmpty(),
                "no fit at the step's backend and threads: nothing to set it beside");
    }
}
