package flopcast.calibration.report;

import flopcast.calibration.fit.TorchCalibration;
import flopcast.calibration.report.CalibrationTable.Entry;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The {@link CalibrationPart}s only the PyTorch probe's rows fill: rows read, each step on its
 * device, each shape class at its largest batch. Pinned by {@code CalibrationTableTest}.
 */
public final class ProbeParts {

    private ProbeParts() {
    }

    /**
     * measurements, the PyTorch probe's: its valid step rows of one device.
     *
     * @param device  the device (the rows' {@code host_cpu})
     * @param backend torch-cuda or torch-cpu
     * @param read    valid step rows
     */
    public record ProbeRows(String device, String backend, long read) implements CalibrationPart {
        public Entry rows() {
            return new Entry("rows", Quantity.ROWS, read, "valid step rows of " + device + " (" + backend + ")");
        }

        @Override
        public List<Entry> entries() {
            return List.of(rows());
        }
    }

    /** device_mfu: one probe step on its device. */
    public record DeviceStep(String backend, TorchCalibration.Step step) implements CalibrationPart {
        public String item() {
            return backend + " " + step.label() + " B=" + step.batchSize();
        }

        public Entry seconds() {
            return new Entry(item(), Quantity.DEVICE_SECONDS, step.seconds(), "median of the probe's timed steps");
        }

        public Entry flopsPerSecond() {
            return new Entry(item(), Quantity.DEVICE_FLOPS_PER_SECOND, step.flopsPerSecond(), "model FLOPs / seconds");
        }

        /** Empty where the row has no catalog peak (a CPU). */
        public Optional<Entry> mfu() {
            return Double.isNaN(step.mfu()) ? Optional.empty()
                    : Optional.of(new Entry(item(), Quantity.DEVICE_MFU, step.mfu(), "against the catalog peak"));
        }

        @Override
        public List<Entry> entries() {
            return Stream.concat(Stream.of(seconds(), flopsPerSecond()), mfu().stream()).toList();
        }
    }

    /** fit, the probe's: one shape class at its largest measured batch. */
    public record ClassFit(String backend, TorchCalibration.ShapeClass shapeClass) implements CalibrationPart {
        public String item() {
            return backend + " " + shapeClass.label();
        }

        public Entry batchSize() {
            return new Entry(item(), Quantity.CLASS_BATCH_SIZE, shapeClass.batchSize(), "the class's largest measured batch");
        }

        public Entry flopsPerSecond() {
            return new Entry(item(), Quantity.FIT_FLOPS_PER_SECOND, shapeClass.flopsPerSecond(),
                    "model FLOPs / seconds at that batch");
        }

        /** Empty where the rows have no catalog peak (a CPU). */
        public Optional<Entry> mfu() {
            return Double.isNaN(shapeClass.mfu()) ? Optional.empty() : Optional.of(new Entry(item(), Quantity.CLASS_MFU,
                    shapeClass.mfu(), "against " + String.format(Locale.ROOT, "%.4g", shapeClass.peakFlopsPerSecond())
                            + " FLOP/s"));
        }

        @Override
        public List<Entry> entries() {
            return Stream.concat(Stream.of(batchSize(), flopsPerSecond()), mfu().stream()).toList();
        }
    }
}
