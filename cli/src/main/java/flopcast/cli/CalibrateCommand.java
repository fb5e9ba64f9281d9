package flopcast.cli;

import flopcast.analytic.Device;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Precision;
import flopcast.analytic.Preset;
import flopcast.calibration.csv.WholeFile;
import flopcast.calibration.fit.CalibrationResult;
import flopcast.calibration.fit.RefusedMeasurements;
import flopcast.calibration.fit.StepTimeModel;
import flopcast.calibration.fit.TorchCalibration;
import flopcast.calibration.measurements.MeasurementsCsv;
import flopcast.calibration.report.CalibrationCsv;
import flopcast.calibration.report.CalibrationJson;
import flopcast.calibration.report.CalibrationMarkdown;
import flopcast.calibration.report.CalibrationSchema;
import flopcast.calibration.report.CalibrationTable;
import flopcast.calibration.report.Charts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code calibrate}: measured rows to a calibrated cost model, a report, charts and the extrapolation. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Fits efficiency per op class from a measurements.csv (component rows only), checks the"
                + " step-time model against the measured steps, extrapolates a target run to a device, and writes"
                + " calibration.csv, report.md and PNG charts beside the results file.",
                "Example: calibrate --results results/measurements.csv --preset seed-gpt2-xl --device a100-80gb"
                        + " --precision bf16 --steps 400000 --batch 1024"})
final class CalibrateCommand extends FormattedCommand {

    @Option(names = "--results", paramLabel = "FILE", defaultValue = "results/measurements.csv",
            description = "A measurements.csv written by mvn jmh:run (default: ${DEFAULT-VALUE}).")
    private Path results;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "seed-gpt2-xl",
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

    @Override
    String render(OutputFormat output) {
        if (steps < 1) {
            throw new InvalidInputException("--steps must be at least 1, got " + steps);
        }
        if (batch < 1) {
            throw new InvalidInputException("--batch must be a positive integer, got " + batch);
        }
        CalibrationResult.TargetSpec target = new CalibrationResult.TargetSpec(preset,
                Preset.byName(preset).shape(batch), Device.byName(device), Precision.byName(precision), steps);
        // before anything is read or written
        StepTimeModel.requireMeasured(target.shape(), "--preset " + preset, "a target with RMSNorm and a SwiGLU"
                + " MLP: seed-gpt2-xl, the seed's model at GPT-2 XL's sizes, or llama3-8b and the other Llama, Mistral"
                + " and Qwen presets");
        Path directory = out != null ? out : results.toAbsolutePath().getParent();
        requireWritable(directory);
        List<Map<String, String>> rows = MeasurementsCsv.read(results);
        CalibrationTable table;
        Map<String, String> charts;
        try {
            if (TorchCalibration.probeRows(rows, results)) {
                // the PyTorch probe's rows: no charts (they plot the JVM's component fits)
                table = CalibrationTable.of(TorchCalibration.of(results, rows, host, target));
                charts = Map.of();
            } else {
                CalibrationResult result = CalibrationResult.of(results, host, target);
                table = CalibrationTable.of(result);
                charts = writing(directory, () -> Charts.write(result, directory));
            }
        } catch (RefusedMeasurements refused) {
            writing(directory, () -> withdraw(directory, rows, refused));
            throw refused;
        }
        String csv = CalibrationCsv.text(table);
        String report = CalibrationMarkdown.render(table, charts);
        writing(directory, () -> {
            WholeFile.write(directory.resolve(CalibrationSchema.FILE_NAME), csv);
            WholeFile.write(directory.resolve("report.md"), report);
            return null;
        });
        return switch (output) {
            case CSV -> csv;
            case JSON -> Json.write(CalibrationJson.tree(table).put("report", directory.resolve("report.md").toString()));
            case TABLE -> CalibrationText.render(table, directory, charts.keySet());
        };
    }

    /**
     * After a refusal of the measurements themselves: removes the calibration.csv and charts an
     * earlier run left in {@code directory} and puts in report.md's place one that says this run
     * was refused and why, so nothing beside the new measurements describes another run.
     */
    private Void withdraw(Path directory, List<Map<String, String>> rows, RefusedMeasurements refused) {
        try {
            Files.deleteIfExists(directory.resolve(CalibrationSchema.FILE_NAME));
            for (String chart : Charts.FILES) {
                Files.deleteIfExists(directory.resolve(chart));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String run = rows.isEmpty() ? "" : rows.get(0).getOrDefault("run_id", "");
        WholeFile.write(directory.resolve("report.md"), CalibrationMarkdown.refused(results.getFileName().toString(),
                run, refused.getMessage()));
        return null;
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
}
