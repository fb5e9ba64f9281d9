package flopcast.measure.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.InvalidInputException;
import flopcast.measure.results.MeasurementsCsv;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fits and held-out checks on synthetic rows whose answers are known. */
class CalibrationTest {
    /** Times built by the same sums: equal to round-off. */
    private static final double EXACT = 1e-9;

    static List<Measurement> measurements(List<Map<String, Object>> rows, Path directory) {
        Path file = directory.resolve("measurements.csv");
        MeasurementsCsv.write(file, rows);
        List<Measurement> parsed = new ArrayList<>();
        List<Map<String, String>> read = MeasurementsCsv.read(file);
        for (int i = 0; i < read.size(); i++) {
            parsed.add(Measurement.of(read.get(i), i + 2));
        }
        return parsed;
    }

    @Test
    void fitsRecoverTheEfficienciesAndPredictEveryStepExactly(@TempDir Path directory) {
        List<Measurement> rows = measurements(SyntheticMeasurements.rows("host", null, 1), directory);
        Calibration calibration = Calibration.fit(rows, r -> true);
        assertEquals(SyntheticMeasurements.PEAK, calibration.peakFlopsPerSecond(), SyntheticMeasurements.PEAK * EXACT);
        assertEquals(0.5, calibration.fits().get(OpClass.MATMUL_FORWARD).efficiency(10), EXACT);
        assertEquals(0.25, calibration.fits().get(OpClass.MATMUL_BACKWARD).efficiency(1000), EXACT);
        assertEquals(0.8, calibration.fits().get(OpClass.SOFTMAX_BACKWARD).efficiency(5e5), EXACT);
        List<HeldOut.StepCheck> checks = HeldOut.check(rows, calibration);
        assertEquals(2, checks.size());
        for (HeldOut.StepCheck check : checks) {
            assertEquals(0, check.error(), EXACT, "all rows");
            assertEquals(0, check.leaveOutError(), EXACT, "other shape only");
        }
        assertEquals(0, HeldOut.worst(checks), EXACT);
    }

    @Test
    void leavingAShapeOutUsesOnlyTheOtherShapesRows(@TempDir Path directory) {
        // the small shape's components measured 3x slower than its step implies: predicted from them alone,
        // the large step comes out about 3x too long; the small step, predicted from the large rows alone, is exact
        List<Measurement> rows = measurements(SyntheticMeasurements.rows("host", SyntheticMeasurements.SMALL, 3),
                directory);
        List<HeldOut.StepCheck> checks = HeldOut.check(rows, Calibration.fit(rows, r -> true));
        HeldOut.StepCheck large = checks.stream().filter(c -> c.shape().equals(SyntheticMeasurements.LARGE))
                .findFirst().orElseThrow();
        HeldOut.StepCheck small = checks.stream().filter(c -> c.shape().equals(SyntheticMeasurements.SMALL))
                .findFirst().orElseThrow();
        assertTrue(large.leaveOutError() > 1.0, "large predicted from the slow small rows: " + large.leaveOutError());
        assertEquals(0, small.leaveOutError(), EXACT, "small predicted from the large rows only");
        assertTrue(small.error() > 0.1, "the fit on every row mixes the slow rows in: " + small.error());
        assertTrue(HeldOut.worst(checks) > 1.0);
    }

    @Test
    void hostMfuIsModelFlopsOverTimeAndPeak(@TempDir Path directory) {
        List<Measurement> rows = measurements(SyntheticMeasurements.rows("host", null, 1), directory);
        HeldOut.StepCheck check = HeldOut.check(rows, Calibration.fit(rows, r -> true)).get(0);
        assertEquals(1_000_000L / (check.measuredSeconds() * SyntheticMeasurements.PEAK), check.hostMfu(), 1e-15);
    }

    @Test
    void rowsWithoutAProbeOrAnOpClassAreRefused(@TempDir Path directory) {
        List<Map<String, Object>> rows = SyntheticMeasurements.rows("host", null, 1);
        rows.removeIf(r -> r.get("component").equals("peak_flops"));
        List<Measurement> noPeak = measurements(rows, directory);
        assertTrue(assertThrows(InvalidInputException.class, () -> Calibration.fit(noPeak, r -> true)).getMessage()
                .contains("peak_flops"));
        List<Map<String, Object>> noSoftmax = SyntheticMeasurements.rows("host", null, 1);
        noSoftmax.removeIf(r -> r.get("component").equals("attention_softmax"));
        List<Measurement> parsed = measurements(noSoftmax, directory);
        assertTrue(assertThrows(InvalidInputException.class, () -> Calibration.fit(parsed, r -> true)).getMessage()
                .contains("attention softmax forward"));
    }
}
