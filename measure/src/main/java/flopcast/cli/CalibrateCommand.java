package flopcast.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.Device;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Precision;
import flopcast.analytic.Preset;
import flopcast.measure.results.Calibration;
import flopcast.measure.results.CalibrationReport;
import flopcast.measure.results.CalibrationResult;
import flopcast.measure.results.CalibrationSchema;
import flopcast.measure.results.CalibrationTable;
import flopcast.measure.results.Charts;
import flopcast.measure.results.MeasurementsCsv;
import flopcast.measure.results.TorchCalibration;
import flopcast.measure.results.WholeFile;
import flopcast.measure.csv.CsvText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code calibrate}: measured rows to a calibrated cost model, a report, charts and the extrapolation. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Fits efficiency per op class from a measurements.csv (component rows only), checks the"
                + " step-time model against the measured steps, extrapolates a target run to a device, and writes"
                + " calibration.csv, report.md and PNG charts beside the results file.",
                "Example: calibrate --results results/measurements.csv --preset gpt2-xl --device a100-80gb"
                        + " --precision bf16 --steps 400000 --batch 1024"})
final class CalibrateCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--results", paramLabel = "FILE", defaultValue = "results/measurements.csv",
            description = "A measurements.csv written by mvn jmh:run (default: ${DEFAULT-VALUE}).")
    private Path results;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "gpt2-xl",
            description = "Target model (default: ${DEFAULT-VALUE}).")
    private String preset;

    @Option(names = "--device", paramLabel = "NAME", defaultValue = "a100-80gb",
            description = "Target device (default: ${DEFAULT-VALUE}).")
    private String device;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "Peak the model-based rows divide by: fp32, tf32 or bf16 (default: ${DEFAULT-VALUE}).")
    private String precision;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "400000",
            description = "Optimizer steps of the target run (default: ${DEFAULT-VALUE}, the seed's).")
    private long steps;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1024",
            description = "Target batch in sequences (default: ${DEFAULT-VALUE}, the seed's).")
    private long batch;

    @Option(names = "--host", paramLabel = "CPU",
            description = "Which host's rows to use, by host_cpu, when the file holds several.")
    private String host;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where calibration.csv, report.md and the charts go (default: beside the results file).")
    private Path out;

    @Mixin
    private FormatOption format;

    @Override
    public Integer call() {
        OutputFormat output = format.resolve();
        if (steps < 1) {
            throw new InvalidInputException("--steps must be at least 1, got " + steps);
        }
        if (batch < 1) {
            throw new InvalidInputException("--batch must be a positive integer, got " + batch);
        }
        CalibrationResult.TargetSpec target = new CalibrationResult.TargetSpec(preset,
                Preset.byName(preset).shape(batch), Device.byName(device), Precision.byName(precision), steps);
        Path directory = out != null ? out : results.toAbsolutePath().getParent();
        requireWritable(directory);
        List<Map<String, String>> rows = MeasurementsCsv.read(results);
        if (TorchCalibration.probeRows(rows, results)) {
            // the PyTorch probe's rows: no charts (they plot the JVM's component fits)
            TorchCalibration calibration = TorchCalibration.of(results, rows, host, target);
            CalibrationTable table = calibration.table();
            return write(table, probeReport(calibration, table), directory, output,
                    () -> probeText(calibration, table, directory));
        }
        CalibrationResult result = CalibrationResult.of(results, host, target);
        CalibrationTable table = CalibrationTable.of(result);
        Map<String, String> charts = writing(directory, () -> Charts.write(result, directory));
        return write(table, CalibrationReport.markdown(result, charts), directory, output,
                () -> text(table, result, directory));
    }

    /**
     * {@code directory} exists (created where absent) and is a directory this process may write;
     * otherwise one line naming it. A write that fails later anyway (a full disk) is one line too.
     */
    private void requireWritable(Path directory) {
        String option = out != null ? "--out " + out : "--out (default: the directory of --results " + results + ")";
        try {
            Files.createDirectories(directory);
        } catch (FileAlreadyExistsException e) {
            throw new InvalidInputException(option + " is a file; allowed is a directory to write the calibration into");
        } catch (IOException e) {
            throw new InvalidInputException(option + " cannot be created: " + reason(e));
        }
        if (!Files.isWritable(directory)) {
            throw new InvalidInputException(option + " is not writable; allowed is a directory this user may write");
        }
    }

    /** Runs {@code write}; a file it cannot write into {@code directory} is one line. */
    private static <T> T writing(Path directory, java.util.function.Supplier<T> write) {
        try {
            return write.get();
        } catch (UncheckedIOException e) {
            throw new InvalidInputException("cannot write into " + directory + ": " + reason(e.getCause()));
        }
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException missing) {
            return "no such directory " + missing.getFile();
        }
        if (e instanceof AccessDeniedException denied) {
            return "permission denied on " + denied.getFile();
        }
        return e instanceof FileSystemException fs && fs.getReason() != null ? fs.getFile() + ": " + fs.getReason()
                : String.valueOf(e.getMessage());
    }

    /** calibration.csv and report.md into {@code directory}, then the table, its CSV or its JSON on stdout. */
    private int write(CalibrationTable table, String report, Path directory, OutputFormat output,
            java.util.function.Supplier<String> tableText) {
        String csv = CsvText.write(CalibrationSchema.COLUMNS, table.csvRows());
        writing(directory, () -> {
            WholeFile.write(directory.resolve(CalibrationSchema.FILE_NAME), csv);
            WholeFile.write(directory.resolve("report.md"), report);
            return null;
        });
        String text = switch (output) {
            case CSV -> csv;
            case JSON -> Json.write(json(table, directory));
            case TABLE -> tableText.get();
        };
        spec.commandLine().getOut().print(text);
        return 0;
    }

    private static String probeText(TorchCalibration calibration, CalibrationTable table, Path directory) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "flopcast calibrate: %s (%s), %d probe step rows%n",
                calibration.device(), calibration.backend(), calibration.rows().size()));
        TextTable classes = new TextTable("shape class", ">largest B", ">step", ">model FLOP/s", ">MFU");
        for (TorchCalibration.ShapeClass c : calibration.classes()) {
            classes.row(c.label(), String.valueOf(c.batchSize()), String.format(Locale.ROOT, "%.4f s", c.seconds()),
                    String.format(Locale.ROOT, "%.2f GFLOP/s", c.flopsPerSecond() / 1e9),
                    Double.isNaN(c.mfu()) ? "no catalog peak" : CalibrationTable.percent(c.mfu()));
        }
        text.append(classes.render()).append('\n');
        text.append("extrapolation: ").append(table.target()).append('\n');
        TextTable days = new TextTable("assumption", ">MFU", ">days", "source");
        table.items("extrapolation").forEach((item, row) -> days.row(item,
                row.containsKey("mfu") ? row.get("mfu").text() : "-", row.get("days").text(), row.get("days").note()));
        text.append(days.render());
        text.append("written: ").append(directory.resolve("report.md")).append(", ")
                .append(directory.resolve(CalibrationSchema.FILE_NAME)).append(" (no charts: they plot the JVM's"
                        + " component fits)\n");
        return text.toString();
    }

    private static String probeReport(TorchCalibration calibration, CalibrationTable table) {
        StringBuilder text = new StringBuilder();
        text.append("# Calibration from the PyTorch probe\n\n").append("Device: ").append(calibration.device())
                .append(" (").append(calibration.backend()).append("). Target: ").append(table.target()).append(".\n\n")
                .append("| section | item | quantity | value | note |\n|---|---|---|---|---|\n");
        for (CalibrationTable.Entry e : table.entries()) {
            text.append("| ").append(e.section()).append(" | ").append(e.item()).append(" | ").append(e.quantity())
                    .append(" | ").append(e.text()).append(" | ").append(e.note()).append(" |\n");
        }
        return text.toString();
    }

    /** The table for people: the fits' probes, the held-out steps, the extrapolation, what was written. */
    private static String text(CalibrationTable table, CalibrationResult result, Path directory) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "flopcast calibrate: %s; %s rows, %s marked invalid (left out)%n",
                table.hostCpu(), table.get("measurements", "rows", "rows").text(),
                table.get("measurements", "rows", "marked_invalid").text()));
        for (Calibration calibration : result.calibrations()) {
            String label = calibration.label();
            text.append(String.format(Locale.ROOT, "fit %-18s peak %s, bandwidth %s (measured)%s%n", label,
                    table.get("fit", label + " peak", "flops_per_second").text(),
                    table.get("fit", label + " bandwidth", "bytes_per_second").text(),
                    calibration == result.calibration() ? "; the extrapolation's" : ""));
        }
        result.unfitted().forEach(reason -> text.append("not fitted: ").append(reason).append('\n'));
        text.append('\n');
        text.append(render(new TextTable("held-out step", ">measured", ">predicted", ">error", ">held out", ">error",
                ">host MFU"), table.grid("held_out", List.of("measured_seconds"), List.of("measured_seconds",
                        "predicted_seconds", "error", "leave_shape_out_seconds", "leave_shape_out_error",
                        "host_mfu/mfu"))));
        table.items("held_out").forEach((item, summary) -> {
            if (summary.containsKey("worst_error")) {
                text.append(String.format(Locale.ROOT, "%s: worst held-out error %s (target %s), median %s (target %s),"
                        + " %s steps%n", item.substring(0, item.length() - " steps".length()),
                        summary.get("worst_error").text(), CalibrationTable.percent(CalibrationTable.TARGET_ERROR),
                        summary.get("median_error").text(), CalibrationTable.percent(CalibrationTable.TARGET_MEDIAN_ERROR),
                        summary.get("steps").text()));
            }
        });
        text.append('\n').append("extrapolation: ").append(table.target()).append('\n');
        TextTable days = new TextTable("assumption", "peak", ">MFU", ">days", "source");
        table.items("extrapolation").forEach((item, row) -> days.row(item, row.get("mfu").note(), row.get("mfu").text(),
                row.get("days").text(), row.get("days").note()));
        text.append(days.render());
        Map<String, Map<String, CalibrationTable.Entry>> memory = table.items("memory");
        text.append(((Number) memory.get("largest micro-batch").get("sequences").value()).longValue() > 0
                ? String.format(Locale.ROOT, "memory: micro-batch %s fits, %s accumulation steps for batch %s%n",
                        memory.get("largest micro-batch").get("sequences").text(),
                        memory.get("gradient accumulation").get("steps").text(),
                        memory.get("target batch").get("sequences").text())
                : String.format(Locale.ROOT, "memory: nothing fits, %s bytes short%n",
                        memory.get("shortfall").get("bytes").text()));
        text.append("written: ").append(directory.resolve("report.md")).append(", ")
                .append(directory.resolve(CalibrationSchema.FILE_NAME)).append(", ").append(Charts.STEP_TIME)
                .append(", ").append(Charts.EFFICIENCY_MATMUL).append(", ").append(Charts.EFFICIENCY_MEMORY)
                .append(", ").append(Charts.MFU).append('\n');
        return text.toString();
    }

    private static String render(TextTable table, List<List<String>> rows) {
        rows.forEach(row -> table.row(row.toArray(String[]::new)));
        return table.render();
    }

    /** The same entries as calibration.csv, and where the report went. */
    private static ObjectNode json(CalibrationTable table, Path directory) {
        ObjectNode root = Json.object();
        root.put("host_cpu", table.hostCpu());
        root.put("target", table.target());
        ArrayNode entries = root.putArray("entries");
        for (CalibrationTable.Entry e : table.entries()) {
            ObjectNode item = entries.addObject();
            item.put("section", e.section());
            item.put("item", e.item());
            item.put("quantity", e.quantity());
            item.putPOJO("value", e.value());
            item.put("unit", e.unit());
            item.put("note", e.note());
        }
        root.put("report", directory.resolve("report.md").toString());
        return root;
    }
}
