package flopcast.calibration.report;
import flopcast.calibration.fit.Calibration;
import flopcast.calibration.fit.CalibrationResult;
import flopcast.calibration.fit.Extrapolation;

import flopcast.analytic.Accounting;
import flopcast.analytic.Diff;
import flopcast.analytic.DiffTerm;
import flopcast.analytic.Shape;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code report.md}: the prose around {@link CalibrationTable}'s numbers, which it renders as markdown tables. */
public final class CalibrationReport {

    private CalibrationReport() {
    }

    public static String markdown(CalibrationResult result, Map<String, String> charts) {
        CalibrationTable table = CalibrationTable.of(result);
        String primary = result.calibration().label();
        StringBuilder md = new StringBuilder();
        md.append("# flopcast calibration report\n\n");
        md.append(String.format(Locale.ROOT, "Host: **%s**. %s measurement rows, %s of them marked invalid (left out;"
                + " see `valid` and `status` in measurements.csv).%n%n", table.hostCpu(),
                table.get("measurements", "rows", "rows").text(), table.get("measurements", "rows", "marked_invalid")
                        .text()));
        md.append("For the person deciding how long to book an A100: the table under *Extrapolation* gives the run's"
                + " length under each assumption, one per row, with its source. The extrapolation's fit is **"
                + primary + "**: the host-calibrated row built on it transfers the shape of efficiency against"
                + " arithmetic intensity (and of memory-bound ops against bytes per op) from real hardware; it does"
                + " not transfer the device's own kernels, whose efficiencies are the GPU's. Each other fit is beside"
                + " it and describes its own backend: read the efficiencies each reached in its table below (EJML's"
                + " describe EJML, not the hardware).\n\n");

        md.append("## What was measured, and the fits\n\n");
        md.append("One fit per backend and thread count, each from that backend's valid component rows at that"
                + " thread count only (steps are never inputs), each against the probes at its own thread count:"
                + " matmuls as achieved FLOP/s over the measured peak, against arithmetic intensity (FLOPs per byte"
                + " of minimum traffic); memory-bound kernels as achieved bytes/s over the measured bandwidth, against"
                + " bytes per op (which decides whether the op runs from cache). Each class: e = a + b ln(size),"
                + " held within the efficiencies measured. Matmul forward and backward are apart because the"
                + " backward pass's transposed products run other code.\n\n");
        Map<String, Map<String, CalibrationTable.Entry>> fits = table.items("fit");
        for (Calibration calibration : result.calibrations()) {
            String label = calibration.label();
            md.append(String.format(Locale.ROOT, "### %s%s%n%nPeak %s (FMA probe), bandwidth %s (triad), both at %d"
                    + " thread(s).%n%n", label, label.equals(primary) ? " (the extrapolation's)" : "",
                    table.get("fit", label + " peak", "flops_per_second").text(),
                    table.get("fit", label + " bandwidth", "bytes_per_second").text(), calibration.threads()));
            md.append("| op class | points | size | sizes measured | efficiency measured | a | b |\n"
                    + "|---|---|---|---|---|---|---|\n");
            fits.forEach((item, fit) -> {
                if (item.startsWith(label + " ") && fit.containsKey("points")) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.3g to %.3g | %s to %s | %.4g | %.4g |%n",
                            item.substring(label.length() + 1), fit.get("points").text(), fit.get("size_min").unit(),
                            number(fit.get("size_min")), number(fit.get("size_max")),
                            fit.get("efficiency_min").text(), fit.get("efficiency_max").text(),
                            number(fit.get("intercept")), number(fit.get("slope"))));
                }
            });
            md.append('\n');
        }
        for (String reason : result.unfitted()) {
            md.append("Not fitted: ").append(reason).append("\n\n");
        }
        md.append("## Held-out check: measured steps\n\n");
        md.append("Step time = sum over every component instance of matmul FLOPs / (peak x efficiency) and"
                + " memory-bound bytes / (bandwidth x efficiency), plus AdamW's bytes / (bandwidth x efficiency),"
                + " with the fit of the step's own backend and thread count. Each measured step is predicted from"
                + " all that fit's component rows, and again from the other shapes' component rows only: the"
                + " held-out prediction (for a shape with no component rows of its own, the two are the same).\n\n");
        markdownTable(md, List.of("step", "measured", "predicted", "error", "held out", "error", "host MFU"),
                table.grid("held_out", List.of("measured_seconds"), List.of("measured_seconds", "predicted_seconds",
                        "error", "leave_shape_out_seconds", "leave_shape_out_error", "host_mfu/mfu")));
        table.items("held_out").forEach((item, summary) -> {
            if (summary.containsKey("worst_error")) {
                md.append(String.format(Locale.ROOT, "- %s: %s; worst held-out error **%s** (target %s: %s), median"
                        + " **%s** (target %s: %s).%n", item.substring(0, item.length() - " steps".length()),
                        summary.get("steps").text() + " steps", summary.get("worst_error").text(),
                        CalibrationTable.percent(CalibrationTable.TARGET_ERROR),
                        met(summary.get("worst_error"), CalibrationTable.TARGET_ERROR), summary.get("median_error").text(),
                        CalibrationTable.percent(CalibrationTable.TARGET_MEDIAN_ERROR),
                        met(summary.get("median_error"), CalibrationTable.TARGET_MEDIAN_ERROR)));
            }
        });
        md.append("\nHost MFU = model FLOPs (forward and backward matmuls) / (measured step time x measured peak at"
                + " the step's thread count).\n\n");
        md.append("## MFU of every measured step, by backend\n\nEvery valid measured step, each against the measured"
                + " peak at its own thread count (n/a: no probe at that thread count).\n\n");
        markdownTable(md, List.of("step", "seconds", "model FLOP/s", "MFU"), table.grid("host_mfu", List.of("seconds"),
                List.of("seconds", "model_flops_per_second", "mfu")));
        md.append("## Heap: predicted and measured\n\n");
        markdownTable(md, List.of("what", "predicted bytes", "measured live bytes", "ratio"), table.grid("heap",
                List.of("predicted_bytes"), List.of("predicted_bytes", "measured_bytes", "ratio")));
        md.append("## Extrapolation: ").append(table.target()).append("\n\n");
        md.append("| assumption | peak | MFU | days | source |\n|---|---|---|---|---|\n");
        table.items("extrapolation").forEach((item, row) -> md.append(String.format(Locale.ROOT,
                "| %s | %s | %s | %s | %s |%n", item, row.get("mfu").note(), row.get("mfu").text(), row.get("days").text(),
                row.get("days").note())));
        md.append("\nThe two step-time rows split the target batch into accumulation steps of the largest micro-batch"
                + " that fits (below) and run AdamW once per step; memory-bound ops run at most at the device's"
                + " bandwidth (the host measured some above its triad bandwidth, from cache).\n");
        md.append("\nSensitivity, complete accounting on the ").append(result.extrapolation().precision().cliName())
                .append(" peak:\n\n");
        markdownTable(md, List.of("MFU", "days"), table.grid("sensitivity", List.of("days"), List.of("days")));
        md.append("Memory (complete accounting, float32, ").append(table.get("memory", "capacity", "bytes").text())
                .append(" bytes): ");
        if (((Number) table.get("memory", "largest micro-batch", "sequences").value()).longValue() > 0) {
            md.append(String.format(Locale.ROOT, "the largest micro-batch that fits is **%s** sequences, so batch %s"
                    + " needs **%s** gradient-accumulation steps.%n%n",
                    table.get("memory", "largest micro-batch", "sequences").text(),
                    table.get("memory", "target batch", "sequences").text(),
                    table.get("memory", "gradient accumulation", "steps").text()));
        } else {
            md.append(String.format(Locale.ROOT, "nothing fits: **%s bytes** short.%n%n",
                    table.get("memory", "shortfall", "bytes").text()));
        }
        md.append("## The seed's errors\n\n").append(seedErrors(result.extrapolation())).append("\n\n");
        if (!charts.isEmpty()) {
            md.append("## Charts\n\n");
            charts.forEach((file, title) -> md.append("- [").append(title).append("](").append(file).append(")\n"));
        }
        return md.toString();
    }

    private static void markdownTable(StringBuilder md, List<String> header, List<List<String>> rows) {
        md.append("| ").append(String.join(" | ", header)).append(" |\n|");
        md.append("---|".repeat(header.size())).append('\n');
        for (List<String> row : rows) {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        md.append('\n');
    }

    private static double number(CalibrationTable.Entry entry) {
        return ((Number) entry.value()).doubleValue();
    }

    /** One paragraph, with numbers, from the diff at the target. */
    static String seedErrors(Extrapolation extrapolation) {
        Shape shape = extrapolation.target();
        List<DiffTerm> terms = Diff.between(shape, null, null);
        DiffTerm forward = terms.get(0);
        long embedding = Math.multiplyExact(shape.vocabSize(), shape.dModel());
        var seedPoly = Accounting.SEED.predict(shape).memory().polynomial();
        var completePoly = Accounting.COMPLETE.predict(shape).memory().polynomial();
        return String.format(Locale.ROOT, "The seed's \"FLOPs of one step\" is one block's matmuls: %s. The forward"
                + " pass is %.3g FLOPs, %.2fx the seed's %.3g, so every time it derives is %.2fx too short. It leaves"
                + " out the token embedding (%,d parameters, with their gradients and AdamW moments %,d bytes). Its"
                + " activations count one of Q, K and V, keep both the attention scores and their softmax, and miss"
                + " SwiGLU's product tensor, the norms' reciprocal RMS, the token ids and the backward workspace: it"
                + " needs %,d bytes per sequence where the complete accounting needs %,d, and %,d fixed where the"
                + " complete accounting needs %,d.", forward.note().substring(forward.note().indexOf("it leaves")),
                ((Number) forward.complete()).doubleValue(), forward.ratio(), ((Number) forward.seed()).doubleValue(),
                forward.ratio(), embedding, 16L * embedding, seedPoly.perBatchElementBytes(),
                completePoly.perBatchElementBytes(), seedPoly.fixedBytes(), completePoly.fixedBytes());
    }

    private static String met(CalibrationTable.Entry error, double target) {
        double value = number(error);
        return Double.isNaN(value) ? "no step held out" : value <= target ? "met" : "not met";
    }
}
