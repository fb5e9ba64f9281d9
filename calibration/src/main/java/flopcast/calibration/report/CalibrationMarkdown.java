package flopcast.calibration.report;

import flopcast.analytic.Accounting;
import flopcast.analytic.Diff;
import flopcast.analytic.DiffTerm;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Shape;
import flopcast.calibration.fit.ProfileCheck;
import flopcast.calibration.fit.Extrapolation;
import flopcast.calibration.report.CalibrationPart.Assumption;
import flopcast.calibration.report.JvmParts.HeldOutSummary;
import flopcast.calibration.report.JvmParts.ProfiledStep;
import flopcast.calibration.report.JvmParts.SettingStep;
import flopcast.calibration.report.JvmParts.HostFit;
import flopcast.calibration.report.JvmParts.JvmRows;
import flopcast.calibration.report.JvmParts.Memory;
import flopcast.calibration.report.JvmParts.OpFit;
import flopcast.calibration.report.ProbeParts.ProbeRows;
import flopcast.calibration.report.CalibrationTable.Entry;
import java.util.List;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.md}, from a {@link CalibrationTable} alone, the JVM's or the probe's. The JVM's
 * report puts prose around each section's numbers, which it lays out as markdown tables; the
 * probe's (which has no fits, held-out steps or heap to explain) is its device and target and then
 * every entry in one table. Pinned by {@code CalibrationTableTest} (every entry in both kinds of
 * report) and {@code CalibrateCommandTest}.
 */
public final class CalibrationMarkdown {

    private CalibrationMarkdown() {
    }

    /** The report; {@code charts} maps each chart file written to its title (none for the probe's rows). */
    public static String render(CalibrationTable table, Map<String, String> charts) {
        return table.probe().map(probe -> probeReport(table, probe)).orElseGet(() -> jvmReport(table, charts));
    }

    /**
     * The report of a refused run: which measurements, which run, why; no table, so no figure of an
     * earlier run stays beside measurements it does not describe.
     */
    public static String refused(String measurements, String runId, String reason) {
        return "# flopcast calibration report\n\n**No calibration.** `" + measurements + "`"
                + (runId.isEmpty() ? "" : " (run " + runId + ")") + " was refused: " + reason + "\n\n"
                + "The calibration.csv, report and charts of any earlier run were removed from this directory; the"
                + " rows' `valid` and `status` columns in the measurements say what is wrong.\n";
    }

