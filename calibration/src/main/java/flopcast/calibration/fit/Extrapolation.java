package flopcast.calibration.fit;

import flopcast.analytic.AchievableMatmul;
import flopcast.analytic.Accounting;
import flopcast.analytic.Device;
import flopcast.analytic.FlopsUtilization;
import flopcast.analytic.MemoryPolynomial;
import flopcast.analytic.MicroBatchPlan;
import flopcast.analytic.Precision;
import flopcast.analytic.Prediction;
import flopcast.analytic.PublishedMfu;
import flopcast.analytic.SeedAccounting;
import flopcast.analytic.Shape;
import flopcast.analytic.TrainingTime;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The seed's scenario (or any target) in days, every assumption on its own row: the seed's
 * arithmetic; the complete accounting at the seed's 50% of the fp32 peak; published A100 MFU
 * figures at the precision they were measured in; the step-time model on the device with
 * host-calibrated or cited matmul efficiency; a sensitivity table; and the memory plan (largest
 * micro-batch, gradient-accumulation steps).
 */
public final class Extrapolation {
    /** The seed's assumption. */
    public static final double SEED_MFU = 0.5;

    /**
     * @param label      what the row assumes
     * @param precision  the peak it divides by
     * @param mfu        the utilization it implies (model FLOPs / (time x peak)); NaN where none carries over
     *                   (the PyTorch probe's rows on a CPU, which have no catalog peak)
     * @param days       the run's length
     * @param source     where the assumption comes from
     */
    public record Row(String label, Precision precision, double mfu, double days, String source) {
    }

    /**
     * @param microBatch          the largest batch that fits the device under the complete accounting
     * @param accumulationSteps   micro-batches per step for the target batch; 0 when nothing fits
     * @param shortfallBytes      when nothing fits: bytes missing for one sequence (or the model state)
     * @param capacityBytes       the device's memory
     */
    public record MemoryPlan(long microBatch, long accumulationSteps, long shortfallBytes, long capacityBytes) {
    }

    private final Shape target;
    private final Device device;
    private final Precision precision;
    private final long steps;
    private final List<Calibration> host;
    private final List<HeldOut.StepCheck> checks;

    /**
     * @param target    the model at the target batch
     * @param device    where it would train
     * @param precision the peak the model-based rows divide by
     * @param steps     optimizer steps
     * @param host      the calibrations measured here, the primary (the vector backend's, where measured) first
     */
    public Extrapolation(Shape target, Device device, Precision precision, long steps, List<Calibration> host) {
        this(target, device, precision, steps, host, List.of());
    }

    /**
     * As above, with the held-out checks of this run, which the host-calibrated rows quote as their
     * uncertainty on this host.
     */
    public Extrapolation(Shape target, Device device, Precision precision, long steps, List<Calibration> host,
            List<HeldOut.StepCheck> checks) {
        this.target = target;
        this.device = device;
        this.precision = precision;
        this.steps = steps;
        this.host = host;
        this.checks = List.copyOf(checks);
    }

    public List<Row> rows() {
        List<Row> rows = publishedRows();
        for (Calibration calibration : host) {
            rows.add(modelRow("step-time model, host-calibrated efficiencies (" + calibration.label() + ") on the device's "
                    + precision.cliName() + " peak and bandwidth: transfers each op class's efficiency against arithmetic"
                    + " intensity or bytes per op, not the device's own kernels", onDevice(calibration::of),
                    uncertainty(calibration)));
        }
        Calibration primary = host.get(0);
        double mamf = AchievableMatmul.bf16Fraction(device);
        rows.add(modelRow(String.format(Locale.ROOT, "step-time model, cited matmul efficiency %.1f%% (measured in bf16)"
                + " on the %s peak; memory-bound ops host-calibrated (%s)", 100 * mamf, precision.cliName(),
                primary.label()), onDevice((op, size) -> op.computeBound() ? mamf : primary.of(op, size)),
                AchievableMatmul.SOURCE));
        return rows;
    }

    /**
     * What is known of a host-calibrated row's error: the calibration's held-out errors on this host,
     * and that its transfer to the device is measured nowhere until the probe runs on one.
     */
    private String uncertainty(Calibration calibration) {
        List<HeldOut.StepCheck> own = HeldOut.of(checks, calibration.backend(), calibration.threads());
        String held = own.isEmpty() ? "no step held out on this host"
                : HeldOut.undecided(own) == own.size() ? String.format(Locale.ROOT, "no step decided on this host (%d"
                        + " undecided: their rows noisy, or their noise floors above the target)", own.size())
                : Double.isNaN(HeldOut.worst(own)) ? String.format(Locale.ROOT, "no step held out on this host (%d"
                        + " steps: leaving a step's shape out left no component rows to fit it)", own.size())
                : String.format(Locale.ROOT, "held out on this host: worst %.1f%%, median %.1f%% over %d decided"
                        + " steps (%d undecided)", 100 * HeldOut.worst(own), 100 * HeldOut.median(own),
                        own.size() - HeldOut.undecided(own), HeldOut.undecided(own));
        return "this run's calibration; " + held + "; its transfer to the device is not measured until"
                + " probes/torch/calibrate_device.py runs on one";
    }

    /**
     * Efficiencies for the device: memory-bound ones at most 1. The host's are measured against the
     * probe at the level their data fits, and may still pass 1 within a row's spread; the target's
     * tensors are far larger than any cache, so the device's bandwidth bounds them.
     */
    private static StepTimeModel.Efficiency onDevice(StepTimeModel.Efficiency efficiency) {
        return (op, size) -> op.computeBound() ? efficiency.of(op, size) : Math.min(1.0, efficiency.of(op, size));
    }

