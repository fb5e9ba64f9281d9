package flopcast.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Device;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Precision;
import flopcast.analytic.Preset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The probe's rows, worked by hand. Class A (d=16) ran B=2 (2e12 FLOPs in 0.016 s) and B=4 (4e12 in
 * 0.02 s): its largest batch is 4, rate 4e12 / 0.02 = 2e14 FLOP/s, MFU 2e14 / 1e15 = 0.2. Class B
 * (d=32) ran B=1: 1e13 FLOPs in 0.1 s, rate 1e14, MFU 0.1; it has the most FLOPs per step, so the
 * target carries over its 10%: five times the days of the complete accounting at the seed's 50%.
 */
class TorchCalibrationTest {
    private static final double RELATIVE = 1e-12;
    private static final Path FILE = Path.of("torch.csv");
    private static final CalibrationResult.TargetSpec TARGET = new CalibrationResult.TargetSpec("seed-gpt2-xl",
            Preset.byName("seed-gpt2-xl").shape(1024), Device.byName("a100-80gb"), Precision.FP32, 400_000);

    private static Map<String, String> row(String device, long dModel, long batch, double flops, double seconds,
            Double peak) {
        return SyntheticMeasurements.probeStep(device, dModel, batch, flops, seconds, peak);
    }

    private static List<Map<String, String>> rows(String device, Double peak) {
        return new ArrayList<>(List.of(row(device, 16, 2, 2e12, 0.016, peak), row(device, 16, 4, 4e12, 0.02, peak),
                row(device, 32, 1, 1e13, 0.1, peak)));
    }

    @Test
    void eachClassIsFittedAtItsLargestBatchWithMfuAgainstTheCatalogPeak() {
        TorchCalibration probe = TorchCalibration.of(FILE, rows("GPU", 1e15), null, TARGET);
        assertEquals("GPU", probe.device());
        assertEquals("torch-cuda", probe.backend());
        assertEquals(2, probe.classes().size());
        TorchCalibration.ShapeClass a = probe.classes().get(0);
        assertEquals("V=64 T=8 L=2 d=16 h=2 d_ff=32", a.label());
        assertEquals(4, a.batchSize());
        assertEquals(0.02, a.seconds());
        assertEquals(4_000_000_000_000L, a.modelFlops());
        assertEquals(2e14, a.flopsPerSecond(), 2e14 * RELATIVE);
        assertEquals(0.2, a.mfu(), 0.2 * RELATIVE);
        assertEquals(1e15, a.peakFlopsPerSecond());
        TorchCalibration.ShapeClass b = probe.classes().get(1);
        assertEquals(1, b.batchSize());
        assertEquals(0.1, b.mfu(), 0.1 * RELATIVE);
        assertEquals(b, probe.primary(), "the class with the most model FLOPs per step");
    }

    @Test
    void everyValidStepRowOfTheDeviceIsKeptInFileOrderWithTheProbesMfu() {
        List<Map<String, String>> rows = rows("GPU", 1e15);
        Map<String, String> invalid = row("GPU", 16, 8, 8e12, 0.01, 1e15);
        invalid.put("valid", "false");
        rows.add(1, invalid);
        rows.add(row("Other GPU", 16, 2, 2e12, 0.016, 1e15));
        TorchCalibration probe = TorchCalibration.of(FILE, rows, "GPU", TARGET);
        assertEquals(List.of(2L, 4L, 1L), probe.steps().stream().map(TorchCalibration.Step::batchSize).toList());
        TorchCalibration.Step first = probe.steps().get(0);
        assertEquals("V=64 T=8 L=2 d=16 h=2 d_ff=32", first.label());
        assertEquals(0.016, first.seconds());
        assertEquals(1.25e14, first.flopsPerSecond(), 1.25e14 * RELATIVE);
        assertEquals(0.125, first.mfu(), 0.125 * RELATIVE);
        assertEquals(4, probe.classes().get(0).batchSize(), "the invalid B=8 row is not the class's largest");
    }

    @Test
    void theTargetRunsAtThePrimaryClassesMfuOnTheDevicesPeak() {
        TorchCalibration probe = TorchCalibration.of(FILE, rows("GPU", 1e15), null, TARGET);
        Extrapolation.Row measured = probe.measured();
        Extrapolation.Row completeAtHalf = probe.extrapolation().publishedRows().get(1);
        assertTrue(completeAtHalf.label().startsWith("complete accounting at the seed's 50%"), completeAtHalf.label());
        assertEquals("measured on this device: GPU, V=64 T=8 L=2 d=32 h=2 d_ff=64 B=1", measured.label());
        assertEquals(0.1, measured.mfu(), 0.1 * RELATIVE);
        assertEquals(5 * completeAtHalf.days(), measured.days(), 5 * completeAtHalf.days() * RELATIVE);
        assertEquals(TorchCalibration.SOURCE, measured.source());
    }

    @Test
    void onACpuTheTargetRunsAtTheClassesRateOnThisHostWithNoMfu() {
        // no catalog peak: 9.75e12 FLOP/s is the complete accounting's 50% of 19.5e12; the class runs at 1e14
        TorchCalibration probe = TorchCalibration.of(FILE, rows("CPU", null), null, TARGET);
        assertTrue(Double.isNaN(probe.classes().get(0).mfu()));
        assertTrue(Double.isNaN(probe.steps().get(0).mfu()));
        Extrapolation.Row measured = probe.measured();
        assertTrue(measured.label().endsWith("(on this host itself: a CPU has no catalog peak, so no MFU carries over)"),
                measured.label());
        assertTrue(Double.isNaN(measured.mfu()));
        double expected = probe.extrapolation().publishedRows().get(1).days() * 9.75e12 / 1e14;
        assertEquals(expected, measured.days(), expected * RELATIVE);
    }

    @Test
    void probeRowsAreToldFromJvmRowsAndAMixIsRefused() {
        Map<String, String> jvm = new LinkedHashMap<>(row("CPU", 16, 2, 2e12, 0.016, null));
        jvm.put("backend", "vector");
        assertTrue(TorchCalibration.probeRows(rows("GPU", 1e15), FILE));
        assertFalse(TorchCalibration.probeRows(List.of(jvm), FILE));
        List<Map<String, String>> mixed = rows("CPU", null);
        mixed.add(jvm);
        InvalidInputException refused = assertThrows(InvalidInputException.class,
                () -> TorchCalibration.probeRows(mixed, FILE));
        assertTrue(refused.getMessage().contains("mixes 3 PyTorch probe rows with 1 JVM rows"), refused.getMessage());
    }

    @Test
    void severalDevicesNeedHostAndADeviceWithoutValidStepsIsRefused() {
        List<Map<String, String>> rows = rows("GPU", 1e15);
        rows.addAll(rows("Other GPU", 1e15));
        assertThrows(InvalidInputException.class, () -> TorchCalibration.of(FILE, rows, null, TARGET));
        assertEquals("Other GPU", TorchCalibration.of(FILE, rows, "Other GPU", TARGET).device());
        List<Map<String, String>> invalid = rows("GPU", 1e15);
        invalid.forEach(row -> row.put("valid", "false"));
        InvalidInputException refused = assertThrows(InvalidInputException.class,
                () -> TorchCalibration.of(FILE, invalid, null, TARGET));
        assertTrue(refused.getMessage().contains("no valid step rows for 'GPU'"), refused.getMessage());
    }
}
