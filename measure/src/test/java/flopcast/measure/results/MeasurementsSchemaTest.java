package flopcast.measure.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.measure.csv.CsvColumn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeasurementsSchemaTest {
    @Test
    void everyColumnIsDocumentedInResultsReadme() throws Exception {
        String readme = Files.readString(Path.of("..", "results", "README.md"));
        int checked = 0;
        for (CsvColumn column : MeasurementsSchema.COLUMNS) {
            assertTrue(readme.contains("| `" + column.name() + "` |"), column.name() + " is not documented");
            checked++;
        }
        assertEquals(MeasurementsSchema.COLUMNS.size(), checked);
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
