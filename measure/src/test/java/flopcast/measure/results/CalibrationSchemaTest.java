package flopcast.measure.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.measure.csv.CsvColumn;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CalibrationSchemaTest {
    @Test
    void everyColumnIsDocumentedInResultsReadme() throws Exception {
        String readme = Files.readString(Path.of("..", "results", "README.md"));
        String section = readme.substring(readme.indexOf("## calibration.csv"));
        int checked = 0;
        for (CsvColumn column : CalibrationSchema.COLUMNS) {
            assertTrue(section.contains("| `" + column.name() + "` |"), column.name() + " is not documented");
            checked++;
        }
        assertEquals(CalibrationSchema.COLUMNS.size(), checked);
    }
}
