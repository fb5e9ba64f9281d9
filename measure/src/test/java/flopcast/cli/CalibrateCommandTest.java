package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.measure.results.CalibrationSchema;
import flopcast.measure.results.Charts;
import flopcast.measure.results.SyntheticRows;
import flopcast.measure.results.MeasurementsCsv;
import flopcast.measure.results.MeasurementsSchema;
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
        broken.get(3).put("score_seconds_per_op", "fast");
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
            {"has no valid step rows", "--results", stepless.toString()},
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
}
