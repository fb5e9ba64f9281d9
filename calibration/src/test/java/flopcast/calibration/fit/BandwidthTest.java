package flopcast.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.InvalidInputException;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.measurements.OpClass;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bandwidth by footprint: the cache levels' probes, memory's beyond them. */
class BandwidthTest {
    private static final double EXACT = 1e-9;

    /** A first-level cache at 200 GB/s up to 96 KiB of footprint, memory at 20 GB/s from 192 MiB. */
    private static final Bandwidth HOST = new Bandwidth(List.of(new Bandwidth.Point(192 * 1048576.0, 20e9),
            new Bandwidth.Point(96 * 1024.0, 200e9)));

    @Test
    void eachProbeAtItsBytesInterpolatedBetweenAndTheNearestBeyond() {
        assertEquals(200e9, HOST.at(1000), EXACT * 200e9, "smaller than the smallest probe: the first level");
        assertEquals(200e9, HOST.at(96 * 1024.0), EXACT * 200e9);
        assertEquals(20e9, HOST.at(192 * 1048576.0), EXACT * 20e9);
        assertEquals(20e9, HOST.at(1e12), EXACT * 20e9, "larger than the largest: memory");
        assertEquals(20e9, HOST.memory(), 0.0);
        // halfway in log(bytes) is halfway in bandwidth
        double middle = Math.sqrt(96 * 1024.0 * 192 * 1048576.0);
        assertEquals(110e9, HOST.at(middle), EXACT * 110e9);
        assertEquals(5e9, Bandwidth.constant(5e9).at(1e15), 0.0);
    }

    /**
     * The update probe moves 28 bytes per element over 16 of footprint, so it stands at 4/7 of its
     * bytes; STREAM's triad (the GPU probe's) at its bytes, read only where no update ran; and AdamW is
     * held to the level of its 16 bytes per parameter of footprint, not its 28 moved.
     */
    @Test
    void probesStandAtTheirFootprintAndAdamWAtItsOwn(@TempDir Path directory) {
        List<Map<String, Object>> rows = new ArrayList<>(SyntheticMeasurements.rows("host", null, 1));
        Map<String, Object> update = rows.stream().filter(r -> "bandwidth_update".equals(r.get("component")))
                .findFirst().orElseThrow();
        update.put("predicted_bytes", 14_000_000_000L);
        update.put("achieved_bytes_per_second", 20e9);
        Map<String, Object> cache = new java.util.LinkedHashMap<>(update);
        cache.put("predicted_bytes", 1_400_000L);
        cache.put("achieved_bytes_per_second", 80e9);
        rows.add(cache);
        Map<String, Object> triad = new java.util.LinkedHashMap<>(update);
        triad.put("component", "bandwidth_triad");
        triad.put("predicted_bytes", 800_000L);
        triad.put("achieved_bytes_per_second", 1e9);
        rows.add(triad);
        Calibration calibration = Calibration.fit(CalibrationTest.measurements(rows, directory), r -> true);
        Bandwidth bandwidth = calibration.bandwidth();
        assertEquals(List.of(new Bandwidth.Point(800_000, 80e9), new Bandwidth.Point(8e9, 20e9)), bandwidth.points(),
                "the update's rows at 4/7 of their bytes; the triad's left unread beside them");
        List<Double> atFootprint = new ArrayList<>();
        List<Double> atBytes = new ArrayList<>();
        for (Map<String, Object> adamW : rows.stream().filter(r -> "adamw".equals(r.get("component"))).toList()) {
            long parameters = ((Number) adamW.get("parameters")).longValue();
            double achieved = ((Number) adamW.get("achieved_bytes_per_second")).doubleValue();
            atFootprint.add(achieved / bandwidth.at(16.0 * parameters));
            atBytes.add(achieved / bandwidth.at(28.0 * parameters));
        }
        EfficiencyFit fit = calibration.fits().get(OpClass.ADAMW);
        assertEquals(Collections.max(atFootprint), fit.efficiencyMax(), EXACT, "AdamW at 16 bytes per parameter");
        assertEquals(Collections.min(atFootprint), fit.efficiencyMin(), EXACT);
        assertNotEquals(atFootprint, atBytes, "sizes where the footprint's level and the bytes' differ");

        rows.removeIf(r -> "bandwidth_update".equals(r.get("component")));
        Bandwidth triadOnly = Calibration.fit(CalibrationTest.measurements(rows, directory),
                r -> true).bandwidth();
        assertEquals(List.of(new Bandwidth.Point(800_000, 1e9)), triadOnly.points(), "the triad at its bytes");
    }