    /**
     * The in-situ profiles: one line per profiled step (the classes the model has terms for, measured
     * and predicted, the classes it has none for, the remainder), then every class of the smallest and
     * the largest profiled step of each backend and thread count.
     */
    private static void profiles(StringBuilder md, List<ProfiledStep> steps) {
        if (steps.isEmpty()) {
            return;
        }
        md.append("\n## Where each step's time goes: the in-situ profile\n\nEach measured step trained again with"
                + " every op timed inside the step (`train --profile`: the second half of its steps, per step). The"
                + " classes the step-time model has a term for, measured and as the model predicts them (the token"
                + " embedding, residual adds, head copies and gradient zeroing at the bandwidth probe's rate at"
                + " their bytes per call, the residual adds, head copies and gradient zeroing at their own rows'"
                + " fitted efficiencies too, as the bf16 conversions); the classes it has no term for (the attention split's thread hand-off, and bf16"
                + " conversions without conversion rows or outside the conversion table); and the remainder no class"
                + " timed.\n\n");
        md.append("| step | profiled step | modelled classes | model predicts | no term | remainder |\n"
                + "|---|---|---|---|---|---|\n");
        for (ProfiledStep step : steps) {
            ProfileCheck check = step.check();
            md.append(String.format(Locale.ROOT, "| %s | %s | %s (%s) | %s | %s (%s) | %s (%s) |%n", step.item(),
                    step.step().text(), step.modelled().text(), share(check.modelledMeasuredSeconds(), check),
                    step.predicted().text(), step.unmodelled().text(), share(check.unmodelledSeconds(), check),
                    step.remainder().text(), share(check.remainderSeconds(), check)));
        }
        Map<String, List<ProfiledStep>> byLabel = new LinkedHashMap<>();
        steps.forEach(step -> byLabel.computeIfAbsent(step.check().label(), k -> new ArrayList<>()).add(step));
        for (List<ProfiledStep> label : byLabel.values()) {
            List<ProfiledStep> ordered = label.stream().sorted(java.util.Comparator.comparingDouble(
                    (ProfiledStep p) -> p.check().stepSeconds())).toList();
            for (ProfiledStep step : ordered.size() > 1 ? List.of(ordered.get(0), ordered.get(ordered.size() - 1))
                    : ordered) {
                md.append("\n").append(step.item()).append(", every class:\n\n")
                        .append("| class | pass | measured ms | share | model ms |\n|---|---|---|---|---|\n");
                for (ProfileCheck.ClassTime op : step.check().classes()) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %s | %s |%n", op.opClass(), op.pass(),
                            1e3 * op.measured(), share(op.measured(), step.check()), op.modelled()
                                    ? String.format(Locale.ROOT, "%.3f", 1e3 * op.predicted()) : "no term"));
                }
                md.append(String.format(Locale.ROOT, "| remainder | - | %.3f | %s | - |%n",
                        1e3 * step.check().remainderSeconds(), share(step.check().remainderSeconds(), step.check())));
            }
        }
        md.append('\n');
    }

    private static String share(double seconds, ProfileCheck check) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * seconds / check.stepSeconds());
    }

    private static String probeReport(CalibrationTable table, ProbeRows probe) {
        StringBuilder text = new StringBuilder();
        text.append("# Calibration from the PyTorch probe\n\n").append("Device: ").append(probe.device())
                .append(" (").append(probe.backend()).append("). Target: ").append(table.target()).append(".\n\n")
                .append("| section | item | quantity | value | note |\n|---|---|---|---|---|\n");
        for (Entry e : table.entries()) {
            text.append("| ").append(e.section().csvName()).append(" | ").append(e.item()).append(" | ")
                    .append(e.quantity().csvName()).append(" | ").append(e.text()).append(" | ").append(e.note())
                    .append(" |\n");
        }
        return text.toString();
    }

    private static String jvmReport(CalibrationTable table, Map<String, String> charts) {
        JvmRows rows = table.one(JvmRows.class).orElseThrow();
        List<HostFit> fits = table.all(HostFit.class);
        String primary = fits.stream().filter(HostFit::primary).findFirst().orElseThrow().label();
        StringBuilder md = new StringBuilder();
        md.append("# flopcast calibration report\n\n");
        md.append(String.format(Locale.ROOT, "Host: **%s**. %s measurement rows, %s of them marked invalid (left out of"
                + " the fits, but a step marked noisy alone is shown, undecided; see `valid` and `status` in"
                + " measurements.csv).%n%n", table.hostCpu(), rows.rows().text(),
                rows.markedInvalid().text()));
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
                + " of minimum traffic); memory-bound kernels as achieved bytes/s over the bandwidth probe (an update in"
                + " place, counting every byte it moves) at the op's own footprint (a cache level's where its data"
                + " fits one; AdamW's is 16 bytes per parameter, where it moves 28), against bytes per op. Each class: e = a + b ln(size),"
                + " held within the efficiencies measured. Matmul forward and backward are apart because the"
                + " backward pass's transposed products run other code.\n\n");
        for (HostFit fit : fits) {
            md.append(String.format(Locale.ROOT, "### %s%s%n%nPeak %s (FMA probe), bandwidth %s (%s), both at %d"
                    + " thread(s).%n%n", fit.label(), fit.primary() ? " (the extrapolation's)" : "", fit.peak().text(),
                    fit.bandwidth().text(), fit.calibration().bandwidth().source(), fit.threads()));
            md.append("| op class | points | size | sizes measured | efficiency measured | a | b |\n"
                    + "|---|---|---|---|---|---|---|\n");
            for (OpFit op : fit.ops()) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.3g to %.3g | %s to %s | %.4g | %.4g |%n",
                        op.fit().opClass().label(), op.points().text(), op.sizeUnit().symbol(), op.sizeMin().number(),
                        op.sizeMax().number(), op.efficiencyMin().text(), op.efficiencyMax().text(),
                        op.intercept().number(), op.slope().number()));
            }
            md.append('\n');
            if (!fit.calibration().fromNoisyRows().isEmpty()) {
                md.append("Fitted from noisy rows, no row of theirs being valid: ").append(String.join(", ",
                        fit.calibration().fromNoisyRows().entrySet().stream().map(e -> String.format(Locale.ROOT,
                                "%s (spread up to %.1f%%)", e.getKey().label(), 100 * e.getValue())).toList()))
                        .append(". The largest of those spreads joins the noise floor of every step under this fit that those"
                                + " classes time (the bf16 conversions' only a bf16 step's).\n\n");
            }
        }
        for (String reason : table.unfitted()) {
            md.append("Not fitted: ").append(reason).append("\n\n");
        }
        md.append("## Held-out check: measured steps\n\n");
        md.append("Step time = sum over every component instance of matmul FLOPs / (peak x efficiency) and"
                + " memory-bound bytes / (bandwidth x efficiency), plus AdamW's bytes / (bandwidth x efficiency), plus"
                + " the work outside the components (embedding, residual adds, head copies, gradient zeroing) at the"
                + " probe's bandwidth at its bytes, with the fit of the step's own backend and thread count. Each"
                + " measured step is predicted from all that fit's component rows, and again from the other shapes'"
                + " component rows only: the held-out prediction (for a shape with no component rows of its own, the"
                + " two are the same).\n\n");
        markdownTable(md, List.of("step", "measured", "predicted", "error", "held out", "error", "noise floor",
                "host MFU"), table.grid(Quantity.MEASURED_SECONDS, List.of(Quantity.MEASURED_SECONDS,
                        Quantity.PREDICTED_SECONDS, Quantity.ERROR, Quantity.LEAVE_SHAPE_OUT_SECONDS,
                        Quantity.LEAVE_SHAPE_OUT_ERROR, Quantity.NOISE_FLOOR, Quantity.HOST_MFU)));
        md.append("Noise floor: the step's spread ((lower quartile - fastest) / lower quartile of its samples) and"
                + " the median spread of its fit's component rows (and, where a class had only noisy rows, the largest"
                + " spread it was fitted from), in quadrature: an error below it is the host's, not the model's. A"
                + " step whose floor is above the worst target at its thread count (or unknown), or whose own row is"
                + " marked noisy, is undecided: shown, and judged by no target.\n\n");
        for (HeldOutSummary summary : table.all(HeldOutSummary.class)) {
            if (Double.isNaN(summary.worst().number())) {
                md.append(String.format(Locale.ROOT, "- %s: %s, %s undecided; no step decided, so no target is"
                        + " judged (worst %s, median %s).%n", summary.item(), summary.steps().text(),
                        summary.undecided().text(), Unit.ONE.text(summary.worstTarget()),
                        Unit.ONE.text(summary.medianTarget())));
                continue;
            }
            md.append(String.format(Locale.ROOT, "- %s: %s, %s undecided; worst held-out error **%s** (target %s: %s),"
                    + " median **%s** (target %s: %s).%n", summary.item(), summary.steps().text(),
                    summary.undecided().text(), summary.worst().text(), Unit.ONE.text(summary.worstTarget()),
                    met(summary.worst(), summary.worstTarget()), summary.median().text(),
                    Unit.ONE.text(summary.medianTarget()), met(summary.median(), summary.medianTarget())));
        }
        List<SettingStep> settings = table.all(SettingStep.class);
        if (!settings.isEmpty()) {
            md.append("\n### What each setting costs in time\n\nEach step at a setting beside the same step at the"
                    + " defaults (fp32, eager attention, no recomputation): how much slower, measured, and as the"
                    + " held-out model predicts it from the default-settings component rows (what the setting runs"
                    + " again, its kernels' elementwise work, and a bf16 policy's conversions at their rows' efficiencies).\n\n");
            md.append("| step | setting | measured | predicted |\n|---|---|---|---|\n");
            for (SettingStep step : settings) {
                // no held-out prediction where one shape alone was measured (the quick run)
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", step.item(), step.cost().describe(),
                        step.measured().text(), Double.isNaN(step.cost().predictedRatio()) ? "n/a"
                                : step.predicted().text()));
            }
        }
        profiles(md, table.all(ProfiledStep.class));
        md.append("\nHost MFU = model FLOPs (forward and backward matmuls) / (measured step time x measured peak at"
                + " the step's thread count).\n\n");
        md.append("## MFU of every measured step, by backend\n\nEvery measured step timed right (valid, or marked noisy alone), each against the measured"
                + " peak at its own thread count (n/a: no probe at that thread count).\n\n");
        markdownTable(md, List.of("step", "seconds", "model FLOP/s", "MFU"), table.grid(Quantity.HOST_SECONDS,
                List.of(Quantity.HOST_SECONDS, Quantity.HOST_FLOPS_PER_SECOND, Quantity.HOST_MFU)));
        md.append("## Heap: predicted and measured\n\n");
        markdownTable(md, List.of("what", "predicted bytes", "measured live bytes", "ratio"), table.grid(
                Quantity.PREDICTED_BYTES, List.of(Quantity.PREDICTED_BYTES, Quantity.MEASURED_BYTES, Quantity.HEAP_RATIO)));
        md.append("## Extrapolation: ").append(table.target()).append("\n\n");
        md.append("| assumption | peak | MFU | days | source |\n|---|---|---|---|---|\n");
        for (Assumption row : table.all(Assumption.class)) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", row.item(),
                    row.mfu().map(Entry::note).orElse("-"), row.mfu().map(Entry::text).orElse("-"), row.days().text(),
                    row.days().note()));
        }
        md.append("\nThe two step-time rows split the target batch into equal accumulation steps of the largest"
                + " micro-batch that fits and divides it (below, as predict plans it) and run AdamW once per step; memory-bound ops run at most at the device's"
                + " bandwidth (the host measured some above its memory bandwidth, from cache).\n");
        md.append("\nSensitivity, complete accounting on the ").append(table.extrapolation().precision().cliName())
                .append(" peak:\n\n");
        markdownTable(md, List.of("MFU", "days"), table.grid(Quantity.SENSITIVITY_DAYS,
                List.of(Quantity.SENSITIVITY_DAYS)));
        Memory memory = table.one(Memory.class).orElseThrow();
        md.append("Memory (complete accounting, float32, ").append(memory.capacity().text()).append(" bytes): ");
        if (memory.fits()) {
            md.append(String.format(Locale.ROOT, "the largest micro-batch that fits and divides the batch is **%s**"
                    + " sequences, so batch %s needs **%s** gradient-accumulation steps.%n%n", memory.microBatch().text(),
                    memory.target().text(), memory.accumulation().text()));
        } else {
            md.append(String.format(Locale.ROOT, "nothing fits: **%s bytes** short.%n%n", memory.shortfall().text()));
        }
        md.append("## The seed's errors\n\n").append(seedErrors(table.extrapolation())).append("\n\n");
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
                forward.ratio(), embedding, Math.multiplyExact(PrecisionPolicy.FP32.bytesPerParameter(), embedding), seedPoly.perBatchElementBytes(),
                completePoly.perBatchElementBytes(), seedPoly.fixedBytes(), completePoly.fixedBytes());
    }

    private static String met(Entry error, double target) {
        double value = error.number();
        return Double.isNaN(value) ? "no step held out" : value <= target ? "met" : "not met";
    }
}
