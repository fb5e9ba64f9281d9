package flopcast.calibration.measurements;

import flopcast.analytic.Shape;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The few lines printed at the end of a run: where the results are, and predicted beside measured. */
public final class Summary {

    private Summary() {
    }

    public static String render(List<Map<String, String>> rows, String rawFile, String measurementsFile) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%nflopcast: %d benchmark results%n  raw JMH output  %s%n"
                + "  measurements    %s%n", rows.size(), rawFile, measurementsFile));
        for (Map<String, String> row : rows) {
            if (row.get("pass").equals("step")) {
                double spread = number(row, "spread");
                text.append(String.format(Locale.ROOT, "  step %s %-9s %s thread(s) %.4f s/op (spread %s), %s model"
                        + " FLOP/s, MFU %s%s%n", shapeLabel(row), row.get("backend"), row.get("threads"),
                        number(row, "lower_quartile_seconds_per_op"),
                        Double.isNaN(spread) ? "unknown: too few samples" : String.format(Locale.ROOT, "%.1f%%",
                                100 * spread),
                        giga(row, "achieved_flops_per_second"), percent(row, "mfu"),
                        row.get("measured_heap_bytes").isEmpty() ? "" : ", heap " + ratio(row, "measured_heap_bytes",
                                "predicted_heap_bytes") + " of predicted"));
            }
        }
        for (String backend : List.of("ejml", "vector")) {
            rows.stream().filter(r -> r.get("backend").equals(backend) && number(r, "predicted_flops") > 0
                    && !r.get("pass").equals("step"))
                    .max(Comparator.comparingDouble((Map<String, String> r) -> number(r, "predicted_flops"))
                            .thenComparingDouble(r -> number(r, "threads")))
                    .ifPresent(r -> text.append(String.format(Locale.ROOT, "  largest matmul  %s, %s thread(s): %s %s"
                            + " at %s: %s FLOP/s, MFU %s%n", backend, r.get("threads"), r.get("component"),
                            r.get("pass"), shapeLabel(r), giga(r, "achieved_flops_per_second"), percent(r, "mfu"))));
        }
        List<String> peaks = new ArrayList<>();
        List<String> bandwidths = new ArrayList<>();
        for (Map<String, String> row : rows) {
            if (row.get("component").equals("peak_flops")) {
                peaks.add(row.get("threads") + " thread(s) " + giga(row, "achieved_flops_per_second")
                        + " measured, " + giga(row, "peak_flops_per_second_nominal") + " nominal");
            } else if (row.get("component").startsWith("bandwidth")) {
                bandwidths.add(row.get("component").substring("bandwidth_".length()) + " " + row.get("threads")
                        + " thread(s) " + String.format(Locale.ROOT, "%.0f KiB", number(row, "predicted_bytes") / 1024)
                        + " " + giga(row, "achieved_bytes_per_second").replace("G", "GB/s"));
            }
        }
        text.append(marks(rows));
        if (!peaks.isEmpty()) {
            text.append("  peak FLOP/s     ").append(String.join("; ", peaks)).append('\n');
        }
        if (!bandwidths.isEmpty()) {
            text.append("  bandwidth       ").append(String.join("; ", bandwidths)).append('\n');
        }
        return text.toString();
    }

    /** How many rows are invalid or cache-resident, by mark, with one example of each. */
    static String marks(List<Map<String, String>> rows) {
        long invalid = rows.stream().filter(r -> r.get("valid").equals("false")).count();
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "  rows            %d valid, %d marked invalid"
                + " (calibration leaves them out)%n", rows.size() - invalid, invalid));
        for (RowMark mark : RowMark.values()) {
            List<Map<String, String>> marked = rows.stream().filter(r -> RowMark.of(r.get("status")).contains(mark))
                    .toList();
            if (!marked.isEmpty()) {
                Map<String, String> first = marked.get(0);
                text.append(String.format(Locale.ROOT, "    %-17s %d row(s)%s, e.g. %s %s %s: %s%n", mark.key(),
                        marked.size(), mark.invalidates() ? "" : " (valid)", first.get("benchmark"),
                        first.get("component"), first.get("backend"), first.get("status")));
            }
        }
        return text.toString();
    }

    private static String shapeLabel(Map<String, String> row) {
        Shape shape = Measurement.shape(row);
        return shape == null ? "-" : shape.describe();
    }

    private static double number(Map<String, String> row, String column) {
        String value = row.get(column);
        return value == null || value.isEmpty() ? Double.NaN : Double.parseDouble(value);
    }

    private static String giga(Map<String, String> row, String column) {
        double value = number(row, column);
        return Double.isNaN(value) ? "(unknown)" : String.format(Locale.ROOT, "%.1f G", value / 1e9);
    }

    private static String percent(Map<String, String> row, String column) {
        double value = number(row, column);
        return Double.isNaN(value) ? "(no probe)" : String.format(Locale.ROOT, "%.2f%%", 100 * value);
    }

    private static String ratio(Map<String, String> row, String numerator, String denominator) {
        return String.format(Locale.ROOT, "%.4f", number(row, numerator) / number(row, denominator));
    }
}
