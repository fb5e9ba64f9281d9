package flopcast.measure.results;

import flopcast.analytic.Accounting;
import flopcast.analytic.Diff;
import flopcast.analytic.DiffTerm;
import flopcast.analytic.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code report.md} and the rows of {@code calibration.csv}, from one calibration. */
public final class CalibrationReport {
    /** The held-out target: worst step error within 10% on this host. */
    public static final double TARGET_ERROR = 0.10;
    /** The held-out target for the median step error. */
    public static final double TARGET_MEDIAN_ERROR = 0.05;

    private CalibrationReport() {
    }

    public static List<List<Object>> csvRows(CalibrationResult result) {
        List<List<Object>> rows = new ArrayList<>();
        String host = result.hostCpu();
        String target = target(result);
        for (Calibration calibration : result.calibrations()) {
            String label = calibration.label();
            for (EfficiencyFit fit : calibration.fits().values()) {
                String item = label + " " + fit.opClass().label();
                rows.add(row("fit", item, "points", fit.points(), "1", "", host, target));
                rows.add(row("fit", item, "intercept", fit.intercept(), "1", "efficiency at size 1", host, target));
                rows.add(row("fit", item, "slope", fit.slope(), "1", "per unit of ln(" + fit.opClass().sizeMeaning()
                        + ")", host, target));
                rows.add(row("fit", item, "size_min", fit.sizeMin(), fit.opClass().sizeMeaning(), "", host, target));
                rows.add(row("fit", item, "size_max", fit.sizeMax(), fit.opClass().sizeMeaning(), "", host, target));
                rows.add(row("fit", item, "efficiency_min", fit.efficiencyMin(), "1", "", host, target));
                rows.add(row("fit", item, "efficiency_max", fit.efficiencyMax(), "1", "", host, target));
            }
            rows.add(row("fit", label + " peak", "flops_per_second", calibration.peakFlopsPerSecond(), "FLOP/s",
                    "Vector API FMA probe, " + calibration.threads() + " thread(s)", host, target));
            rows.add(row("fit", label + " bandwidth", "bytes_per_second", calibration.bandwidthBytesPerSecond(), "B/s",
                    "triad probe, " + calibration.threads() + " thread(s)", host, target));
        }
        for (HeldOut.StepCheck check : result.checks()) {
            String item = check.label() + " " + shapeLabel(check.shape());
            rows.add(row("held_out", item, "measured_seconds", check.measuredSeconds(), "s", "JMH", host, target));
            rows.add(row("held_out", item, "predicted_seconds", check.predictedSeconds(), "s",
                    "fitted on every component row of its backend and thread count", host, target));
            rows.add(row("held_out", item, "error", check.error(), "1", "predicted / measured - 1", host, target));
            if (!Double.isNaN(check.leaveOutSeconds())) {
                rows.add(row("held_out", item, "leave_shape_out_seconds", check.leaveOutSeconds(), "s",
                        "fitted on the other shapes' component rows only", host, target));
                rows.add(row("held_out", item, "leave_shape_out_error", check.leaveOutError(), "1",
                        "the held-out error", host, target));
            }
            rows.add(row("host_mfu", item, "mfu", check.hostMfu(), "1",
                    "model FLOPs / (measured step time x measured peak at its thread count)", host, target));
        }
        for (HeldOut.BackendStep step : HeldOut.byBackend(result.measurements())) {
            if (!Double.isNaN(step.mfu())) {
                rows.add(row("host_mfu", step.backend() + " " + step.threads() + " thread(s) " + shapeLabel(step.shape()),
                        "mfu", step.mfu(), "1", "every measured step, against the peak at its thread count", host,
                        target));
            }
        }
        for (String backend : HeldOut.backends(result.checks())) {
            List<HeldOut.StepCheck> checks = HeldOut.of(result.checks(), backend);
            rows.add(row("held_out", backend + " steps", "worst_error", HeldOut.worst(checks), "1",
                    "largest |held-out error|; target " + percent(TARGET_ERROR), host, target));
            rows.add(row("held_out", backend + " steps", "median_error", HeldOut.median(checks), "1",
                    "median |held-out error|; target " + percent(TARGET_MEDIAN_ERROR), host, target));
        }
        for (Measurement m : result.measurements()) {
            if (m.predictedHeapBytes() != null && m.measuredHeapBytes() != null) {
                String item = m.component() + (m.shape() != null ? " " + shapeLabel(m.shape()) : " " + m.parameters());
                rows.add(row("heap", item, "predicted_bytes", m.predictedHeapBytes(), "B", "", host, target));
                rows.add(row("heap", item, "measured_bytes", m.measuredHeapBytes(), "B", "GC.class_histogram", host,
                        target));
            }
        }
        for (Extrapolation.Row row : result.extrapolation().rows()) {
            rows.add(row("extrapolation", row.label(), "days", row.days(), "days", row.source(), host, target));
            rows.add(row("extrapolation", row.label(), "mfu", row.mfu(), "1", row.precision().cliName() + " peak", host,
                    target));
        }
        for (Extrapolation.Row row : result.extrapolation().sensitivity()) {
            rows.add(row("sensitivity", row.label(), "days", row.days(), "days", row.precision().cliName() + " peak",
                    host, target));
        }
        Extrapolation.MemoryPlan plan = result.extrapolation().memoryPlan();
        rows.add(row("memory", "largest micro-batch", "sequences", plan.microBatch(), "sequences",
                "complete accounting on the device's memory", host, target));
        rows.add(row("memory", "gradient accumulation", "steps", plan.accumulationSteps(), "micro-batches",
                "0: nothing fits", host, target));
        rows.add(row("memory", "shortfall", "bytes", plan.shortfallBytes(), "B", "0 when a micro-batch fits", host,
                target));
        return rows;
    }

