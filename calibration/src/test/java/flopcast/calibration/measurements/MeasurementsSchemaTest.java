package flopcast.calibration.measurements;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.calibration.csv.CsvColumn;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

class MeasurementsSchemaTest {
    @Test
    void everyColumnIsDocumentedInResultsReadmeWithItsUnitAndAMeaning() throws Exception {
        DocumentedColumns.assertDocumented("## measurements.csv", MeasurementsSchema.COLUMNS);
    }

    /** The PyTorch probe writes the same header: its COLUMNS list is this schema's names, in order. */
    @Test
    void theTorchProbeWritesThisHeader() throws Exception {
        String probe = java.nio.file.Files.readString(java.nio.file.Path.of("..", "probes", "torch", "probe.py"));
        int start = probe.indexOf("COLUMNS = [");
        int end = probe.indexOf("]", start);
        assertTrue(start >= 0 && end > start, "probes/torch/probe.py declares COLUMNS = [...]");
        List<String> columns = java.util.Arrays.stream(probe.substring(start + "COLUMNS = [".length(), end).split(","))
                .map(String::strip).filter(cell -> !cell.isEmpty()).map(cell -> cell.replace("\"", "")).toList();
        assertEquals(MeasurementsSchema.names(), columns);
    }

    @Test
    void anEmptyOrDifferentMeaningAWrongUnitOrAMissingColumnFails() {
        List<CsvColumn> schema = List.of(new CsvColumn("a", "s", "the time"), new CsvColumn("b", "-",
                "a label: ok or x|y"));
        String readme = "## x\n\n| column | unit | meaning |\n|---|---|---|\n| `a` | s | the time |\n"
                + "| `b` | - | a label: `ok` or `x\\|y` |\n";
        DocumentedColumns.assertDocumented(readme, "## x", schema);
        for (String broken : List.of(readme.replace("the time", " "), readme.replace("the time", "the wall time"),
                readme.replace("`ok` or", "`ok`, or"), readme.replace("| s |", "| B |"),
                readme.replace("| `b` | - | a label: `ok` or `x\\|y` |\n", ""), readme + "| `c` | - | extra |\n")) {
            assertThrows(AssertionFailedError.class, () -> DocumentedColumns.assertDocumented(broken, "## x", schema),
                    broken);
        }
    }

    @Test
    void namesAreUniqueAndCarryTheIssuesColumns() {
        List<String> names = MeasurementsSchema.names();
        assertEquals(names.size(), new HashSet<>(names).size());
        assertTrue(names.containsAll(List.of("run_id", "benchmark", "component", "pass", "backend", "vocab_size",
                "context_length", "num_layers", "d_model", "num_heads", "d_ff", "batch_size", "threads",
                "predicted_flops", "elementwise_flops", "optimizer_flops", "predicted_bytes", "score_seconds_per_op",
                "score_error_seconds", "achieved_flops_per_second", "peak_flops_per_second_nominal",
                "peak_flops_per_second_measured", "bandwidth_bytes_per_second_measured", "mfu",
                "predicted_heap_bytes", "measured_heap_bytes", "allocated_bytes_per_op", "host_cpu", "host_cores",
                "jvm", "git_commit", "utc_time")));
    }
}
