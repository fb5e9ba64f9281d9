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
import flopcast.measure.results.Charts;
import flopcast.measure.results.EfficiencyFit;
import flopcast.measure.results.Extrapolation;
import flopcast.measure.results.HeldOut;
import flopcast.measure.results.WholeFile;
import flopcast.measure.csv.CsvText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
        CalibrationResult result = CalibrationResult.of(results, host, target);
        Path directory = out != null ? out : results.toAbsolutePath().getParent();
        List<List<Object>> rows = CalibrationReport.csvRows(result);
        String csv = CsvText.write(CalibrationSchema.COLUMNS, rows);
        Map<String, String> charts = Charts.write(result, directory);
        WholeFile.write(directory.resolve(CalibrationSchema.FILE_NAME), csv);
        WholeFile.write(directory.resolve("report.md"), CalibrationReport.markdown(result, charts));
        String text = switch (output) {
            case CSV -> csv;
            case JSON -> Json.write(json(result, directory));
            case TABLE -> table(result, directory);
        };
        spec.commandLine().getOut().print(text);
        return 0;
    }

    private static String table(CalibrationResult result, Path directory) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "flopcast calibrate: %s; %d rows, %d marked invalid (left out)%n",
                result.hostCpu(), result.measurements().size(),
                result.measurements().stream().filter(m -> !m.valid()).count()));
        for (Calibration calibration : result.calibrations()) {
            text.append(String.format(Locale.ROOT, "fit %-18s peak %.1f GFLOP/s, bandwidth %.1f GB/s (measured)%s%n",
                    calibration.label(), calibration.peakFlopsPerSecond() / 1e9,
                    calibration.bandwidthBytesPerSecond() / 1e9, calibration == result.calibration()
                            ? "; the extrapolation's" : ""));
        }
        result.unfitted().forEach(reason -> text.append("not fitted: ").append(reason).append('\n'));
        text.append('\n');
        TextTable held = new TextTable("backend", "held-out step", ">measured s", ">predicted s", ">error",
                ">held out s", ">error", ">host MFU");
        for (HeldOut.StepCheck check : result.checks()) {
            boolean loso = !Double.isNaN(check.leaveOutSeconds());
            held.row(check.label(), CalibrationReport.shapeLabel(check.shape()),
                    String.format(Locale.ROOT, "%.4f", check.measuredSeconds()),
                    String.format(Locale.ROOT, "%.4f", check.predictedSeconds()), signed(check.error()),
                    loso ? String.format(Locale.ROOT, "%.4f", check.leaveOutSeconds()) : "n/a",
                    loso ? signed(check.leaveOutError()) : "n/a", String.format(Locale.ROOT, "%.2f%%",
                            100 * check.hostMfu()));
        }
        text.append(held.render());
        for (String backend : HeldOut.backends(result.checks())) {
            List<HeldOut.StepCheck> checks = HeldOut.of(result.checks(), backend);
            text.append(String.format(Locale.ROOT, "%s: worst held-out error %.1f%% (target %.0f%%), median %.1f%%"
                    + " (target %.0f%%), %d steps%n", backend, 100 * HeldOut.worst(checks),
                    100 * CalibrationReport.TARGET_ERROR, 100 * HeldOut.median(checks),
                    100 * CalibrationReport.TARGET_MEDIAN_ERROR, checks.size()));
        }
        text.append('\n');
        Extrapolation e = result.extrapolation();
        TextTable days = new TextTable("assumption", "peak", ">MFU", ">days", "source");
        for (Extrapolation.Row row : e.rows()) {
            days.row(row.label(), row.precision().cliName(), String.format(Locale.ROOT, "%.2f%%", 100 * row.mfu()),
                    NumberText.grouped(row.days(), 2), row.source());
        }
        text.append("extrapolation: ").append(e.target().describe()).append(", ").append(e.steps())
                .append(" steps, ").append(e.device().cliName()).append('\n').append(days.render());
        Extrapolation.MemoryPlan plan = e.memoryPlan();
        text.append(plan.microBatch() > 0
                ? String.format(Locale.ROOT, "memory: micro-batch %d fits, %d accumulation steps for batch %d%n",
                        plan.microBatch(), plan.accumulationSteps(), e.target().batchSize())
                : String.format(Locale.ROOT, "memory: nothing fits, %,d bytes short%n", plan.shortfallBytes()));
        text.append("written: ").append(directory.resolve("report.md")).append(", ")
                .append(directory.resolve(CalibrationSchema.FILE_NAME)).append(", ").append(Charts.STEP_TIME)
                .append(", ").append(Charts.EFFICIENCY_MATMUL).append(", ").append(Charts.EFFICIENCY_MEMORY)
                .append(", ").append(Charts.MFU).append('\n');
        return text.toString();
    }

    private static ObjectNode json(CalibrationResult result, Path directory) {
        ObjectNode root = Json.object();
        root.put("host_cpu", result.hostCpu());
        ArrayNode calibrations = root.putArray("calibrations");
        for (Calibration calibration : result.calibrations()) {
            ObjectNode one = calibrations.addObject();
            one.put("backend", calibration.backend());
            one.put("threads", calibration.threads());
            one.put("peak_flops_per_second", calibration.peakFlopsPerSecond());
            one.put("bandwidth_bytes_per_second", calibration.bandwidthBytesPerSecond());
            ArrayNode fits = one.putArray("fits");
            for (EfficiencyFit fit : calibration.fits().values()) {
                ObjectNode item = fits.addObject();
                item.put("op_class", fit.opClass().label());
                item.put("points", fit.points());
                item.put("intercept", fit.intercept());
                item.put("slope", fit.slope());
                item.put("efficiency_min", fit.efficiencyMin());
                item.put("efficiency_max", fit.efficiencyMax());
            }
        }
        ArrayNode held = root.putArray("held_out");
        for (HeldOut.StepCheck check : result.checks()) {
            ObjectNode item = held.addObject();
            item.put("backend", check.backend());
            item.put("threads", check.threads());
            item.set("shape", Json.shape(check.shape()));
            item.put("measured_seconds", check.measuredSeconds());
            item.put("predicted_seconds", check.predictedSeconds());
            item.put("error", check.error());
            if (!Double.isNaN(check.leaveOutSeconds())) {
                item.put("leave_shape_out_seconds", check.leaveOutSeconds());
                item.put("leave_shape_out_error", check.leaveOutError());
            }
            item.put("host_mfu", check.hostMfu());
        }
        ObjectNode errors = root.putObject("held_out_errors");
        for (String backend : HeldOut.backends(result.checks())) {
            List<HeldOut.StepCheck> checks = HeldOut.of(result.checks(), backend);
            ObjectNode item = errors.putObject(backend);
            item.put("worst", HeldOut.worst(checks));
            item.put("median", HeldOut.median(checks));
        }
        ArrayNode extrapolation = root.putArray("extrapolation");
        for (Extrapolation.Row row : result.extrapolation().rows()) {
            ObjectNode item = extrapolation.addObject();
            item.put("assumption", row.label());
            item.put("precision", row.precision().cliName());
            item.put("mfu", row.mfu());
            item.put("days", row.days());
            item.put("source", row.source());
        }
        root.put("report", directory.resolve("report.md").toString());
        return root;
    }

    private static String signed(double fraction) {
        return String.format(Locale.ROOT, "%+.1f%%", 100 * fraction);
    }
}
