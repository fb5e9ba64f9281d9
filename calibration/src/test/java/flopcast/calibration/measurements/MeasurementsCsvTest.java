package flopcast.calibration.measurements;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.NamedShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeasurementsCsvTest {
    /** The derivation test's rows as written: header, column order, number and empty-cell format. */
    static final Path GOLDEN = Path.of("src", "test", "resources", "golden", "measurements.csv");

    /**
     * The written bytes of known rows equal a file committed beside the tests: any change to the
     * format (a column, its order, how a number or an empty cell is written) shows in review as a
     * change to that file. Regenerate it with {@code -Dflopcast.golden.write=true} after a deliberate change.
     */
    @Test
    void theFormatIsSealedByAGoldenFile(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("measurements.csv");
        MeasurementsCsv.write(file, DerivationTest.derive(directory));
        if (Boolean.getBoolean("flopcast.golden.write")) {
            Files.copy(file, GOLDEN, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        assertEquals(Files.readString(GOLDEN), Files.readString(file));
    }

    @Test
    void writtenRowsReadBackColumnByName(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("measurements.csv");
        MeasurementsCsv.write(file, DerivationTest.derive(directory));
        List<Map<String, String>> rows = MeasurementsCsv.read(file);
        assertEquals(6, rows.size());
        assertEquals("ffn_w1", rows.get(3).get("component"));
        assertEquals("10000000", rows.get(3).get("predicted_flops"));
        assertEquals("", rows.get(3).get("parameters"));
        try (var files = Files.list(directory)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    /**
     * A step's settings columns round-trip into the shape calibration predicts; a file written before
     * the settings and spread columns still reads, its rows at the default settings with the score as
     * their time.
     */
    @Test
    void settingsRoundTripAndTheEarlierHeaderStillReads(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("measurements.csv");
        List<Map<String, Object>> derived = DerivationTest.derive(directory);
        Map<String, Object> step = DerivationTest.row(derived, "VectorStepBenchmark.step", "step");
        flopcast.analytic.Shape flash = NamedShape.TINY.shape().withSettings(new flopcast.analytic.Settings(
                flopcast.analytic.PrecisionPolicy.BF16_MIXED, flopcast.analytic.AttentionKernel.FLASH,
                flopcast.analytic.Recompute.SELECTIVE));
        MeasurementsSchema.putShape(step, flash);
        MeasurementsCsv.write(file, derived);
        Map<String, String> read = MeasurementsCsv.read(file).stream().filter(r -> r.get("pass").equals("step"))
                .findFirst().orElseThrow();
        assertEquals(List.of("flash", "selective", "bf16-mixed"), List.of(read.get("attention"), read.get("recompute"),
                read.get("precision_policy")));
        assertEquals(flash, Measurement.shape(read));

        List<String> previous = MeasurementsSchema.previousNames();
        StringBuilder old = new StringBuilder(String.join(",", previous)).append('\n');
        List<String> values = new java.util.ArrayList<>();
        for (String column : previous) {
            values.add(read.get(column).contains(",") ? "\"" + read.get(column) + "\"" : read.get(column));
        }
        old.append(String.join(",", values)).append('\n');
        Path earlier = Files.writeString(directory.resolve("earlier.csv"), old);
        Map<String, String> back = MeasurementsCsv.read(earlier).get(0);
        assertEquals("", back.get("lower_quartile_seconds_per_op"));
        assertEquals(NamedShape.TINY.shape(), Measurement.shape(back));
        assertEquals(Double.parseDouble(read.get("score_seconds_per_op")), Measurement.of(back, 2).secondsPerOp());
    }

    @Test
    void decimalCommaLocaleWritesTheSameBytes(@TempDir Path directory) throws Exception {
        Path root = directory.resolve("root.csv");
        Path german = directory.resolve("german.csv");
        MeasurementsCsv.write(root, DerivationTest.derive(directory));
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            MeasurementsCsv.write(german, DerivationTest.derive(directory));
        } finally {
            Locale.setDefault(before);
        }
        assertEquals(Files.readString(root), Files.readString(german));
        assertTrue(Files.readString(root).contains("0.025"));
    }

    @Test
    void missingEmptyForeignAndMalformedFilesAreRefusedWithOneLine(@TempDir Path directory) throws Exception {
        assertRefused(directory.resolve("absent.csv"), "no measurements file");
        Path empty = Files.writeString(directory.resolve("empty.csv"), "");
        assertRefused(empty, "is empty");
        Path foreign = Files.writeString(directory.resolve("foreign.csv"), "name,age\nada,36\n");
        assertRefused(foreign, "is not a flopcast measurements.csv");
        Path headerOnly = Files.writeString(directory.resolve("header.csv"),
                String.join(",", MeasurementsSchema.names()) + "\n");
        assertRefused(headerOnly, "has a header but no rows");
        Path ragged = Files.writeString(directory.resolve("ragged.csv"),
                String.join(",", MeasurementsSchema.names()) + "\nrun,MatmulBenchmark.run\n");
        assertRefused(ragged, "has 2 values");
    }

    private static void assertRefused(Path file, String expected) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> MeasurementsCsv.read(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