    private static List<Object> row(String section, String item, String quantity, Object value, String unit,
            String note, String host, String target) {
        return Arrays.asList(section, item, quantity, value, unit, note, host, target);
    }

    public static String markdown(CalibrationResult result, Map<String, String> charts) {
        Calibration primary = result.calibration();
        StringBuilder md = new StringBuilder();
        md.append("# flopcast calibration report\n\n");
        md.append(String.format(Locale.ROOT, "Host: **%s**. %d measurement rows, %d of them marked invalid (left out;"
                + " see `valid` and `status` in measurements.csv).%n%n", result.hostCpu(), result.measurements().size(),
                result.measurements().stream().filter(m -> !m.valid()).count()));
        md.append("For the person deciding how long to book an A100: the table under *Extrapolation* gives the run's"
                + " length under each assumption, one per row, with its source. The fits come from the vector"
                + " backend (the Vector API GEMM and loops, which reach half this CPU's peak or more), so the"
                + " host-calibrated row built on it transfers the shape of efficiency against arithmetic intensity"
                + " (and of memory-bound ops against bytes per op) from real hardware; it does not transfer the"
                + " device's own kernels, whose efficiencies are the GPU's. The reference backend's fit (EJML, one"
                + " thread, a few percent of the peak) is beside it and describes EJML, not the hardware.\n\n");

        md.append("## What was measured, and the fits\n\n");
        md.append("One fit per backend and thread count, each from that backend's valid component rows at that"
                + " thread count only (steps are never inputs), each against the probes at its own thread count:"
                + " matmuls as achieved FLOP/s over the measured peak, against arithmetic intensity (FLOPs per byte"
                + " of minimum traffic); memory-bound kernels as achieved bytes/s over the measured bandwidth, against"
                + " bytes per op (which decides whether the op runs from cache). Each class: e = a + b ln(size),"
                + " held within the efficiencies measured. Matmul forward and backward are apart because the"
                + " backward pass's transposed products run other code.\n\n");
        for (Calibration calibration : result.calibrations()) {
            md.append(String.format(Locale.ROOT, "### %s%s%n%nPeak %.1f GFLOP/s (FMA probe), bandwidth %.1f GB/s"
                    + " (triad), both at %d thread(s).%n%n", calibration.label(), calibration == primary
                    ? " (the extrapolation's)" : "", calibration.peakFlopsPerSecond() / 1e9,
                    calibration.bandwidthBytesPerSecond() / 1e9, calibration.threads()));
            md.append("| op class | points | size | sizes measured | efficiency measured | a | b |\n"
                    + "|---|---|---|---|---|---|---|\n");
            for (EfficiencyFit fit : calibration.fits().values()) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %s | %.3g to %.3g | %s to %s | %.4g | %.4g |%n",
                        fit.opClass().label(), fit.points(), fit.opClass().sizeMeaning(), fit.sizeMin(), fit.sizeMax(),
                        percent(fit.efficiencyMin()), percent(fit.efficiencyMax()), fit.intercept(), fit.slope()));
            }
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
        md.append("| backend | step | measured | predicted | error | held out | error | host MFU |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        for (HeldOut.StepCheck check : result.checks()) {
            boolean held = !Double.isNaN(check.leaveOutSeconds());
            md.append(String.format(Locale.ROOT, "| %s | %s | %.4f s | %.4f s | %s | %s | %s | %s |%n", check.label(),
                    shapeLabel(check.shape()), check.measuredSeconds(), check.predictedSeconds(),
                    signedPercent(check.error()), held ? String.format(Locale.ROOT, "%.4f s", check.leaveOutSeconds())
                            : "n/a (one shape)", held ? signedPercent(check.leaveOutError()) : "n/a",
                    percent(check.hostMfu())));
        }
        md.append('\n');
        for (String backend : HeldOut.backends(result.checks())) {
            List<HeldOut.StepCheck> checks = HeldOut.of(result.checks(), backend);
            double worst = HeldOut.worst(checks);
            double median = HeldOut.median(checks);
            md.append(String.format(Locale.ROOT, "- %s: %d steps; worst held-out error **%s** (target %s: %s),"
                    + " median **%s** (target %s: %s).%n", backend, checks.size(), percent(worst),
                    percent(TARGET_ERROR), met(worst, TARGET_ERROR), percent(median), percent(TARGET_MEDIAN_ERROR),
                    met(median, TARGET_MEDIAN_ERROR)));
        }
        md.append("\nHost MFU = model FLOPs (forward and backward matmuls) / (measured step time x measured peak at"
                + " the step's thread count).\n\n");
        md.append("## MFU of every measured step, by backend\n\nEvery valid measured step, each against the measured"
                + " peak at its own thread count.\n\n"
                + "| backend | threads | step | seconds | model GFLOP/s | MFU |\n|---|---|---|---|---|---|\n");
        for (HeldOut.BackendStep step : HeldOut.byBackend(result.measurements())) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %s | %.4f | %.1f | %s |%n", step.backend(), step.threads(),
                    shapeLabel(step.shape()), step.seconds(), step.modelFlops() / step.seconds() / 1e9,
                    Double.isNaN(step.mfu()) ? "(no probe at this thread count)" : percent(step.mfu())));
        }
        md.append('\n');

        md.append("## Heap: predicted and measured\n\n| what | predicted bytes | measured live bytes | ratio |\n|---|---|---|---|\n");
        for (Measurement m : result.measurements()) {
            if (m.predictedHeapBytes() != null && m.measuredHeapBytes() != null) {
                md.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %.4f |%n", m.component()
                        + (m.shape() != null ? " " + shapeLabel(m.shape()) : " " + m.parameters() + " parameters"),
                        m.predictedHeapBytes(), m.measuredHeapBytes(),
                        (double) m.measuredHeapBytes() / m.predictedHeapBytes()));
            }
        }
        Extrapolation extrapolation = result.extrapolation();
        md.append("\n## Extrapolation: ").append(target(result)).append("\n\n");
        md.append("| assumption | peak | MFU | days | source |\n|---|---|---|---|---|\n");
        for (Extrapolation.Row row : extrapolation.rows()) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %,.2f | %s |%n", row.label(),
                    row.precision().cliName(), percent(row.mfu()), row.days(), row.source()));
        }
        md.append("\nThe two step-time rows split the target batch into accumulation steps of the largest micro-batch"
                + " that fits (below) and run AdamW once per step; memory-bound ops run at most at the device's"
                + " bandwidth (the host measured some above its triad bandwidth, from cache).\n");
        md.append("\nSensitivity, complete accounting on the ").append(extrapolation.precision().cliName())
                .append(" peak:\n\n| MFU | days |\n|---|---|\n");
        for (Extrapolation.Row row : extrapolation.sensitivity()) {
            md.append(String.format(Locale.ROOT, "| %s | %,.2f |%n", percent(row.mfu()), row.days()));
        }
        Extrapolation.MemoryPlan plan = extrapolation.memoryPlan();
        md.append("\nMemory (complete accounting, float32, ").append(String.format(Locale.ROOT, "%,d",
                plan.capacityBytes())).append(" bytes): ");
        if (plan.microBatch() > 0) {
            md.append(String.format(Locale.ROOT, "the largest micro-batch that fits is **%d** sequences, so batch %d"
                    + " needs **%d** gradient-accumulation steps.%n%n", plan.microBatch(),
                    extrapolation.target().batchSize(), plan.accumulationSteps()));
        } else {
            md.append(String.format(Locale.ROOT, "nothing fits: **%,d bytes** short.%n%n", plan.shortfallBytes()));
        }
        md.append("## The seed's errors\n\n").append(seedErrors(extrapolation)).append("\n\n");
        if (!charts.isEmpty()) {
            md.append("## Charts\n\n");
            charts.forEach((file, title) -> md.append("- [").append(title).append("](").append(file).append(")\n"));
        }
        return md.toString();
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

    static String target(CalibrationResult result) {
        Extrapolation e = result.extrapolation();
        Shape s = e.target();
        return String.format(Locale.ROOT, "V=%d T=%d L=%d d=%d h=%d d_ff=%d, batch %d, %,d steps, %s, %s",
                s.vocabSize(), s.contextLength(), s.layers(), s.dModel(), s.heads(), s.dFf(), s.batchSize(), e.steps(),
                e.device().cliName(), e.precision().cliName());
    }

    /** The one label of a shape in calibration's tables, charts and CSV. */
    public static String shapeLabel(Shape shape) {
        return "V=" + shape.vocabSize() + " T=" + shape.contextLength() + " L=" + shape.layers() + " d="
                + shape.dModel() + " h=" + shape.heads() + " d_ff=" + shape.dFf() + " B=" + shape.batchSize();
    }

    private static String met(double error, double target) {
        return Double.isNaN(error) ? "no step held out" : error <= target ? "met" : "not met";
    }

    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }

    static String signedPercent(double fraction) {
        return String.format(Locale.ROOT, "%+.1f%%", 100 * fraction);
    }
}
