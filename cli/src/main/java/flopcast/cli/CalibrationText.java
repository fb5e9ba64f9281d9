package flopcast.cli;

import flopcast.calibration.fit.TorchCalibration;
import flopcast.calibration.report.CalibrationPart.Assumption;
import flopcast.calibration.report.ProbeParts.ClassFit;
import flopcast.calibration.report.JvmParts.HeldOutSummary;
import flopcast.calibration.report.JvmParts.HostFit;
import flopcast.calibration.report.JvmParts.JvmRows;
import flopcast.calibration.report.JvmParts.Memory;
import flopcast.calibration.report.ProbeParts.ProbeRows;
import flopcast.calibration.report.CalibrationSchema;
import flopcast.calibration.report.CalibrationTable;
import flopcast.calibration.report.CalibrationTable.Entry;
import flopcast.calibration.report.Quantity;
import flopcast.calibration.report.Unit;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code calibrate}'s table, from a {@code CalibrationTable} alone, the JVM's or the probe's: what
 * was read; the JVM's fits (their probes) and held-out steps, or the probe's shape classes; the
 * extrapolation; the memory plan where there is one; what was written. Pinned by
 * {@code CalibrateCommandTest}.
 */
final class CalibrationText {

    private CalibrationText() {
    }

    /** {@code charts}: the chart files written beside the report, in order (none for the probe's rows). */
    static String render(CalibrationTable table, Path directory, Collection<String> charts) {
        Optional<ProbeRows> probe = table.probe();
        StringBuilder text = new StringBuilder();
        if (probe.isPresent()) {
            text.append(String.format(Locale.ROOT, "flopcast calibrate: %s (%s), %d probe step rows%n",
                    probe.get().device(), probe.get().backend(), probe.get().read()));
            text.append(classes(table)).append('\n');
        } else {
            JvmRows rows = table.one(JvmRows.class).orElseThrow();
            text.append(String.format(Locale.ROOT, "flopcast calibrate: %s; %s rows, %s marked invalid (left out)%n",
                    table.hostCpu(), rows.rows().text(), rows.markedInvalid().text()));
            for (HostFit fit : table.all(HostFit.class)) {
                text.append(String.format(Locale.ROOT, "fit %-18s peak %s, bandwidth %s (measured)%s%n", fit.label(),
                        fit.peak().text(), fit.bandwidth().text(), fit.primary() ? "; the extrapolation's" : ""));
            }
            table.unfitted().forEach(reason -> text.append("not fitted: ").append(reason).append('\n'));
            text.append('\n').append(heldOut(table)).append('\n');
        }
        text.append("extrapolation: ").append(table.target()).append('\n');
        // the JVM's table names each row's peak (fp32 or bf16); the probe's has never had that column
        TextTable days = probe.isPresent() ? new TextTable("assumption", ">MFU", ">days", "source")
                : new TextTable("assumption", "peak", ">MFU", ">days", "source");
        for (Assumption row : table.all(Assumption.class)) {
            String mfu = row.mfu().map(Entry::text).orElse("-");
            if (probe.isPresent()) {
                days.row(row.item(), mfu, row.days().text(), row.days().note());
            } else {
                days.row(row.item(), row.mfu().map(Entry::note).orElse("-"), mfu, row.days().text(), row.days().note());
            }
        }
        text.append(days.render());
        table.one(Memory.class).ifPresent(memory -> text.append(memory.fits()
                ? String.format(Locale.ROOT, "memory: micro-batch %s fits, %s accumulation steps for batch %s%n",
                        memory.microBatch().text(), memory.accumulation().text(), memory.target().text())
                : String.format(Locale.ROOT, "memory: nothing fits, %s bytes short%n", memory.shortfall().text())));
        text.append("written: ").append(directory.resolve("report.md")).append(", ")
                .append(directory.resolve(CalibrationSchema.FILE_NAME));
        charts.forEach(chart -> text.append(", ").append(chart));
        text.append(charts.isEmpty() ? " (no charts: they plot the JVM's component fits)\n" : "\n");
        return text.toString();
    }

    /** The probe's shape classes at their largest batch. */
    private static String classes(CalibrationTable table) {
        TextTable classes = new TextTable("shape class", ">largest B", ">step", ">model FLOP/s", ">MFU");
        for (ClassFit fit : table.all(ClassFit.class)) {
            TorchCalibration.ShapeClass c = fit.shapeClass();
            classes.row(c.label(), String.valueOf(c.batchSize()), Unit.SECONDS.text(c.seconds()),
                    String.format(Locale.ROOT, "%.2f GFLOP/s", c.flopsPerSecond() / 1e9),
                    fit.mfu().map(Entry::text).orElse("no catalog peak"));
        }
        return classes.render();
    }

    /** The JVM's held-out steps, then each backend's worst and median error against its target. */
    private static String heldOut(CalibrationTable table) {
        TextTable steps = new TextTable("held-out step", ">measured", ">predicted", ">error", ">held out", ">error",
                ">host MFU");
        table.grid(Quantity.MEASURED_SECONDS, List.of(Quantity.MEASURED_SECONDS, Quantity.PREDICTED_SECONDS,
                Quantity.ERROR, Quantity.LEAVE_SHAPE_OUT_SECONDS, Quantity.LEAVE_SHAPE_OUT_ERROR, Quantity.HOST_MFU))
                .forEach(row -> steps.row(row.toArray(String[]::new)));
        StringBuilder text = new StringBuilder(steps.render());
        for (HeldOutSummary summary : table.all(HeldOutSummary.class)) {
            if (Double.isNaN(summary.worst().number())) {
                text.append(String.format(Locale.ROOT, "%s: no step decided (%s steps, %s undecided: their rows noisy,"
                        + " or their noise floors above the %s worst target)%n", summary.item(), summary.steps().text(),
                        summary.undecided().text(), Unit.ONE.text(summary.worstTarget())));
                continue;
            }
            text.append(String.format(Locale.ROOT, "%s: worst held-out error %s (target %s), median %s (target %s),"
                    + " %s steps, %s undecided%n", summary.item(), summary.worst().text(),
                    Unit.ONE.text(summary.worstTarget()), summary.median().text(),
                    Unit.ONE.text(summary.medianTarget()), summary.steps().text(), summary.undecided().text()));
        }
        return text.toString();
    }
}
