package flopcast.calibration.report;

import flopcast.calibration.fit.Calibration;
import flopcast.calibration.fit.EfficiencyFit;
import flopcast.calibration.fit.Extrapolation;
import flopcast.calibration.fit.HeldOut;
import flopcast.calibration.fit.TorchCalibration;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.report.CalibrationTable.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One typed group of a calibration's numbers: each part wraps what the fit computed and names every
 * number it contributes as an accessor returning its {@link Entry} (item, quantity, value, unit,
 * note), so a renderer reads {@code step.measured()} where it once looked up
 * {@code ("held_out", item, "measured_seconds")}. {@link #entries()} lists them in
 * {@code calibration.csv}'s order. Pinned by {@code CalibrationTableTest}.
 */
public sealed interface CalibrationPart {

    /** This part's rows of {@code calibration.csv}, in order. */
    List<Entry> entries();

    /**
     * measurements, the JVM's: rows read, rows marked invalid.
     *
     * @param read    rows of the chosen host
     * @param invalid of them, marked invalid
     */
    record JvmRows(long read, long invalid) implements CalibrationPart {
        public Entry rows() {
            return new Entry("rows", Quantity.ROWS, read, "measurements.csv");
        }

        public Entry markedInvalid() {
            return new Entry("rows", Quantity.MARKED_INVALID, invalid, "left out; see valid and status in measurements.csv");
        }

        @Override
        public List<Entry> entries() {
            return List.of(rows(), markedInvalid());
        }
    }

    /**
     * measurements, the PyTorch probe's: its valid step rows of one device.
     *
     * @param device  the device (the rows' {@code host_cpu})
     * @param backend torch-cuda or torch-cpu
     * @param read    valid step rows
     */
    record ProbeRows(String device, String backend, long read) implements CalibrationPart {
        public Entry rows() {
            return new Entry("rows", Quantity.ROWS, read, "valid step rows of " + device + " (" + backend + ")");
        }

        @Override
        public List<Entry> entries() {
            return List.of(rows());
        }
    }

    /** device_mfu: one probe step on its device. */
    record DeviceStep(String backend, TorchCalibration.Step step) implements CalibrationPart {
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
            return withOptional(List.of(seconds(), flopsPerSecond()), mfu());
        }
    }

    /**
     * fit, the JVM's: one backend and thread count, its op classes' fits, then its peak and bandwidth.
     *
     * @param calibration the fit
     * @param primary     whether the extrapolation builds on it
     */
    record HostFit(Calibration calibration, boolean primary) implements CalibrationPart {
        public String label() {
            return calibration.label();
        }

        public int threads() {
            return calibration.threads();
        }

        public List<OpFit> ops() {
            return calibration.fits().values().stream().map(fit -> new OpFit(label(), fit)).toList();
        }

        public Entry peak() {
            return new Entry(label() + " peak", Quantity.FIT_FLOPS_PER_SECOND, calibration.peakFlopsPerSecond(),
                    "Vector API FMA probe, " + threads() + " thread(s)");
        }

        public Entry bandwidth() {
            return new Entry(label() + " bandwidth", Quantity.BANDWIDTH, calibration.bandwidthBytesPerSecond(),
                    "triad probe, " + threads() + " thread(s)");
        }

        @Override
        public List<Entry> entries() {
            List<Entry> entries = new ArrayList<>();
            ops().forEach(op -> entries.addAll(op.entries()));
            entries.add(peak());
            entries.add(bandwidth());
            return entries;
        }
    }

    /** One op class's efficiency fit within a {@link HostFit}: e = a + b ln(size), held within the measured range. */
    record OpFit(String label, EfficiencyFit fit) {
        public String item() {
            return label + " " + fit.opClass().label();
        }

        /** What size means for the class: FLOPs per byte (matmuls) or bytes per op (memory-bound ops). */
        public Unit sizeUnit() {
            return Unit.bySymbol(fit.opClass().sizeMeaning());
        }

        public Entry points() {
            return new Entry(item(), Quantity.POINTS, fit.points(), "");
        }

        public Entry intercept() {
            return new Entry(item(), Quantity.INTERCEPT, fit.intercept(), "efficiency at size 1");
        }

        public Entry slope() {
            return new Entry(item(), Quantity.SLOPE, fit.slope(), "per unit of ln(" + sizeUnit().symbol() + ")");
        }

        public Entry sizeMin() {
            return new Entry(item(), Quantity.SIZE_MIN, fit.sizeMin(), sizeUnit(), "");
        }

        public Entry sizeMax() {
            return new Entry(item(), Quantity.SIZE_MAX, fit.sizeMax(), sizeUnit(), "");
        }

        public Entry efficiencyMin() {
            return new Entry(item(), Quantity.EFFICIENCY_MIN, fit.efficiencyMin(), "");
        }

        public Entry efficiencyMax() {
            return new Entry(item(), Quantity.EFFICIENCY_MAX, fit.efficiencyMax(), "");
        }

        public List<Entry> entries() {
            return List.of(points(), intercept(), slope(), sizeMin(), sizeMax(), efficiencyMin(), efficiencyMax());
        }
    }

    /** fit, the probe's: one shape class at its largest measured batch. */
    record ClassFit(String backend, TorchCalibration.ShapeClass shapeClass) implements CalibrationPart {
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
            return withOptional(List.of(batchSize(), flopsPerSecond()), mfu());
        }
    }

    /** held_out: one measured step against the step-time model. */
    record HeldOutStep(HeldOut.StepCheck check) implements CalibrationPart {
        public String item() {
            return check.label() + " " + check.shape().describe();
        }

        public Entry measured() {
            return new Entry(item(), Quantity.MEASURED_SECONDS, check.measuredSeconds(), "JMH");
        }

        public Entry predicted() {
            return new Entry(item(), Quantity.PREDICTED_SECONDS, check.predictedSeconds(),
                    "fitted on every component row of its backend and thread count");
        }

        public Entry error() {
            return new Entry(item(), Quantity.ERROR, check.error(), "predicted / measured - 1");
        }

        /** Empty where no other shape was measured. */
        public Optional<Entry> leaveOut() {
            return Double.isNaN(check.leaveOutSeconds()) ? Optional.empty() : Optional.of(new Entry(item(),
                    Quantity.LEAVE_SHAPE_OUT_SECONDS, check.leaveOutSeconds(), "fitted on the other shapes' component rows only"));
        }

        public Optional<Entry> leaveOutError() {
            return Double.isNaN(check.leaveOutSeconds()) ? Optional.empty() : Optional.of(new Entry(item(),
                    Quantity.LEAVE_SHAPE_OUT_ERROR, check.leaveOutError(), "the held-out error"));
        }

        @Override
        public List<Entry> entries() {
            return withOptional(withOptional(List.of(measured(), predicted(), error()), leaveOut()), leaveOutError());
        }
    }

    /**
     * held_out: one backend's held-out errors against their targets.
     *
     * @param backend ejml or vector (all its thread counts)
     * @param checks  its steps
     */
    record HeldOutSummary(String backend, List<HeldOut.StepCheck> checks) implements CalibrationPart {
        /** The held-out target: worst step error within 10% on this host. */
        public static final double TARGET_WORST_ERROR = 0.10;
        /** The held-out target for the median step error. */
        public static final double TARGET_MEDIAN_ERROR = 0.05;

        public HeldOutSummary {
            checks = List.copyOf(checks);
        }

        public String item() {
            return backend + " steps";
        }

        public Entry worst() {
            return new Entry(item(), Quantity.WORST_ERROR, HeldOut.worst(checks), "largest |held-out error|; target "
                    + Unit.ONE.text(TARGET_WORST_ERROR));
        }

        public Entry median() {
            return new Entry(item(), Quantity.MEDIAN_ERROR, HeldOut.median(checks), "median |held-out error|; target "
                    + Unit.ONE.text(TARGET_MEDIAN_ERROR));
        }

        public Entry steps() {
            return new Entry(item(), Quantity.HELD_OUT_STEPS, checks.size(), "held out");
        }

        @Override
        public List<Entry> entries() {
            return List.of(worst(), median(), steps());
        }
    }

    /** host_mfu: one measured JVM step against the measured peak at its thread count. */
    record HostStep(HeldOut.BackendStep step) implements CalibrationPart {
        public String item() {
            return Calibration.label(step.backend(), step.threads()) + " " + step.shape().describe();
        }

        public Entry seconds() {
            return new Entry(item(), Quantity.HOST_SECONDS, step.seconds(), "JMH");
        }

        public Entry flopsPerSecond() {
            return new Entry(item(), Quantity.HOST_FLOPS_PER_SECOND, step.modelFlops() / step.seconds(),
                    "forward and backward matmul FLOPs / seconds");
        }

        /** Empty where no peak probe ran at the step's thread count. */
        public Optional<Entry> mfu() {
            return Double.isNaN(step.mfu()) ? Optional.empty() : Optional.of(new Entry(item(), Quantity.HOST_MFU,
                    step.mfu(), "model FLOPs / (measured step time x measured peak at its thread count)"));
        }

        @Override
        public List<Entry> entries() {
            return withOptional(List.of(seconds(), flopsPerSecond()), mfu());
        }
    }

    /** heap: one row with both a predicted and a measured heap. */
    record HeapCheck(Measurement row) implements CalibrationPart {
        public String item() {
            return row.component() + " " + (row.shape() != null ? row.shape().describe() : row.parameters() + " parameters");
        }

        public Entry predicted() {
            return new Entry(item(), Quantity.PREDICTED_BYTES, row.predictedHeapBytes(), "");
        }

        public Entry measured() {
            return new Entry(item(), Quantity.MEASURED_BYTES, row.measuredHeapBytes(), "GC.class_histogram");
        }

        public Entry ratio() {
            return new Entry(item(), Quantity.HEAP_RATIO, (double) row.measuredHeapBytes() / row.predictedHeapBytes(),
                    "measured / predicted");
        }

        @Override
        public List<Entry> entries() {
            return List.of(predicted(), measured(), ratio());
        }
    }

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
            return withOptional(List.of(days()), mfu());
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

    /**
     * memory: the largest micro-batch that fits the device, and what it implies for the target batch.
     *
     * @param plan        the plan
     * @param targetBatch the target batch in sequences
     */
    record Memory(Extrapolation.MemoryPlan plan, long targetBatch) implements CalibrationPart {
        /** Whether a micro-batch of one sequence or more fits. */
        public boolean fits() {
            return plan.microBatch() > 0;
        }

        public Entry microBatch() {
            return new Entry("largest micro-batch", Quantity.SEQUENCES, plan.microBatch(),
                    "complete accounting on the device's memory");
        }

        public Entry accumulation() {
            return new Entry("gradient accumulation", Quantity.ACCUMULATION_STEPS, plan.accumulationSteps(),
                    "0: nothing fits");
        }

        public Entry shortfall() {
            return new Entry("shortfall", Quantity.MEMORY_BYTES, plan.shortfallBytes(), "0 when a micro-batch fits");
        }

        public Entry capacity() {
            return new Entry("capacity", Quantity.MEMORY_BYTES, plan.capacityBytes(), "the device's memory");
        }

        public Entry target() {
            return new Entry("target batch", Quantity.SEQUENCES, targetBatch,
                    "what the step-time rows split into micro-batches");
        }

        @Override
        public List<Entry> entries() {
            return List.of(microBatch(), accumulation(), shortfall(), capacity(), target());
        }
    }

    private static List<Entry> withOptional(List<Entry> entries, Optional<Entry> optional) {
        if (optional.isEmpty()) {
            return entries;
        }
        List<Entry> all = new ArrayList<>(entries);
        all.add(optional.get());
        return all;
    }
}
