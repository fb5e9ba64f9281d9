package flopcast.calibration.report;
import flopcast.calibration.fit.Calibration;
import flopcast.calibration.fit.CalibrationResult;
import flopcast.calibration.fit.EfficiencyFit;
import flopcast.calibration.fit.Extrapolation;
import flopcast.calibration.fit.HeldOut;
import flopcast.calibration.measurements.Measurement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A calibration result as one long table: every number that {@code calibration.csv}, the
 * {@code calibrate} command's table and JSON, and {@code report.md}'s tables show, each once, named
 * by section, item and quantity. The formats render this table; none of them reads the result
 * apart from it. A step's item is its fit's label and its shape's {@code describe()}: one label.
 *
 * @param hostCpu the host the measurements come from
 * @param target  the extrapolated run
 * @param entries the numbers, in the order they are written
 */
public record CalibrationTable(String hostCpu, String target, List<Entry> entries) {

    /** The held-out target: worst step error within 10% on this host. */
    public static final double TARGET_ERROR = 0.10;
    /** The held-out target for the median step error. */
    public static final double TARGET_MEDIAN_ERROR = 0.05;

    /** One number: a row of {@code calibration.csv}. */
    public record Entry(String section, String item, String quantity, Object value, String unit, String note) {

        /** The value as people read it: percents for fractions, seconds to 0.1 ms, days grouped. */
        public String text() {
            if (value instanceof Integer || value instanceof Long) {
                return String.format(Locale.ROOT, "%,d", ((Number) value).longValue());
            }
            double number = ((Number) value).doubleValue();
            return switch (unit) {
                case "1" -> quantity.endsWith("error") && !quantity.startsWith("worst")
                        && !quantity.startsWith("median") ? String.format(Locale.ROOT, "%+.1f%%", 100 * number)
                        : String.format(Locale.ROOT, "%.2f%%", 100 * number);
                case "s" -> String.format(Locale.ROOT, "%.4f s", number);
                case "days" -> String.format(Locale.ROOT, "%,.2f", number);
                case "FLOP/s" -> String.format(Locale.ROOT, "%.1f GFLOP/s", number / 1e9);
                case "B/s" -> String.format(Locale.ROOT, "%.1f GB/s", number / 1e9);
                default -> String.format(Locale.ROOT, "%.4f", number);
            };
        }
    }

    public CalibrationTable {
        entries = List.copyOf(entries);
    }

