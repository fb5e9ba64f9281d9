package flopcast.calibration.profile;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import flopcast.calibration.csv.CsvColumn;
import flopcast.calibration.csv.CsvText;
import flopcast.calibration.csv.WholeFile;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.measurements.MeasurementsSchema;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * {@code profile.csv}: where each measured step's time went inside the step itself, by op class and
 * pass (the measure module's in-situ profile, {@code train --profile}'s), one row per class and pass
 * of each profiled step, written beside {@code measurements.csv} by {@code mvn jmh:run};
 * {@code results/README.md} documents each column.
 */
public final class ProfileCsv {
    public static final String FILE_NAME = "profile.csv";

    public static final List<CsvColumn> COLUMNS = columns();

    private ProfileCsv() {
    }

    private static List<CsvColumn> columns() {
        List<CsvColumn> all = new ArrayList<>(List.of(
                new CsvColumn("run_id", "-", "the run whose measured step this profiles"),
                new CsvColumn("backend", "-", "the step's backend, as in measurements.csv"),
                new CsvColumn("threads", "threads", "the step's kernel threads")));
        for (String column : MeasurementsSchema.names()) {
            if (Arrays.stream(ShapeKey.values()).anyMatch(key -> key.key().equals(column))
                    || MeasurementsSchema.SETTINGS.contains(column)) {
                all.add(MeasurementsSchema.COLUMNS.stream().filter(c -> c.name().equals(column)).findFirst()
                        .orElseThrow());
            }
        }
        all.addAll(List.of(
                new CsvColumn("op_class", "-", "the class of work (train --profile's): a model component's matmuls "
                        + "and kernels by its name, or residual_add, bias, qk_norm, head_copy, routing, expert_copy, "
                        + "attention_split, lora_scale, bf16_conversion, nf4_dequantize, gradient_zeroing, adamw"),
                new CsvColumn("pass", "-", "forward, backward, recompute (forward work the backward pass runs "
                        + "again) or optimizer"),
                new CsvColumn("calls_per_step", "calls", "timed calls a step (a split across threads is one call)"),
                new CsvColumn("seconds_per_step", "s", "wall seconds a step in the class, on the calling thread, "
                        + "over the profiled steps"),
                new CsvColumn("step_seconds", "s", "mean wall seconds of a profiled step; step_seconds less the sum of "
                        + "its rows' seconds_per_step is the time no class timed"),
                new CsvColumn("profiled_steps", "steps", "steps profiled: the second half of the run's steps"),
                new CsvColumn("host_cpu", "-", "processor name (OSHI)")));
        return List.copyOf(all);
    }

    /** One row: a class and pass of one profiled step. */
    public record Row(String runId, String backend, int threads, Shape shape, String opClass, String pass,
            long callsPerStep, double secondsPerStep, double stepSeconds, int profiledSteps, String hostCpu) {
    }

    public static void write(Path target, List<Row> rows) {
        List<List<Object>> values = new ArrayList<>();
        for (Row row : rows) {
            Map<String, Object> cells = new LinkedHashMap<>();
            COLUMNS.forEach(c -> cells.put(c.name(), null));
            cells.put("run_id", row.runId());
            cells.put("backend", row.backend());
            cells.put("threads", row.threads());
            MeasurementsSchema.putShape(cells, row.shape());
            cells.put("op_class", row.opClass());
            cells.put("pass", row.pass());
            cells.put("calls_per_step", row.callsPerStep());
            cells.put("seconds_per_step", row.secondsPerStep());
            cells.put("step_seconds", row.stepSeconds());
            cells.put("profiled_steps", row.profiledSteps());
            cells.put("host_cpu", row.hostCpu());
            values.add(new ArrayList<>(cells.values()));
        }
        WholeFile.write(target, CsvText.write(COLUMNS, values));
    }

    /** The rows of a profile file; a file that is not one is refused with one line. */
    public static List<Row> read(Path file) {
        List<String> expected = COLUMNS.stream().map(CsvColumn::name).toList();
        try (Reader reader = Files.newBufferedReader(file);
                CSVParser parser = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get()
                        .parse(reader)) {
            if (!parser.getHeaderNames().equals(expected)) {
                throw new InvalidInputException(file + " is not a flopcast profile.csv: its header is not "
                        + String.join(",", expected.subList(0, 3)) + ",...");
            }
            List<Row> rows = new ArrayList<>();
            for (CSVRecord record : parser) {
                Map<String, String> cells = record.toMap();
                rows.add(new Row(cells.get("run_id"), cells.get("backend"), Integer.parseInt(cells.get("threads")),
                        Measurement.shape(cells), cells.get("op_class"), cells.get("pass"),
                        Long.parseLong(cells.get("calls_per_step")), Double.parseDouble(cells.get("seconds_per_step")),
                        Double.parseDouble(cells.get("step_seconds")), Integer.parseInt(cells.get("profiled_steps")),
                        cells.get("host_cpu")));
            }
            return rows;
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            if (e instanceof InvalidInputException invalid) {
                throw invalid;
            }
            throw new InvalidInputException(file + " is not a flopcast profile.csv: " + String.valueOf(e.getMessage())
                    .lines().findFirst().orElse(""));
        }
    }
}
