package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.calibration.report.CalibrationSchema;
import flopcast.calibration.report.Charts;
import flopcast.calibration.measurements.SyntheticRows;
import flopcast.calibration.measurements.MeasurementsCsv;
import flopcast.calibration.measurements.MeasurementsSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrateCommandTest {

    private static Path results(Path directory, List<Map<String, Object>> rows) {
        Path file = directory.resolve("measurements.csv");
        MeasurementsCsv.write(file, rows);
        return file;
    }

    @Test
    void writesCsvReportAndChartsAndPrintsTheExtrapolation(@TempDir Path directory) throws Exception {
        Path file = results(directory, SyntheticRows.twoShapes("Test CPU"));
        CliRun run = CliRun.of("calibrate", "--results", file.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("132.15"), run.out());
        assertTrue(run.out().contains("6,583.56"), run.out());
        assertTrue(run.out().contains("worst held-out error"), run.out());
        String csv = Files.readString(directory.resolve(CalibrationSchema.FILE_NAME));
        assertTrue(csv.startsWith("section,item,quantity,value,unit,note,host_cpu,target\n"), csv.substring(0, 80));
        String report = Files.readString(directory.resolve("report.md"));
        for (String part : List.of("## Held-out check", "## Extrapolation", "## The seed's errors", "Megatron-LM",
                "gradient-accumulation", Charts.STEP_TIME, Charts.MFU)) {
            assertTrue(report.contains(part), "report lacks " + part);
        }
        for (String chart : List.of(Charts.STEP_TIME, Charts.EFFICIENCY_MATMUL, Charts.EFFICIENCY_MEMORY, Charts.MFU)) {
            byte[] png = Files.readAllBytes(directory.resolve(chart));
            assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', chart);
        }
    }

    @Test
    void severalHostsNeedHost(@TempDir Path directory) {
        List<Map<String, Object>> rows = SyntheticRows.twoShapes("CPU A");
        rows.addAll(SyntheticRows.twoShapes("CPU B"));
        Path file = results(directory, rows);
        CliRun refused = CliRun.of("calibrate", "--results", file.toString());
        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().contains("from 2 hosts") && refused.err().contains("--host"), refused.err());
        CliRun chosen = CliRun.of("calibrate", "--results", file.toString(), "--host", "CPU B", "--format", "json");
        assertEquals(0, chosen.exitCode(), chosen.err());
        assertTrue(chosen.out().contains("\"host_cpu\" : \"CPU B\""), chosen.out());
    }

    @Test
    void badResultsAreRefusedWithOneLine(@TempDir Path directory) throws Exception {
        Path empty = Files.writeString(directory.resolve("empty.csv"), "");
        Path foreign = Files.writeString(directory.resolve("foreign.csv"), "a,b\n1,2\n");
        List<Map<String, Object>> noSteps = SyntheticRows.twoShapes("Test CPU");
        noSteps.removeIf(r -> r.get("pass").equals("step"));
        Path stepless = results(Files.createDirectory(directory.resolve("stepless")), noSteps);
        List<Map<String, Object>> broken = SyntheticRows.twoShapes("Test CPU");
        broken.get(3).put("lower_quartile_seconds_per_op", "fast");
        Path malformed = results(Files.createDirectory(directory.resolve("malformed")), broken);
        List<Map<String, Object>> failed = SyntheticRows.twoShapes("Test CPU");
        Map<String, Object> allThreads = new java.util.LinkedHashMap<>(failed.get(0));
        allThreads.put("threads", 2);
        allThreads.put("valid", false);
        allThreads.put("status", "peak_probe_failed (one-thread peak 100.0 GFLOP/s above the 2-thread 90.0)");
        failed.add(allThreads);
        Path failedProbe = results(Files.createDirectory(directory.resolve("failed")), failed);
        String[][] cases = {
            {"no measurements file", "--results", directory.resolve("absent.csv").toString()},
            {"is empty", "--results", empty.toString()},
            {"is not a flopcast measurements.csv", "--results", foreign.toString()},
            {"has no step rows that were timed right", "--results", stepless.toString()},
            {"the 2-thread peak probe failed", "--results", failedProbe.toString()},
            {"row 5 is malformed", "--results", malformed.toString()},
            {"--host 'nowhere' is not in", "--results", stepless.toString(), "--host",
                "nowhere"},
            {"unknown device 'tpu'", "--results", stepless.toString(), "--device", "tpu"},
            {"--steps must be at least 1", "--results", stepless.toString(), "--steps", "0"}};
        for (String[] c : cases) {
            String[] args = new String[c.length];
            args[0] = "calibrate";
            System.arraycopy(c, 1, args, 1, c.length - 1);
            CliRun run = CliRun.of(args);
            assertEquals(2, run.exitCode(), c[0] + ": " + run.err());
            assertEquals("", run.out());
            assertTrue(run.err().contains(c[0]) && run.err().indexOf('\n') == run.err().length() - 1,
                    c[0] + " -> " + run.err());
        }
        assertTrue(MeasurementsSchema.names().contains("score_seconds_per_op"));
    }

    @Test
    void aRefusedRunWithdrawsTheEarlierCalibrationBesideIt(@TempDir Path directory) throws Exception {
        Path file = results(directory, SyntheticRows.twoShapes("Test CPU"));
        assertEquals(0, CliRun.of("calibrate", "--results", file.toString()).exitCode());
        assertTrue(Files.exists(directory.resolve(CalibrationSchema.FILE_NAME)));
        List<Map<String, Object>> failed = SyntheticRows.twoShapes("Test CPU");
        failed.forEach(row -> row.put("run_id", "refused-run"));
        failed.get(0).put("valid", false);
        failed.get(0).put("status", "peak_probe_failed (2-thread peak 168.0 GFLOP/s under 1.2x the one-thread 221.0)");
        results(directory, failed);
        CliRun refused = CliRun.of("calibrate", "--results", file.toString());
        assertEquals(2, refused.exitCode(), refused.err());
        assertTrue(refused.err().contains("peak probe failed"), refused.err());
        assertFalse(Files.exists(directory.resolve(CalibrationSchema.FILE_NAME)));
        for (String chart : Charts.FILES) {
            assertFalse(Files.exists(directory.resolve(chart)), chart);
        }
        String report = Files.readString(directory.resolve("report.md"));
        assertTrue(report.contains("**No calibration.**") && report.contains("run refused-run")
                && report.contains("peak probe failed"), report);
        assertFalse(report.contains("## Held-out check"), report);
        // an option naming nothing in the file is the user's slip, not the run's: the calibration stays
        results(directory, SyntheticRows.twoShapes("Test CPU"));
        assertEquals(0, CliRun.of("calibrate", "--results", file.toString()).exitCode());
        assertEquals(2, CliRun.of("calibrate", "--results", file.toString(), "--host", "nowhere").exitCode());
        assertTrue(Files.exists(directory.resolve(CalibrationSchema.FILE_NAME)));
        assertTrue(Files.readString(directory.resolve("report.md")).contains("## Held-out check"));
    }

    /** A probe row: the schema's columns, empty but for these. */
    private static Map<String, Object> probeRow(String device, long batch, long flops, double seconds, Double peak) {
        Map<String, Object> row = new java.util.LinkedHashMap<>();
        MeasurementsSchema.names().forEach(name -> row.put(name, ""));
        row.putAll(Map.of("run_id", "torch-test", "benchmark", "probes/torch/probe.py", "component", "step", "pass",
                "step", "backend", peak == null ? "torch-cpu" : "torch-cuda", "vocab_size", 64, "context_length", 8,
                "num_layers", 2, "d_model", 16, "num_heads", 2));
        row.putAll(Map.of("d_ff", 32, "batch_size", batch, "threads", 1, "predicted_flops", flops,
                "score_seconds_per_op", seconds, "achieved_flops_per_second", flops / seconds, "valid", "true",
                "status", "ok", "host_cpu", device));
        if (peak != null) {
            row.put("peak_flops_per_second_nominal", peak);
            row.put("mfu", flops / seconds / peak);
        }
        return row;
    }

    @Test
    void probeRowsCarryTheirMfuToTheTarget(@TempDir Path directory) throws Exception {
        // the class's largest batch: 4e12 FLOPs in 0.02 s = 2e14 FLOP/s, 20% of a 1e15 peak
        Path file = results(directory, List.of(probeRow("NVIDIA H200", 2, 2_000_000_000_000L, 0.016, 1e15),
                probeRow("NVIDIA H200", 4, 4_000_000_000_000L, 0.02, 1e15)));
        CliRun run = CliRun.of("calibrate", "--results", file.toString(), "--format", "json");
        assertEquals(0, run.exitCode(), run.err());
        com.fasterxml.jackson.databind.JsonNode entries = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(run.out()).get("entries");
        double expected = flopcast.analytic.TrainingTime.of(400_000, flopcast.analytic.Accounting.COMPLETE
                .predict(flopcast.analytic.Preset.byName("seed-gpt2-xl").shape(1024)).flops().step(), 19.5e12, 0.2).days();
        boolean found = false;
        for (com.fasterxml.jackson.databind.JsonNode entry : entries) {
            if (entry.get("section").asText().equals("extrapolation")
                    && entry.get("item").asText().startsWith("measured on this device: NVIDIA H200")) {
                if (entry.get("quantity").asText().equals("mfu")) {
                    assertEquals(0.2, entry.get("value").asDouble(), 1e-12);
                } else {
                    assertEquals(expected, entry.get("value").asDouble(), 1e-9 * expected);
                    found = true;
                }
            }
        }
        assertTrue(found, run.out());
        assertTrue(Files.readString(directory.resolve("report.md")).contains("PyTorch probe"));
        CliRun table = CliRun.of("calibrate", "--results", file.toString());
        assertTrue(table.out().contains("20.00%") && table.out().contains("Megatron-LM"), table.out());
    }

    @Test
    void probeRowsOnACpuExtrapolateOnThatHost(@TempDir Path directory) {
        Path file = results(directory, List.of(probeRow("Test CPU", 1, 1_000_000_000L, 0.5, null)));
        CliRun run = CliRun.of("calibrate", "--results", file.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("on this host itself") && run.out().contains("2.00 GFLOP/s"), run.out());
    }

    @Test
    void probeAndJvmRowsInOneFileAreRefused(@TempDir Path directory) {
        List<Map<String, Object>> rows = new java.util.ArrayList<>(SyntheticRows.twoShapes("Test CPU"));
        rows.add(probeRow("Test CPU", 1, 1_000_000_000L, 0.5, null));
        Path file = results(directory, rows);
        BadInputTest.assertRefused("PyTorch probe rows with", "calibrate", "--results", file.toString());
    }
}
