package flopcast.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Accounting;
import flopcast.analytic.Device;
import flopcast.analytic.Precision;
import flopcast.analytic.Preset;
import flopcast.analytic.PublishedMfu;
import flopcast.analytic.Shape;
import flopcast.calibration.measurements.Measurement;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtrapolationTest {
    private static final Shape XL = Preset.SEED_GPT2_XL.shape(1024);

    private static Extrapolation seedScenario(Path directory, Device device) {
        List<Measurement> rows = CalibrationTest.measurements(SyntheticMeasurements.rows("host", null, 1), directory);
        return new Extrapolation(XL, device, Precision.FP32, 400_000, List.of(Calibration.fit(rows, r -> true)));
    }

    @Test
    void seedAndCompleteRowsAre132_15And6583_56Days(@TempDir Path directory) {
        List<Extrapolation.Row> rows = seedScenario(directory, Device.A100_80GB).rows();
        assertEquals("132.15", String.format(Locale.ROOT, "%.2f", rows.get(0).days()));
        assertEquals("6583.56", String.format(Locale.ROOT, "%.2f", rows.get(1).days()));
        assertEquals(Precision.FP32, rows.get(1).precision());
    }

    @Test
    void publishedFiguresDivideTheBf16PeakAndSaySo(@TempDir Path directory) {
        Extrapolation.Row megatron = seedScenario(directory, Device.A100_80GB).rows().stream()
                .filter(r -> r.label().contains("175B")).findFirst().orElseThrow();
        assertEquals(Precision.BF16, megatron.precision());
        assertTrue(megatron.label().contains("measured in bf16"), megatron.label());
        double seconds = Accounting.COMPLETE.predict(XL).flops().step().doubleValue() * 400_000 / (312e12 * 0.514);
        assertEquals(seconds / 86_400, megatron.days(), seconds / 86_400 * 1e-12);
        assertEquals(PublishedMfu.MEGATRON_175B.source(), megatron.source());
    }

    @Test
    void citedMatmulRowIsLabeledAndFasterThanTheHostCalibratedOne(@TempDir Path directory) {
        List<Extrapolation.Row> rows = seedScenario(directory, Device.A100_80GB).rows();
        Extrapolation.Row host = rows.get(rows.size() - 2);
        Extrapolation.Row cited = rows.get(rows.size() - 1);
        assertTrue(host.label().contains("host-calibrated"), host.label());
        assertTrue(cited.label().contains("86.9%") && cited.label().contains("measured in bf16"), cited.label());
        // synthetic host matmuls run at 50% / 25%: slower than 86.9% of the same peak
        assertTrue(cited.days() < host.days());
    }

    @Test
    void sensitivityRunsFrom10To80Percent(@TempDir Path directory) {
        List<Extrapolation.Row> sensitivity = seedScenario(directory, Device.A100_80GB).sensitivity();
        assertEquals(8, sensitivity.size());
        assertEquals(0.1, sensitivity.get(0).mfu(), 0.0);
        assertEquals(0.8, sensitivity.get(7).mfu(), 0.0);
        // days scale as 1 / MFU: 50% is 6,583.56
        assertEquals(6583.556, sensitivity.get(4).days(), 0.001);
        assertEquals(sensitivity.get(0).days() / 8, sensitivity.get(7).days(), 1e-9);
    }

    @Test
    void gpt2XlFitsThreeSequencesOn80GbSoTwoAPassAnd512Passes(@TempDir Path directory) {
        // complete: fixed 34,038,950,912 bytes, 12,894,027,776 per sequence; (80e9 - fixed) / per = 3.565;
        // 3 does not divide 1024: 2 a pass, 512 passes, the plan predict gives too
        Extrapolation.MemoryPlan plan = seedScenario(directory, Device.A100_80GB).memoryPlan();
        assertEquals(2, plan.microBatch());
        assertEquals(512, plan.accumulationSteps());
        assertEquals(0, plan.shortfallBytes());
    }

    /**
     * The step-time rows train the target batch and no more (512 passes of 2 sequences, not 342 of 3,
     * 1026), so their MFU and days agree with the complete accounting's days at 50%:
     * days x MFU is the same product, the batch's model FLOPs over the peak, on every row.
     */
    @Test
    void theStepTimeRowsTrainTheTargetBatchAndNoMore(@TempDir Path directory) {
        List<Extrapolation.Row> rows = seedScenario(directory, Device.A100_80GB).rows();
        double atHalf = rows.get(1).days() * 0.5;
        for (Extrapolation.Row row : rows.subList(rows.size() - 2, rows.size())) {
            assertEquals(atHalf, row.days() * row.mfu(), atHalf * 1e-9, row.label());
        }
    }

    /**
     * A decided step whose shape was the only one measured has no held-out prediction (NaN): the row
     * says no step was held out, never "worst NaN% over 1 decided steps".
     */
    @Test
    void aStepWithNoHeldOutPredictionIsSaidSo(@TempDir Path directory) {
        List<Measurement> rows = CalibrationTest.measurements(SyntheticMeasurements.rows("host", null, 1), directory);
        Calibration calibration = Calibration.fit(rows, r -> true);
        HeldOut.StepCheck alone = new HeldOut.StepCheck(calibration.backend(), calibration.threads(), XL, 1.0, 1.01,
                Double.NaN, 1, 0.5, 0.01, false);
        List<Extrapolation.Row> extrapolated = new Extrapolation(XL, Device.A100_80GB, Precision.FP32, 400_000,
                List.of(calibration), List.of(alone)).rows();
        String source = extrapolated.get(extrapolated.size() - 2).source();
        assertTrue(source.contains("no step held out on this host (1 steps: leaving a step's shape out left no"
                + " component rows to fit it)"), source);
    }

    @Test
    void fortyGbHoldsTheStateButNoSequence(@TempDir Path directory) {
        // 40e9 - 34,038,950,912 = 5,961,049,088 spare, one sequence needs 12,894,027,776
        Extrapolation.MemoryPlan plan = seedScenario(directory, Device.A100_40GB).memoryPlan();
        assertEquals(0, plan.microBatch());
        assertEquals(12_894_027_776L - 5_961_049_088L, plan.shortfallBytes());
        Extrapolation.Row cited = seedScenario(directory, Device.A100_40GB).rows().get(
                seedScenario(directory, Device.A100_40GB).rows().size() - 1);
        assertTrue(cited.label().contains("nothing fits"), cited.label());
    }
}