    /**
     * The softmax works in place: a forward row moving 16 MB occupies 8 MB, so it is held to the level
     * at 8 MB (a probe at exactly that footprint), not at the 16 MB its bytes would give.
     */
    @Test
    void anInPlaceKernelIsHeldToTheLevelOfItsFootprint(@TempDir Path directory) {
        List<Map<String, Object>> rows = new ArrayList<>(SyntheticMeasurements.rows("host", null, 1));
        Map<String, Object> update = rows.stream().filter(r -> "bandwidth_update".equals(r.get("component")))
                .findFirst().orElseThrow();
        Map<String, Object> cache = new java.util.LinkedHashMap<>(update);
        cache.put("predicted_bytes", 14_000_000L); // 8 MB of footprint
        cache.put("achieved_bytes_per_second", 80e9);
        rows.add(cache);
        for (Map<String, Object> softmax : rows.stream().filter(r -> "attention_softmax".equals(r.get("component"))
                && "forward".equals(r.get("pass"))).toList()) {
            softmax.put("predicted_bytes", 16_000_000L);
            softmax.put("achieved_bytes_per_second", 40e9);
        }
        Calibration calibration = Calibration.fit(CalibrationTest.measurements(rows, directory), r -> true);
        assertEquals(80e9, calibration.bandwidth().at(8_000_000), EXACT * 80e9);
        assertTrue(calibration.bandwidth().at(16_000_000) < 80e9, "the bytes' level is slower");
        EfficiencyFit fit = calibration.fits().get(OpClass.SOFTMAX_FORWARD);
        assertEquals(0.5, fit.efficiencyMax(), EXACT, "40 GB/s against the 8 MB level's 80");
    }

    /** GELU, GeGLU and LayerNorm are measured by no component row: the step-time model refuses them in one line. */
    @Test
    void aNormOrMlpNoRowMeasuresIsRefused() {
        flopcast.analytic.Shape gelu = new flopcast.analytic.Shape(7, 3, 2, 8, 4, 6, 2,
                new flopcast.analytic.Architecture(4, false, flopcast.analytic.LinearBias.NONE, 0, false, 0,
                        flopcast.analytic.NormKind.LAYER, 0, flopcast.analytic.MlpKind.GELU));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> StepTimeModel.terms(gelu, (op, size) -> 1, 1e9, Bandwidth.constant(1e9), 1));
        assertEquals("this shape has layernorm and a gelu MLP, which no component row measures: the step-time model's"
                + " efficiencies are fitted on RMSNorm and SwiGLU only (allowed: --norm rmsnorm and --mlp swiglu)",
                e.getMessage());
    }

    /** An AdamW row without its parameters (a file edited by hand) is one line, not a stack trace. */
    @Test
    void anAdamWRowWithoutParametersIsOneLine(@TempDir Path directory) {
        List<Map<String, Object>> rows = new ArrayList<>(SyntheticMeasurements.rows("host", null, 1));
        rows.stream().filter(r -> "adamw".equals(r.get("component"))).findFirst().orElseThrow().put("parameters", null);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Calibration.fit(CalibrationTest.measurements(rows, directory), r -> true));
        assertTrue(e.getMessage().startsWith("an adamw row at 1 thread(s) has no parameters"), e.getMessage());
    }

    /**
     * An op of 20 MB moving 40 GB/s: four times memory's triad (the efficiency the memory probe alone
     * gave), but under the bandwidth between the 8 MB cache probe (80 GB/s) and memory (10 GB/s) at
     * its bytes, so its efficiency against the level it fits is below 1.
     */
    @Test
    void aCacheResidentOpIsHeldToItsLevelNotMemory(@TempDir Path directory) {
        List<Map<String, Object>> rows = new ArrayList<>(SyntheticMeasurements.rows("host", null, 1));
        Map<String, Object> cache = new java.util.LinkedHashMap<>(rows.stream()
                .filter(r -> "bandwidth_update".equals(r.get("component"))).findFirst().orElseThrow());
        cache.put("predicted_bytes", 14_000_000L); // four arrays of 2 MB: 8 MB of footprint
        cache.put("achieved_bytes_per_second", 80e9);
        rows.add(cache);
        Map<String, Object> rmsnorm = rows.stream().filter(r -> "rmsnorm".equals(r.get("component"))
                && "forward".equals(r.get("pass"))).findFirst().orElseThrow();
        rmsnorm.put("predicted_bytes", 20_000_000L);
        rmsnorm.put("achieved_bytes_per_second", 40e9);
        Calibration calibration = Calibration.fit(CalibrationTest.measurements(rows, directory), r -> true);
        double level = calibration.bandwidth().at(20_000_000);
        assertTrue(level > 40e9 && level < 80e9, "between memory's and the 8 MB level's: " + level);
        EfficiencyFit fit = calibration.fits().get(OpClass.RMSNORM_FORWARD);
        // the other shape's rmsnorm (a few kB, 8 GB/s) is held to the smallest probe's 80 GB/s: 0.1
        assertEquals(40e9 / level, fit.efficiencyMax(), EXACT);
        assertEquals(0.1, fit.efficiencyMin(), EXACT);
        assertEquals(SyntheticMeasurements.BANDWIDTH, calibration.bandwidthBytesPerSecond(), EXACT * 1e10,
                "memory's bandwidth is the largest arrays' triad");
    }
}
