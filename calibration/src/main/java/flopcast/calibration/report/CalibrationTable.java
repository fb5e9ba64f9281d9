package flopcast.calibration.report;

import flopcast.calibration.fit.Calibration;
import flopcast.calibration.fit.CalibrationResult;
import flopcast.calibration.fit.Extrapolation;
import flopcast.calibration.fit.HeldOut;
import flopcast.calibration.fit.TorchCalibration;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.report.CalibrationPart.Assumption;
import flopcast.calibration.report.ProbeParts.ClassFit;
import flopcast.calibration.report.ProbeParts.DeviceStep;
import flopcast.calibration.report.JvmParts.HeapCheck;
import flopcast.calibration.report.JvmParts.HeldOutStep;
import flopcast.calibration.report.JvmParts.HeldOutSummary;
import flopcast.calibration.report.JvmParts.ProfiledStep;
import flopcast.calibration.report.JvmParts.SettingStep;
import flopcast.calibration.report.JvmParts.HostFit;
import flopcast.calibration.report.JvmParts.HostStep;
import flopcast.calibration.report.JvmParts.JvmRows;
import flopcast.calibration.report.JvmParts.Memory;
import flopcast.calibration.report.ProbeParts.ProbeRows;
import flopcast.calibration.report.CalibrationPart.SensitivityRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A calibration as typed data: every number that {@code calibration.csv}, {@code report.md} and the
 * {@code calibrate} command's table and JSON show, each once, in typed {@link CalibrationPart}s (the
 * JVM's rows and the PyTorch probe's alike). The renderers ({@link CalibrationCsv},
 * {@link CalibrationJson}, {@link CalibrationMarkdown} and the command's table) read this table and
 * nothing else; a number is named by a {@link Quantity} constant or a part's accessor, never by a
 * string. A step's item is its fit's label and its shape's {@code describe()}: one label.
 * Pinned by {@code CalibrationTableTest}.
 *
 * @param hostCpu       the host (or, for the probe's rows, the device) the measurements come from
 * @param extrapolation the extrapolated run
 * @param unfitted      why a backend and thread count with component rows has no fit (the JVM's rows)
 * @param parts         the numbers, in the order they are written
 */
public record CalibrationTable(String hostCpu, Extrapolation extrapolation, List<String> unfitted,
        List<CalibrationPart> parts) {

    /**
     * One number: a row of {@code calibration.csv}. A count is held as a {@code long}, any other
     * number as a {@code double}; its unit is one its quantity allows.
     */
    public record Entry(String item, Quantity quantity, Number value, Unit unit, String note) {

        public Entry {
            Objects.requireNonNull(item, "item");
            Objects.requireNonNull(note, "note");
            if (!quantity.units().contains(unit)) {
                throw new IllegalArgumentException(quantity + " is not in " + unit.symbol());
            }
            if (quantity.count() != (value instanceof Integer || value instanceof Long)) {
                throw new IllegalArgumentException(quantity + (quantity.count() ? " counts; " : " is a double; ") + "got "
                        + value.getClass().getSimpleName());
            }
            value = quantity.count() ? (Number) value.longValue() : (Number) value.doubleValue();
        }

        /** In the quantity's own unit. */
        public Entry(String item, Quantity quantity, Number value, String note) {
            this(item, quantity, value, quantity.unit(), note);
        }

        public Section section() {
            return quantity.section();
        }

        /** The value as people read it: percents for fractions, seconds to 0.1 ms, days grouped, counts grouped. */
        public String text() {
            return quantity.text(value, unit);
        }

        public double number() {
            return value.doubleValue();
        }
    }

    public CalibrationTable {
        unfitted = List.copyOf(unfitted);
        parts = List.copyOf(parts);
    }

    /** The JVM's rows: every fit, held-out check, host MFU, heap check, the extrapolation and the memory plan. */
    public static CalibrationTable of(CalibrationResult result) {
        List<CalibrationPart> parts = new ArrayList<>();
        parts.add(new JvmRows(result.measurements().size(),
                result.measurements().stream().filter(m -> !m.valid()).count()));
        for (Calibration calibration : result.calibrations()) {
            parts.add(new HostFit(calibration, calibration == result.calibration()));
        }
        result.checks().forEach(check -> parts.add(new HeldOutStep(check)));
        for (Calibration calibration : result.calibrations()) {
            List<HeldOut.StepCheck> checks = HeldOut.of(result.checks(), calibration.backend(), calibration.threads());
            if (!checks.isEmpty()) {
                parts.add(new HeldOutSummary(calibration.backend(), calibration.threads(), checks));
            }
        }
        HeldOut.settingCosts(result.checks()).forEach(cost -> parts.add(new SettingStep(cost)));
        result.profiles().forEach(profile -> parts.add(new ProfiledStep(profile)));
        HeldOut.byBackend(result.measurements()).forEach(step -> parts.add(new HostStep(step)));
        for (Measurement m : result.measurements()) {
            if (m.predictedHeapBytes() != null && m.measuredHeapBytes() != null) {
                parts.add(new HeapCheck(m));
            }
        }
        Extrapolation extrapolation = result.extrapolation();
        extrapolation.rows().forEach(row -> parts.add(new Assumption(row)));
        extrapolation.sensitivity().forEach(row -> parts.add(new SensitivityRow(row)));
        parts.add(new Memory(extrapolation.memoryPlan(), extrapolation.target().batchSize()));
        return new CalibrationTable(result.hostCpu(), extrapolation, result.unfitted(), parts);
    }

    /** The PyTorch probe's rows: each step, each shape class, the measured extrapolation beside the published rows. */
    public static CalibrationTable of(TorchCalibration probe) {
        List<CalibrationPart> parts = new ArrayList<>();
        parts.add(new ProbeRows(probe.device(), probe.backend(), probe.steps().size()));
        probe.steps().forEach(step -> parts.add(new DeviceStep(probe.backend(), step)));
        probe.classes().forEach(c -> parts.add(new ClassFit(probe.backend(), c)));
        parts.add(new Assumption(probe.measured()));
        probe.extrapolation().publishedRows().forEach(row -> parts.add(new Assumption(row)));
        probe.extrapolation().sensitivity().forEach(row -> parts.add(new SensitivityRow(row)));
        return new CalibrationTable(probe.device(), probe.extrapolation(), List.of(), parts);
    }

    /** Every entry, in {@code calibration.csv}'s order. */
    public List<Entry> entries() {
        List<Entry> entries = new ArrayList<>();
        parts.forEach(part -> entries.addAll(part.entries()));
        return entries;
    }

    /** The parts of one kind, in order. */
    public <P extends CalibrationPart> List<P> all(Class<P> kind) {
        return parts.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    /** The part of a kind a table has at most one of (its rows read, its memory plan); empty where it has none. */
    public <P extends CalibrationPart> Optional<P> one(Class<P> kind) {
        List<P> all = all(kind);
        if (all.size() > 1) {
            throw new IllegalStateException(all.size() + " " + kind.getSimpleName() + " parts");
        }
        return all.stream().findFirst();
    }

    /** The probe's rows read, where the table is the PyTorch probe's; empty for the JVM's. */
    public Optional<ProbeRows> probe() {
        return one(ProbeRows.class);
    }

    /**
     * One table of the section of {@code required}: a row per item that has it, the item first, then
     * a cell per column ("n/a" where the item lacks it). A column from another section is that
     * section's entry for the same item. An item that occurs more than once is one row, in its first
     * place, each cell from its last occurrence.
     */
    public List<List<String>> grid(Quantity required, List<Quantity> columns) {
        // items in the order of their first entry in the required quantity's section; a quantity names its section
        Map<String, Map<Quantity, Entry>> byItem = new LinkedHashMap<>();
        List<Entry> entries = entries();
        entries.stream().filter(e -> e.section() == required.section())
                .forEach(e -> byItem.computeIfAbsent(e.item(), k -> new LinkedHashMap<>()));
        for (Entry e : entries) {
            Map<Quantity, Entry> quantities = byItem.get(e.item());
            if (quantities != null) {
                quantities.put(e.quantity(), e);
            }
        }
        List<List<String>> grid = new ArrayList<>();
        byItem.forEach((item, quantities) -> {
            if (quantities.containsKey(required)) {
                List<String> cells = new ArrayList<>(List.of(item));
                for (Quantity column : columns) {
                    Entry e = quantities.get(column);
                    cells.add(e == null ? "n/a" : e.text());
                }
                grid.add(cells);
            }
        });
        return grid;
    }

    /** The extrapolated run, in the one shape label. */
    public String target() {
        return String.format(Locale.ROOT, "%s, %,d steps, %s, %s", extrapolation.target().describe(),
                extrapolation.steps(), extrapolation.device().cliName(), extrapolation.precision().cliName());
    }
}
