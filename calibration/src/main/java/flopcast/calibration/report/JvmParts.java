package flopcast.calibration.report;

import flopcast.calibration.fit.Calibration;
import flopcast.calibration.fit.EfficiencyFit;
import flopcast.calibration.fit.Extrapolation;
import flopcast.calibration.fit.HeldOut;
import flopcast.calibration.fit.ProfileCheck;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.report.CalibrationTable.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The {@link CalibrationPart}s only the JVM's rows fill: rows read, the fits with their probes, the
 * held-out steps and their summary, each step's host MFU, the heap checks and the memory plan.
 * Pinned by {@code CalibrationTableTest}.
 */
public final class JvmParts {

    private JvmParts() {
    }

    /**
     * measurements, the JVM's: rows read, rows marked invalid.
     *
     * @param read    rows of the chosen host
     * @param invalid of them, marked invalid
     */
    public record JvmRows(long read, long invalid) implements CalibrationPart {
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
     * fit, the JVM's: one backend and thread count, its op classes' fits, then its peak and bandwidth.
     *
     * @param calibration the fit
     * @param primary     whether the extrapolation builds on it
     */
    public record HostFit(Calibration calibration, boolean primary) implements CalibrationPart {
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
                    calibration.bandwidth().source() + ", " + threads() + " thread(s)");
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
    public record OpFit(String label, EfficiencyFit fit) {
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

    /** held_out: one measured step against the step-time model. */
    public record HeldOutStep(HeldOut.StepCheck check) implements CalibrationPart {
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

        /** The error the measurements alone can make; NaN (shown n/a) where a spread is unknown. */
        public Entry noiseFloor() {
            return new Entry(item(), Quantity.NOISE_FLOOR, check.noiseFloor(), check.decided()
                    ? "step spread and median component spread in quadrature"
                    : check.noisy() ? "undecided: the step row is noisy (its spread above the step limit)"
                    : "undecided: above the " + Unit.ONE.text(HeldOut.worstTarget(check.threads())) + " target, or unknown");
        }

        @Override
        public List<Entry> entries() {
            return Stream.of(Stream.of(measured(), predicted(), error()), leaveOut().stream(), leaveOutError().stream(),
                    Stream.of(noiseFloor())).flatMap(entries -> entries).toList();
        }
    }

    /**
     * held_out: one backend's held-out errors at one thread count against that count's targets, over
     * the decided steps (undecided ones are counted, not judged).
     *
     * @param backend ejml or vector
     * @param threads the thread count
     * @param checks  its steps
     */
    public record HeldOutSummary(String backend, int threads, List<HeldOut.StepCheck> checks)
            implements CalibrationPart {

        public HeldOutSummary {
            checks = List.copyOf(checks);
        }

        public String item() {
            return Calibration.label(backend, threads) + " steps";
        }

        public double worstTarget() {
            return HeldOut.worstTarget(threads);
        }

        public double medianTarget() {
            return HeldOut.medianTarget(threads);
        }

        public Entry worst() {
            return new Entry(item(), Quantity.WORST_ERROR, HeldOut.worst(checks), "largest |held-out error| of the"
                    + " decided steps; target " + Unit.ONE.text(worstTarget()));
        }

        public Entry median() {
            return new Entry(item(), Quantity.MEDIAN_ERROR, HeldOut.median(checks), "median |held-out error| of the"
                    + " decided steps; target " + Unit.ONE.text(medianTarget()));
        }

        public Entry steps() {
            return new Entry(item(), Quantity.HELD_OUT_STEPS, checks.size(), "held out");
        }

        public Entry undecided() {
            return new Entry(item(), Quantity.UNDECIDED_STEPS, HeldOut.undecided(checks), "noise floor above the worst"
                    + " target or unknown: shown, not judged");
        }

        @Override
        public List<Entry> entries() {
            return List.of(worst(), median(), steps(), undecided());
        }
    }

    /** held_out: what one setting costs in time at one shape, measured and predicted, over the defaults. */
    public record SettingStep(HeldOut.SettingCost cost) implements CalibrationPart {
        public String item() {
            return cost.setting().label() + " " + cost.setting().shape().describe();
        }

        public Entry measured() {
            return new Entry(item(), Quantity.SETTING_MEASURED_RATIO, cost.measuredRatio(), cost.describe()
                    + ": measured step over the same step at the defaults");
        }

        public Entry predicted() {
            return new Entry(item(), Quantity.SETTING_PREDICTED_RATIO, cost.predictedRatio(), "the same, held out");
        }

        @Override
        public List<Entry> entries() {
            return List.of(measured(), predicted());
        }
    }

    /** profile: one measured step's in-situ profile beside the model's terms. */
    public record ProfiledStep(ProfileCheck check) implements CalibrationPart {
        public String item() {
            return check.label() + " " + check.shape().describe();
        }

        public Entry step() {
            return new Entry(item(), Quantity.PROFILE_STEP_SECONDS, check.stepSeconds(), "mean profiled step");
        }

        public Entry modelled() {
            return new Entry(item(), Quantity.PROFILE_MODELLED_SECONDS, check.modelledMeasuredSeconds(),
                    "in the classes the model has a term for");
        }

        public Entry predicted() {
            return new Entry(item(), Quantity.PROFILE_PREDICTED_SECONDS, check.modelledPredictedSeconds(),
                    "the model's terms for those classes");
        }

        public Entry unmodelled() {
            return new Entry(item(), Quantity.PROFILE_UNMODELLED_SECONDS, check.unmodelledSeconds(),
                    "in classes the model has no term for");
        }

        public Entry remainder() {
            return new Entry(item(), Quantity.PROFILE_REMAINDER_SECONDS, check.remainderSeconds(),
                    "in no class: the step less every class");
        }

        @Override
        public List<Entry> entries() {
            return List.of(step(), modelled(), predicted(), unmodelled(), remainder());
        }
    }

    /** host_mfu: one measured JVM step against the measured peak at its thread count. */
    public record HostStep(HeldOut.BackendStep step) implements CalibrationPart {
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
            return Stream.concat(Stream.of(seconds(), flopsPerSecond()), mfu().stream()).toList();
        }
    }

    /** heap: one row with both a predicted and a measured heap. */
    public record HeapCheck(Measurement row) implements CalibrationPart {
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

    /**
     * memory: the largest micro-batch that fits the device, and what it implies for the target batch.
     *
     * @param plan        the plan
     * @param targetBatch the target batch in sequences
     */
    public record Memory(Extrapolation.MemoryPlan plan, long targetBatch) implements CalibrationPart {
        /** Whether a micro-batch of one sequence or more fits. */
        public boolean fits() {
            return plan.microBatch() > 0;
        }

        public Entry microBatch() {
            return new Entry("largest micro-batch", Quantity.SEQUENCES, plan.microBatch(),
                    "complete accounting on the device's memory, dividing the batch");
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
}
