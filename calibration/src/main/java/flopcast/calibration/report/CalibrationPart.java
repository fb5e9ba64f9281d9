package flopcast.calibration.report;

import flopcast.calibration.fit.Extrapolation;
import flopcast.calibration.report.CalibrationTable.Entry;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One typed group of a calibration's numbers: each part wraps what the fit computed and names every
 * number it contributes as an accessor returning its {@link Entry} (item, quantity, value, unit,
 * note), so a renderer reads {@code step.measured()} where it once looked up
 * {@code ("held_out", item, "measured_seconds")}. {@link #entries()} lists them in
 * {@code calibration.csv}'s order. The parts only the JVM's rows fill are in {@link JvmParts}, the
 * probe's in {@link ProbeParts}; the extrapolation's, which both fill, are here. Pinned by
 * {@code CalibrationTableTest}.
 */
public sealed interface CalibrationPart permits JvmParts.JvmRows, JvmParts.HostFit, JvmParts.HeldOutStep,
        JvmParts.HeldOutSummary, JvmParts.SettingStep, JvmParts.ProfiledStep, JvmParts.HostStep, JvmParts.HeapCheck, JvmParts.Memory, ProbeParts.ProbeRows,
        ProbeParts.DeviceStep, ProbeParts.ClassFit, CalibrationPart.Assumption, CalibrationPart.SensitivityRow {

    /** This part's rows of {@code calibration.csv}, in order. */
    List<Entry> entries();

    /** extrapolation: the target run under one assumption. */
    record Assumption(Extrapolation.Row row) implements CalibrationPart {
        public String item() {
            return row.label();
        }

        public Entry days() {
            return new Entry(item(), Quantity.DAYS, row.days(), row.source());
        }

        /** Empty where no MFU carries over (the probe's rows on a CPU). */
        public Optional<Entry> mfu() {
            return Double.isNaN(row.mfu()) ? Optional.empty()
                    : Optional.of(new Entry(item(), Quantity.MFU, row.mfu(), row.precision().cliName() + " peak"));
        }

        @Override
        public List<Entry> entries() {
            return Stream.concat(Stream.of(days()), mfu().stream()).toList();
        }
    }

    /** sensitivity: the target run at one assumed MFU. */
    record SensitivityRow(Extrapolation.Row row) implements CalibrationPart {
        public Entry days() {
            return new Entry(row.label(), Quantity.SENSITIVITY_DAYS, row.days(), row.precision().cliName() + " peak");
        }

        @Override
        public List<Entry> entries() {
            return List.of(days());
        }
    }
}