    /**
     * The rows that need no host calibration: the seed's arithmetic, the complete accounting at the
     * seed's MFU, and each published MFU figure on the device's bf16 peak.
     */
    public List<Row> publishedRows() {
        List<Row> rows = new ArrayList<>();
        Prediction complete = Accounting.COMPLETE.predict(target);
        BigInteger seedStep = SeedAccounting.predict(target).flops().step();
        double fp32 = device.peakFlopsPerSecond(Precision.FP32);
        rows.add(new Row("seed's arithmetic: one block's matmuls, 50% of the fp32 peak", Precision.FP32, SEED_MFU,
                days(seedStep, fp32, SEED_MFU), "seed/000_1c9cf4390ff92cbc.txt"));
        rows.add(new Row("complete accounting at the seed's 50% of the fp32 peak", Precision.FP32, SEED_MFU,
                days(complete.flops().step(), fp32, SEED_MFU), "flopcast complete accounting"));
        double bf16 = device.peakFlopsPerSecond(Precision.BF16);
        for (PublishedMfu figure : PublishedMfu.values()) {
            rows.add(new Row("published MFU, " + figure.setting() + " (measured in bf16, on the bf16 peak)",
                    figure.precision(), figure.mfu(), days(complete.flops().step(), bf16, figure.mfu()),
                    figure.source()));
        }
        return rows;
    }

    /** Days against MFU from 10% to 80% on the chosen precision's peak, complete accounting. */
    public List<Row> sensitivity() {
        BigInteger step = Accounting.COMPLETE.predict(target).flops().step();
        double peak = device.peakFlopsPerSecond(precision);
        List<Row> rows = new ArrayList<>();
        for (int percent = 10; percent <= 80; percent += 10) {
            double mfu = percent / 100.0;
            rows.add(new Row(percent + "% MFU", precision, mfu, days(step, peak, mfu), "assumed"));
        }
        return rows;
    }

    /**
     * The largest micro-batch under the complete accounting that fits and divides the target batch
     * ({@link MicroBatchPlan}), and how many make it up.
     */
    public MemoryPlan memoryPlan() {
        Prediction single = Accounting.COMPLETE.predict(target.withBatchSize(1));
        MemoryPolynomial polynomial = single.memory().polynomial();
        long capacity = device.memory().bytes();
        if (capacity < polynomial.fixedBytes()) {
            return new MemoryPlan(0, 0, polynomial.fixedBytes() - capacity, capacity);
        }
        MemoryPolynomial.BatchFit fit = single.fit(device.memory());
        if (fit.batchSize() == 0) {
            return new MemoryPlan(0, 0, polynomial.perBatchElementBytes() - fit.spareBytes(), capacity);
        }
        // equal passes: the largest micro-batch that fits and divides the batch, as predict plans it
        MicroBatchPlan plan = MicroBatchPlan.largestDividing(target.batchSize(), fit.batchSize());
        if (plan == null) {
            // a batch past the planned range: the largest micro-batch that fits, the last pass what is left
            long micro = Math.min(fit.batchSize(), target.batchSize());
            return new MemoryPlan(micro, (target.batchSize() + micro - 1) / micro, 0, capacity);
        }
        return new MemoryPlan(plan.microBatch(), plan.passes(), 0, capacity);
    }

    /**
     * One row of the step-time model: the target batch as accumulation steps of the largest
     * micro-batch that fits (one sequence when nothing fits), the last one carrying what is left of
     * the batch (1024 = 341 x 3 + 1), AdamW once per step.
     */
    private Row modelRow(String label, StepTimeModel.Efficiency efficiency, String source) {
        MemoryPlan plan = memoryPlan();
        long micro = Math.max(1, plan.microBatch());
        long full = target.batchSize() / micro;
        long rest = target.batchSize() - full * micro;
        double peak = device.peakFlopsPerSecond(precision);
        Bandwidth bandwidth = Bandwidth.constant(device.bandwidthBytesPerSecond());
        // a device converts bfloat16 in registers: no host conversions
        StepTimeModel.StepTime microStep = StepTimeModel.predict(target.withBatchSize(micro), efficiency, peak,
                bandwidth, 0);
        double stepSeconds = full * (microStep.seconds() - microStep.optimizerSeconds()) + microStep.optimizerSeconds();
        if (rest > 0) {
            StepTimeModel.StepTime last = StepTimeModel.predict(target.withBatchSize(rest), efficiency, peak,
                    bandwidth, 0);
            stepSeconds += last.seconds() - last.optimizerSeconds();
        }
        double seconds = stepSeconds * steps;
        // a pass's model FLOPs are linear in its batch: the passes' sum is the target batch's
        BigInteger modelFlops = Accounting.COMPLETE.predict(target).flops().step().multiply(BigInteger.valueOf(steps));
        double mfu = FlopsUtilization.mfu(modelFlops.doubleValue(), seconds, peak);
        String fit = plan.microBatch() == 0 ? " (nothing fits the device: one sequence per micro-batch assumed)" : "";
        return new Row(label + fit, precision, mfu, seconds / TrainingTime.SECONDS_PER_DAY, source);
    }

    private double days(BigInteger stepFlops, double peak, double mfu) {
        return TrainingTime.of(steps, stepFlops, peak, mfu).days();
    }

    public Shape target() {
        return target;
    }

    public Device device() {
        return device;
    }

    public Precision precision() {
        return precision;
    }

    public long steps() {
        return steps;
    }
}
