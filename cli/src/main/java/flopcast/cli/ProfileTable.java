package flopcast.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.run.StepProfile;
import java.util.Locale;

/**
 * {@code train --profile}: where the step's time goes, as a framework profiler's op table: one row
 * per op class and pass, the slowest first, its calls, milliseconds and share of the step, and its
 * rate (GFLOP/s for a matmul class, MinimumTraffic's float32 lower bound in GB/s for a memory-bound
 * one), then the classes' sum, the remainder no class timed and the step. Checked by {@code TrainCommandTest}.
 */
final class ProfileTable {

    private ProfileTable() {
    }

    static String render(StepProfile profile, MatmulBackend backend) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "profile: mean per step of steps %d..%d, %s on %d %s, timed on the"
                + " calling thread%n", profile.firstStep(), profile.firstStep() + profile.steps() - 1, backend.name(),
                backend.threads(),
                backend.threads() == 1 ? "thread" : "threads"));
        TextTable table = new TextTable("op class", "pass", ">calls", ">ms", ">share", ">GFLOP/s", ">GB/s min");
        long calls = 0;
        for (StepProfile.Row row : profile.rows()) {
            calls += row.calls();
            table.row(row.op().jsonName(), passName(row.pass()), NumberText.grouped(row.calls()),
                    millis(row.seconds()), share(profile, row.seconds()),
                    row.flopsPerSecond().map(ProfileTable::giga).orElse(""),
                    row.bytesPerSecond().map(ProfileTable::giga).orElse(""));
        }
        table.row("timed, all classes", "", NumberText.grouped(calls), millis(profile.timedSeconds()),
                share(profile, profile.timedSeconds()), "", "");
        table.row("remainder, no class", "", "", millis(profile.remainderSeconds()),
                share(profile, profile.remainderSeconds()), "", "");
        table.row("step", "", "", millis(profile.stepSeconds()), share(profile, profile.stepSeconds()), "", "");
        return text.append(table.render()).toString();
    }

    static ObjectNode json(StepProfile profile) {
        ObjectNode node = Json.object();
        node.put("first_step", profile.firstStep());
        node.put("steps", profile.steps());
        node.put("statistic", "mean per step over the profiled steps (total / steps)");
        node.put("step_seconds", profile.stepSeconds());
        node.put("timed_seconds", profile.timedSeconds());
        node.put("remainder_seconds", profile.remainderSeconds());
        node.put("remainder_share", profile.share(profile.remainderSeconds()));
        ArrayNode ops = node.putArray("ops");
        for (StepProfile.Row row : profile.rows()) {
            ObjectNode op = ops.addObject();
            op.put("name", row.op().jsonName() + "." + passName(row.pass()));
            op.put("op", row.op().jsonName());
            op.put("pass", passName(row.pass()));
            op.put("calls_per_step", row.calls());
            op.put("seconds_per_step", row.seconds());
            op.put("share", profile.share(row.seconds()));
            op.put("flops_per_step", row.flops());
            row.flopsPerSecond().ifPresent(rate -> op.put("flops_per_second", rate));
            row.minimumBytes().ifPresent(bytes -> op.put("minimum_bytes_per_step", bytes));
            row.bytesPerSecond().ifPresent(rate -> op.put("minimum_bytes_per_second", rate));
        }
        return node;
    }

    private static String passName(FlopCounter.Pass pass) {
        return pass.name().toLowerCase(Locale.ROOT);
    }

    private static String millis(double seconds) {
        return String.format(Locale.ROOT, "%.3f", seconds * 1e3);
    }

    private static String share(StepProfile profile, double seconds) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * profile.share(seconds));
    }

    /** A rate per second in units of 1e9. */
    private static String giga(double perSecond) {
        return String.format(Locale.ROOT, "%.2f", perSecond / 1e9);
    }
}
