package flopcast.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.PrecisionPolicy;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.measurements.MeasurementsCsv;
import flopcast.calibration.measurements.OpClass;
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
        List<HeldOut.StepCheck> checks = HeldOut.check(rows, List.of(calibration));
        assertEquals(2, checks.size());
        for (HeldOut.StepCheck check : checks) {
            assertEquals(0, check.error(), EXACT, "all rows");
            assertEquals(0, check.leaveOutError(), EXACT, "other shape only");
        }
        assertEquals(0, HeldOut.worst(checks), EXACT);
    }

    /**
     * A component row timed during a burst (ten times slow, spread 40%) and marked noisy by the
     * derivation is in no fit: the efficiencies and every step's prediction are those without it.
     * A noisy step is shown and judged by no target, as is a step whose floor exceeds its target; a
     * step marked for anything beside its spread is in no held-out check.
     */
    @Test
    void noisyRowsAreLeftOutAndAWideFloorIsUndecided(@TempDir Path directory) throws java.io.IOException {
        List<Map<String, Object>> rows = SyntheticMeasurements.rows("host", null, 1);
        Map<String, Object> burst = rows.stream().filter(r -> "ffn_w1".equals(r.get("component"))
                && "forward".equals(r.get("pass"))).findFirst().orElseThrow();
        burst.put("lower_quartile_seconds_per_op", 10 * (double) burst.get("lower_quartile_seconds_per_op"));
        burst.put("spread", 0.4);
        burst.put("valid", false);
        burst.put("status", "noisy (spread 40.0% over 3%: 10 samples)");
        Map<String, Object> noisyStep = rows.stream().filter(r -> "step".equals(r.get("pass"))).findFirst()
                .orElseThrow();
        noisyStep.put("spread", 0.2);
        noisyStep.put("valid", false);
        noisyStep.put("status", "noisy (spread 20.0% over 3%: 13 samples)");
        List<Map<String, Object>> steps = rows.stream().filter(r -> "step".equals(r.get("pass"))).toList();
        Map<String, Object> wideStep = steps.get(1);
        wideStep.put("spread", 0.06);
        List<Measurement> measured = measurements(rows, directory);
        Calibration calibration = Calibration.fit(measured, r -> true);
        assertEquals(0.5, calibration.fits().get(OpClass.MATMUL_FORWARD).efficiency(10), EXACT);
        List<HeldOut.StepCheck> checks = HeldOut.check(measured, List.of(calibration));
        assertEquals(2, checks.size());
        HeldOut.StepCheck noisy = checks.get(0);
        assertTrue(noisy.noisy());
        assertFalse(noisy.decided(), "a noisy step is shown, judged by no target");
        HeldOut.StepCheck wide = checks.get(1);
        assertFalse(wide.noisy());
        assertEquals(0, wide.error(), EXACT);
        // 6% and the components' 1% in quadrature: above the 5% worst target on one thread
        assertEquals(Math.hypot(0.06, SyntheticMeasurements.SPREAD), wide.noiseFloor(), EXACT);
        assertFalse(wide.decided());
        assertEquals(2, HeldOut.undecided(checks));
        assertTrue(Double.isNaN(HeldOut.worst(checks)), "no decided step: no worst error to judge");
        noisyStep.put("status", "noisy (spread 20.0% over 3%: 13 samples); unsettled_warmup (JIT still compiling)");
        List<Measurement> unsettled = measurements(rows, java.nio.file.Files.createDirectories(directory.resolve("u")));
        assertEquals(1, HeldOut.check(unsettled, List.of(Calibration.fit(unsettled, r -> true))).size(),
                "a step marked for anything beside its spread is checked against nothing");
    }

    /**
     * A class whose every row is noisy (here both cross-entropy backward rows, marked at 25% spread
     * and timed right) is fitted from those rows rather than losing the whole fit, and its spread joins
     * every step's noise floor: both steps predicted exactly, both undecided. A class with no row at
     * all, valid or noisy, still refuses the fit; a row marked for anything beside its spread is never
     * used.
     */
    /**
     * The bf16 conversions' classes are optional: fitted where their rows are (each at the efficiency its
     * rows ran at), no refusal where they are not; fitted from noisy rows, their spread joins no float32
     * step's noise floor.
     */
    @Test
    void theConversionClassesAreFittedWhereMeasuredAndWidenOnlyTheFloorsOfStepsThatConvert(@TempDir Path directory) {
        List<Map<String, Object>> rows = SyntheticMeasurements.rows("host", null, 1);
        Calibration without = Calibration.fit(measurements(rows, directory), r -> true);
        assertFalse(without.fitted(OpClass.BF16_WIDEN) || without.fitted(OpClass.BF16_ROUND));
        rows.addAll(SyntheticMeasurements.conversions("host", 0.2));
        Calibration with = Calibration.fit(measurements(rows, directory), r -> true);
        for (OpClass op : new OpClass[] {OpClass.BF16_WIDEN, OpClass.BF16_ROUND}) {
            assertEquals(0.2, with.of(op, 1e6), EXACT, op.label());
        }
        rows.stream().filter(r -> "bf16_conversion".equals(r.get("component"))).forEach(r -> {
            r.put("spread", 0.3);
            r.put("valid", false);
            r.put("status", "noisy (spread 30.0% over 20%: 16 samples)");
        });
        List<Measurement> measured = measurements(rows, directory);
        Calibration noisy = Calibration.fit(measured, r -> true);
        assertEquals(Map.of(OpClass.BF16_WIDEN, 0.3, OpClass.BF16_ROUND, 0.3), noisy.fromNoisyRows());
        for (HeldOut.StepCheck check : HeldOut.check(measured, List.of(noisy))) {
            assertEquals(Math.hypot(SyntheticMeasurements.SPREAD, SyntheticMeasurements.SPREAD), check.noiseFloor(),
                    EXACT, "a float32 step converts nothing");
        }
        assertEquals(0.3, noisy.noisySpread(SyntheticMeasurements.SMALL.withPolicy(PrecisionPolicy.BF16_MIXED)), EXACT);
        // the work outside the kernels is every step's: a noisy head-copy row widens a float32 step's floor
        Map<String, Object> copy = SyntheticMeasurements.headCopy("host", 0.2);
        copy.put("spread", 0.4);
        copy.put("valid", false);
        copy.put("status", "noisy (spread 40.0% over 20%: 16 samples)");
        rows.add(copy);
        Calibration withCopy = Calibration.fit(measurements(rows, directory), r -> true);
        assertEquals(0.4, withCopy.noisySpread(SyntheticMeasurements.SMALL), EXACT);
    }

    @Test
    void aClassWithOnlyNoisyRowsIsFittedFromThemAndWidensEveryFloor(@TempDir Path directory) {
        List<Map<String, Object>> rows = SyntheticMeasurements.rows("host", null, 1);
        rows.stream().filter(r -> "cross_entropy".equals(r.get("component")) && "backward".equals(r.get("pass")))
                .forEach(r -> {
                    r.put("spread", 0.25);
                    r.put("valid", false);
                    r.put("status", "noisy (spread 25.0% over 20%: 16 samples)");
                });
        List<Measurement> measured = measurements(rows, directory);
        Calibration calibration = Calibration.fit(measured, r -> true);
        assertEquals(Map.of(OpClass.CROSS_ENTROPY_BACKWARD, 0.25), calibration.fromNoisyRows());
        List<HeldOut.StepCheck> checks = HeldOut.check(measured, List.of(calibration));
        assertEquals(2, checks.size());
        for (HeldOut.StepCheck check : checks) {
            assertEquals(0, check.error(), EXACT, "the noisy rows were timed right");
            // the step's spread and the components' (both 1%) and the noisy class's 25%, in quadrature
            assertEquals(Math.hypot(Math.hypot(SyntheticMeasurements.SPREAD, SyntheticMeasurements.SPREAD), 0.25),
                    check.noiseFloor(), EXACT);
            assertFalse(check.decided());
        }
        rows.stream().filter(r -> "cross_entropy".equals(r.get("component")) && "backward".equals(r.get("pass")))
                .forEach(r -> r.put("status", "noisy (spread 25.0% over 20%: 16 samples); mfu_out_of_range (MFU 1.2)"));
        InvalidInputException refused = assertThrows(InvalidInputException.class,
                () -> Calibration.fit(measurements(rows, directory), r -> true));
        assertTrue(refused.getMessage().contains("no valid ejml, 1 thread rows for cross-entropy backward"),
                refused.getMessage());
    }

    /**
     * A step under full recomputation and under flash attention is predicted from the default-settings
     * component rows of the other shape, and set beside the same shape's default step: how much slower,
     * measured and predicted. Full recomputation runs every block forward again, so it costs more than
     * flash's one extra Q K^T.
     */
    @Test
    void aSettingsStepIsHeldOutAndSetBesideItsDefaultStep(@TempDir Path directory) {
        List<Map<String, Object>> rows = SyntheticMeasurements.rows("host", null, 1);
        flopcast.analytic.Settings full = new flopcast.analytic.Settings(flopcast.analytic.PrecisionPolicy.FP32,
                flopcast.analytic.AttentionKernel.EAGER, flopcast.analytic.Recompute.FULL);
        flopcast.analytic.Settings flash = new flopcast.analytic.Settings(flopcast.analytic.PrecisionPolicy.FP32,
                flopcast.analytic.AttentionKernel.FLASH, flopcast.analytic.Recompute.NONE);
        rows = SyntheticMeasurements.withSettingsStep(SyntheticMeasurements.withSettingsStep(rows, "host", full), "host",
                flash);
        List<Measurement> measured = measurements(rows, directory);
        List<HeldOut.StepCheck> checks = HeldOut.check(measured, List.of(Calibration.fit(measured, r -> true)));
        assertEquals(4, checks.size());
        for (HeldOut.StepCheck check : checks) {
            assertEquals(0, check.leaveOutError(), EXACT, check.shape().describe());
        }
        List<HeldOut.SettingCost> costs = HeldOut.settingCosts(checks);
        assertEquals(List.of("--recompute full", "--attention flash"), costs.stream().map(HeldOut.SettingCost::describe)
                .toList());
        for (HeldOut.SettingCost cost : costs) {
            assertEquals(cost.measuredRatio(), cost.predictedRatio(), EXACT);
            assertTrue(cost.measuredRatio() > 1, cost.describe() + " runs more than the defaults");
        }
        assertTrue(costs.get(0).measuredRatio() > costs.get(1).measuredRatio(), "full reruns more than flash");
    }

    @Test
    void leavingAShapeOutUsesOnlyTheOtherShapesRows(@TempDir Path directory) {
        // the small shape's components measured 3x slower than its step implies: predicted from them alone,
        // the large step comes out about 3x too long; the small step, predicted from the large rows alone, is exact
        List<Measurement> rows = measurements(SyntheticMeasurements.rows("host", SyntheticMeasurements.SMALL, 3),
                directory);
        List<HeldOut.StepCheck> checks = HeldOut.check(rows, List.of(Calibration.fit(rows, r -> true)));
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
        HeldOut.StepCheck check = HeldOut.check(rows, List.of(Calibration.fit(rows, r -> true))).get(0);
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

    /** Both backends at their own thread counts: the vector rows 1.5x as efficient as the reference's. */
    static List<Map<String, Object>> bothBackends(String host) {
        List<Map<String, Object>> rows = SyntheticMeasurements.probes(host, 1, SyntheticMeasurements.PEAK,
                SyntheticMeasurements.BANDWIDTH);
        rows.addAll(SyntheticMeasurements.probes(host, 2, 2 * SyntheticMeasurements.PEAK,
                2 * SyntheticMeasurements.BANDWIDTH));
        rows.addAll(SyntheticMeasurements.rows(host, null, 1, "ejml", 1, 1));
        rows.addAll(SyntheticMeasurements.rows(host, null, 1, "vector", 2, 1.5));
        return rows;
    }

    @Test
    void theFitUsesTheVectorRowsWhenBothBackendsArePresent(@TempDir Path directory) {
        Path file = directory.resolve("measurements.csv");
        MeasurementsCsv.write(file, bothBackends("host"));
        CalibrationResult result = CalibrationResult.of(file, null, new CalibrationResult.TargetSpec("seed-gpt2-xl",
                flopcast.analytic.Preset.SEED_GPT2_XL.shape(1024), flopcast.analytic.Device.A100_80GB,
                flopcast.analytic.Precision.FP32, 400_000));
        Calibration primary = result.calibration();
        assertEquals("vector", primary.backend());
        assertEquals(2, primary.threads());
        assertEquals(2 * SyntheticMeasurements.PEAK, primary.peakFlopsPerSecond(), SyntheticMeasurements.PEAK * EXACT);
        assertEquals(0.75, primary.fits().get(OpClass.MATMUL_FORWARD).efficiency(10), EXACT);
        Calibration reference = result.calibrations().stream().filter(c -> c.backend().equals("ejml")).findFirst()
                .orElseThrow();
        assertEquals(0.5, reference.fits().get(OpClass.MATMUL_FORWARD).efficiency(10), EXACT);
        assertEquals(2, result.calibrations().size());
        assertEquals(List.of("ejml", "vector"), result.checks().stream().map(HeldOut.StepCheck::backend).distinct()
                .sorted().toList());
        for (HeldOut.StepCheck check : result.checks()) {
            assertEquals(0, check.leaveOutError(), EXACT, check.label() + " predicted with its own backend's fit");
        }
        List<Extrapolation.Row> rows = result.extrapolation().rows();
        int vector = indexOf(rows, "(vector, 2 threads)");
        int ejml = indexOf(rows, "(ejml, 1 thread)");
        assertTrue(vector >= 0 && ejml > vector, "vector's host-calibrated row first, EJML's beside it");
        assertTrue(rows.get(vector).label().contains("not the device's own kernels"), rows.get(vector).label());
    }

    private static int indexOf(List<Extrapolation.Row> rows, String part) {
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).label().contains(part) && rows.get(i).label().startsWith("step-time model, host")) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void invalidRowsAreNeverFitted(@TempDir Path directory) {
        List<Map<String, Object>> rows = SyntheticMeasurements.rows("host", null, 1);
        Map<String, Object> softmax = rows.stream().filter(r -> r.get("component").equals("attention_softmax")
                && r.get("pass").equals("forward")).findFirst().orElseThrow();
        // impossibly fast, and marked so: were it fitted, the softmax efficiency would come out far above 0.8
        softmax.put("achieved_bytes_per_second", 100 * (double) softmax.get("achieved_bytes_per_second"));
        softmax.put("valid", false);
        softmax.put("status", "unsettled_warmup (test)");
        Calibration calibration = Calibration.fit(measurements(rows, directory), r -> true);
        assertEquals(1, calibration.fits().get(OpClass.SOFTMAX_FORWARD).points(), "the invalid row is not a point");
        assertEquals(0.8, calibration.fits().get(OpClass.SOFTMAX_FORWARD).efficiency(5e5), EXACT);
        rows.stream().filter(r -> r.get("component").equals("attention_softmax") && r.get("pass").equals("forward"))
                .forEach(r -> r.put("valid", false));
        List<Measurement> noneValid = measurements(rows, directory);
        assertTrue(assertThrows(InvalidInputException.class, () -> Calibration.fit(noneValid, r -> true)).getMessage()
                .contains("attention softmax forward"));
    }
}
