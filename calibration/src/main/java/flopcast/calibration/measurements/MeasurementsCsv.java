package flopcast.calibration.measurements;

import flopcast.analytic.InvalidInputException;
import flopcast.calibration.csv.CsvText;
import flopcast.calibration.csv.WholeFile;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/** Writes {@code measurements.csv} whole or not at all, and reads it back refusing anything else. */
public final class MeasurementsCsv {

    private MeasurementsCsv() {
    }

    /** Writes the rows whole or not at all ({@link WholeFile}). */
    public static void write(Path target, List<Map<String, Object>> rows) {
        List<List<Object>> values = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            if (!row.keySet().equals(new java.util.LinkedHashSet<>(MeasurementsSchema.names()))) {
                throw new IllegalArgumentException("row columns " + row.keySet() + " are not the schema's");
            }
            values.add(new ArrayList<>(row.values()));
        }
        String text = CsvText.write(MeasurementsSchema.COLUMNS, values);
        WholeFile.write(target, text);
    }

    /** The rows of a measurements file, columns by name; a missing, empty, malformed or foreign file is refused. */
    public static List<Map<String, String>> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("no measurements file at " + file + " (mvn jmh:run writes one)");
        }
        List<String> expected = MeasurementsSchema.names();
        try (Reader reader = Files.newBufferedReader(file);
                CSVParser parser = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get()
                        .parse(reader)) {
            List<String> header = parser.getHeaderNames();
            if (header.isEmpty()) {
                throw new InvalidInputException(file + " is empty: expected a measurements.csv header and rows");
            }
            boolean previous = header.equals(MeasurementsSchema.previousNames());
            if (!header.equals(expected) && !previous) {
                throw new InvalidInputException(file + " is not a flopcast measurements.csv: its header has "
                        + header.size() + " columns starting '" + header.get(0) + "', expected " + expected.size()
                        + " starting 'run_id'");
            }
            List<Map<String, String>> rows = new ArrayList<>();
            for (CSVRecord record : parser) {
                if (record.size() != header.size()) {
                    throw new InvalidInputException(file + " line " + parser.getCurrentLineNumber() + " has "
                            + record.size() + " values, expected " + header.size());
                }
                Map<String, String> row = new LinkedHashMap<>();
                for (String column : expected) {
                    row.put(column, previous && MeasurementsSchema.ADDED.contains(column) ? "" : record.get(column));
                }
                rows.add(row);
            }
            if (rows.isEmpty()) {
                throw new InvalidInputException(file + " has a header but no rows");
            }
            return rows;
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            if (e instanceof InvalidInputException invalid) {
                throw invalid;
            }
            Throwable cause = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof CharacterCodingException) {
                throw new InvalidInputException(file + " is not UTF-8 text (" + cause.getMessage()
                        + "); allowed is a measurements.csv as mvn jmh:run writes it");
            }
            throw new InvalidInputException(file + " is not valid CSV: " + String.valueOf(cause.getMessage()).lines()
                    .findFirst().orElse(""));
        }
    }
}