    public static CalibrationTable of(CalibrationResult result) {
        List<Entry> rows = new ArrayList<>();
        rows.add(new Entry("measurements", "rows", "rows", result.measurements().size(), "rows", "measurements.csv"));
        rows.add(new Entry("measurements", "rows", "marked_invalid", (int) result.measurements().stream()
                .filter(m -> !m.valid()).count(), "rows", "left out; see valid and status in measurements.csv"));
        for (Calibration calibration : result.calibrations()) {
            String label = calibration.label();
            for (EfficiencyFit fit : calibration.fits().values()) {
                String item = label + " " + fit.opClass().label();
                String size = fit.opClass().sizeMeaning();
                rows.add(new Entry("fit", item, "points", fit.points(), "1", ""));
                rows.add(new Entry("fit", item, "intercept", fit.intercept(), "1", "efficiency at size 1"));
                rows.add(new Entry("fit", item, "slope", fit.slope(), "1", "per unit of ln(" + size + ")"));
                rows.add(new Entry("fit", item, "size_min", fit.sizeMin(), size, ""));
                rows.add(new Entry("fit", item, "size_max", fit.sizeMax(), size, ""));
                rows.add(new Entry("fit", item, "efficiency_min", fit.efficiencyMin(), "1", ""));
                rows.add(new Entry("fit", item, "efficiency_max", fit.efficiencyMax(), "1", ""));
            }
            rows.add(new Entry("fit", label + " peak", "flops_per_second", calibration.peakFlopsPerSecond(), "FLOP/s",
                    "Vector API FMA probe, " + calibration.threads() + " thread(s)"));
            rows.add(new Entry("fit", label + " bandwidth", "bytes_per_second", calibration.bandwidthBytesPerSecond(),
                    "B/s", "triad probe, " + calibration.threads() + " thread(s)"));
        }
        for (HeldOut.StepCheck check : result.checks()) {
            String item = check.label() + " " + check.shape().describe();
            rows.add(new Entry("held_out", item, "measured_seconds", check.measuredSeconds(), "s", "JMH"));
            rows.add(new Entry("held_out", item, "predicted_seconds", check.predictedSeconds(), "s",
                    "fitted on every component row of its backend and thread count"));
            rows.add(new Entry("held_out", item, "error", check.error(), "1", "predicted / measured - 1"));
            if (!Double.isNaN(check.leaveOutSeconds())) {
                rows.add(new Entry("held_out", item, "leave_shape_out_seconds", check.leaveOutSeconds(), "s",
                        "fitted on the other shapes' component rows only"));
                rows.add(new Entry("held_out", item, "leave_shape_out_error", check.leaveOutError(), "1",
                        "the held-out error"));
            }
        }
        for (String backend : HeldOut.backends(result.checks())) {
            List<HeldOut.StepCheck> checks = HeldOut.of(result.checks(), backend);
            rows.add(new Entry("held_out", backend + " steps", "worst_error", HeldOut.worst(checks), "1",
                    "largest |held-out error|; target " + percent(TARGET_ERROR)));
            rows.add(new Entry("held_out", backend + " steps", "median_error", HeldOut.median(checks), "1",
                    "median |held-out error|; target " + percent(TARGET_MEDIAN_ERROR)));
            rows.add(new Entry("held_out", backend + " steps", "steps", checks.size(), "1", "held out"));
        }
        for (HeldOut.BackendStep step : HeldOut.byBackend(result.measurements())) {
            String item = Calibration.label(step.backend(), step.threads()) + " " + step.shape().describe();
            rows.add(new Entry("host_mfu", item, "seconds", step.seconds(), "s", "JMH"));
            rows.add(new Entry("host_mfu", item, "model_flops_per_second", step.modelFlops() / step.seconds(),
                    "FLOP/s", "forward and backward matmul FLOPs / seconds"));
            if (!Double.isNaN(step.mfu())) {
                rows.add(new Entry("host_mfu", item, "mfu", step.mfu(), "1",
                        "model FLOPs / (measured step time x measured peak at its thread count)"));
            }
        }
        for (Measurement m : result.measurements()) {
            if (m.predictedHeapBytes() != null && m.measuredHeapBytes() != null) {
                String item = m.component() + " " + (m.shape() != null ? m.shape().describe()
                        : m.parameters() + " parameters");
                rows.add(new Entry("heap", item, "predicted_bytes", m.predictedHeapBytes(), "B", ""));
                rows.add(new Entry("heap", item, "measured_bytes", m.measuredHeapBytes(), "B", "GC.class_histogram"));
                rows.add(new Entry("heap", item, "ratio", (double) m.measuredHeapBytes() / m.predictedHeapBytes(), "-",
                        "measured / predicted"));
            }
        }
        for (Extrapolation.Row row : result.extrapolation().rows()) {
            rows.add(new Entry("extrapolation", row.label(), "days", row.days(), "days", row.source()));
            rows.add(new Entry("extrapolation", row.label(), "mfu", row.mfu(), "1", row.precision().cliName() + " peak"));
        }
        for (Extrapolation.Row row : result.extrapolation().sensitivity()) {
            rows.add(new Entry("sensitivity", row.label(), "days", row.days(), "days",
                    row.precision().cliName() + " peak"));
        }
        Extrapolation.MemoryPlan plan = result.extrapolation().memoryPlan();
        rows.add(new Entry("memory", "largest micro-batch", "sequences", plan.microBatch(), "sequences",
                "complete accounting on the device's memory"));
        rows.add(new Entry("memory", "gradient accumulation", "steps", plan.accumulationSteps(), "micro-batches",
                "0: nothing fits"));
        rows.add(new Entry("memory", "shortfall", "bytes", plan.shortfallBytes(), "B", "0 when a micro-batch fits"));
        rows.add(new Entry("memory", "capacity", "bytes", plan.capacityBytes(), "B", "the device's memory"));
        rows.add(new Entry("memory", "target batch", "sequences", result.extrapolation().target().batchSize(),
                "sequences", "what the step-time rows split into micro-batches"));
        return new CalibrationTable(result.hostCpu(), target(result.extrapolation()), rows);
    }

    /** The rows of {@code calibration.csv}, in {@link CalibrationSchema}'s column order. */
    public List<List<Object>> csvRows() {
        List<List<Object>> rows = new ArrayList<>();
        for (Entry e : entries) {
            rows.add(Arrays.asList(e.section(), e.item(), e.quantity(), e.value(), e.unit(), e.note(), hostCpu, target));
        }
        return rows;
    }

    /** The entries of {@code section}, by item in order, then by quantity. */
    public Map<String, Map<String, Entry>> items(String section) {
        Map<String, Map<String, Entry>> items = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (e.section().equals(section)) {
                items.computeIfAbsent(e.item(), k -> new LinkedHashMap<>()).put(e.quantity(), e);
            }
        }
        return items;
    }

    /**
     * One table of {@code section}: a row per item that has every one of {@code required} quantities,
     * its item first, then a cell per column, "n/a" where the item lacks it. A column is a quantity
     * of the section, or {@code other_section/quantity} for the same item in another section.
     */
    public List<List<String>> grid(String section, List<String> required, List<String> columns) {
        List<List<String>> grid = new ArrayList<>();
        items(section).forEach((item, quantities) -> {
            if (quantities.keySet().containsAll(required)) {
                List<String> cells = new ArrayList<>(List.of(item));
                for (String column : columns) {
                    int slash = column.indexOf('/');
                    Entry e = slash < 0 ? quantities.get(column) : items(column.substring(0, slash))
                            .getOrDefault(item, Map.of()).get(column.substring(slash + 1));
                    cells.add(e == null ? "n/a" : e.text());
                }
                grid.add(cells);
            }
        });
        return grid;
    }

    /** The one entry of {@code section}, {@code item}, {@code quantity}. */
    public Entry get(String section, String item, String quantity) {
        Entry e = items(section).getOrDefault(item, Map.of()).get(quantity);
        if (e == null) {
            throw new IllegalArgumentException("no " + section + " " + item + " " + quantity);
        }
        return e;
    }

    /** The extrapolated run, in the one shape label. */
    static String target(Extrapolation e) {
        return String.format(Locale.ROOT, "%s, %,d steps, %s, %s", e.target().describe(), e.steps(),
                e.device().cliName(), e.precision().cliName());
    }

    public static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }
}
