package flopcast.calibration.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import flopcast.calibration.measurements.DocumentedColumns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class ProfileCsvTest {
    /** The synthetic measurements' small shape. */
    static final Shape SMALL = new Shape(64, 8, 2, 16, 2, 32, 2);

    /** A profiled step of the small shape on EJML, one thread: a matmul, AdamW, a head copy, and a split with no term. */
    public static List<ProfileCsv.Row> rows(String runId, String host) {
        return List.of(
                new ProfileCsv.Row(runId, "ejml", 1, SMALL, "ffn_w1", "forward", 2, 0.004, 0.010, 5, host),
                new ProfileCsv.Row(runId, "ejml", 1, SMALL, "adamw", "optimizer", 1, 0.003, 0.010, 5, host),
                new ProfileCsv.Row(runId, "ejml", 1, SMALL, "head_copy", "backward", 16, 0.0005, 0.010, 5, host),
                new ProfileCsv.Row(runId, "ejml", 1, SMALL, "attention_split", "backward", 2, 0.002, 0.010, 5, host));
    }

    @Test
    void everyColumnIsDocumentedInResultsReadme() throws Exception {
        DocumentedColumns.assertDocumented("## profile.csv", ProfileCsv.COLUMNS);
    }

    @Test
    void rowsRoundTripAndAForeignFileIsRefused(@TempDir Path directory) throws Exception {
        Path file = directory.resolve(ProfileCsv.FILE_NAME);
        ProfileCsv.write(file, rows("run-1", "Test CPU"));
        assertEquals(rows("run-1", "Test CPU"), ProfileCsv.read(file));
        Path foreign = Files.writeString(directory.resolve("foreign.csv"), "a,b\n1,2\n");
        InvalidInputException refused = assertThrows(InvalidInputException.class, () -> ProfileCsv.read(foreign));
        assertTrue(refused.getMessage().contains("is not a flopcast profile.csv"), refused.getMessage());
    }
}
