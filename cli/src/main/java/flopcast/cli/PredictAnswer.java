package flopcast.cli;

import static flopcast.cli.NumberText.grouped;

import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.DataParallel;
import flopcast.analytic.MemoryPolynomial;
import flopcast.analytic.MicroBatchPlan;
import flopcast.analytic.Prediction;
import flopcast.analytic.TrainingPlan;

/**
 * The one answer {@code predict} gives: whether the asked batch fits one device (one rank where
 * there are ranks), the largest batch there, and the training time only where the run fits. The
 * summary and the JSON {@code answer} object both read it, so they cannot disagree; where there are
 * ranks the answer is the data-parallel one (the sharded state per rank, the step with its
 * communication), never the unsharded single-device figures beside it.
 *
 * @param prediction      the accounting at the batch one device runs (B / N with ranks)
 * @param ranks           the data-parallel report, or null on one device
 * @param polynomial      one device's memory in its own batch (one rank's with ranks)
 * @param fit             the largest batch on that device, or null where no capacity was given
 * @param plan            the training plan, or null without {@code --steps}
 * @param seconds         the training time, or null where none is given (then {@code noTimeReason} says why)
 * @param days            the same in days, or null
 * @param noTimeReason    why no time is given, or null where one is
 * @param accumulationSteps forward and backward passes a step accumulates ({@code --grad-accum}; 1 without)
 * @param microBatchPlan  where a capacity is given: the largest micro-batch that fits one device and
 *                        divides its share of the batch, with the accumulation steps that make it up;
 *                        null without a capacity or where not one sequence fits
 * @param peakBytes       the peak over the step where {@code fit} is by it ({@code StepTimeline}); null where
 *                        the answer is by the sum
 */
record PredictAnswer(Prediction prediction, DataParallelReport ranks, MemoryPolynomial polynomial,
        MemoryPolynomial.BatchFit fit, TrainingPlan plan, Double seconds, Double days, String noTimeReason,
        long accumulationSteps, MicroBatchPlan microBatchPlan, Long peakBytes) {

    /** The JSON paths the answer points to. */
    static final String MAX_BATCH = "max_batch";
    static final String MAX_BATCH_PER_RANK = "data_parallel.max_batch_per_rank";
    /** Where the answer is by the peak over the step: on one device or the largest rank. */
    static final String TIMELINE_MAX_BATCH = "timeline.max_batch";
    static final String TRAINING = "training";
    static final String DATA_PARALLEL_TRAINING = "data_parallel.training";

    /**
     * @param deviceFit the largest batch on one device holding the whole model state, or null
     * @param ranks     the data-parallel report, or null
     */
    static PredictAnswer of(Prediction prediction, MemoryPolynomial.BatchFit deviceFit, TrainingPlan plan,
            DataParallelReport ranks) {
        return of(prediction, deviceFit, plan, ranks, 1);
    }

    /** As above, {@code accumulation} passes of the prediction's batch a step (the plan's micro-batches, where one is given). */
    static PredictAnswer of(Prediction prediction, MemoryPolynomial.BatchFit deviceFit, TrainingPlan plan,
            DataParallelReport ranks, long accumulation) {
        MemoryPolynomial.BatchFit fit = ranks == null ? deviceFit : ranks.fit();
        return of(prediction, fit, fit, plan, ranks, accumulation, null);
    }

    /**
     * As above, the batch fitted by the peak over the step ({@code StepTimeline}), {@code peakBytes} at the
     * batch asked: {@code stepFit} a step of the passes asked, {@code accumulatingFit} a pass among several,
     * on one device or the largest rank.
     */
    static PredictAnswer byPeak(Prediction prediction, long peakBytes, MemoryPolynomial.BatchFit stepFit,
            MemoryPolynomial.BatchFit accumulatingFit, TrainingPlan plan, DataParallelReport ranks, long accumulation) {
        return of(prediction, stepFit, accumulatingFit, plan, ranks, accumulation, peakBytes);
    }

    private static PredictAnswer of(Prediction prediction, MemoryPolynomial.BatchFit fit,
            MemoryPolynomial.BatchFit planFit, TrainingPlan plan, DataParallelReport ranks, long accumulation,
            Long peakBytes) {
        MemoryPolynomial polynomial = ranks == null ? prediction.memory().polynomial() : ranks.perRankPolynomial();
        long batch = prediction.shape().batchSize();
        String reason = null;
        Double seconds = null;
        Double days = null;
        DataParallel.StepTime step = ranks == null ? null : ranks.stepTime();
        if (plan == null) {
            reason = "no --steps (give --steps N with --device or --peak-tflops)";
        } else if (fit != null && !fit.fits(batch)) {
            reason = (ranks == null ? "batch " + batch : sequences(batch) + " per rank") + " does not fit "
                    + PredictSummary.amount(fit.capacity()) + ", so there is no run to time";
        } else if (ranks != null && step == null) {
            reason = "the data-parallel step needs a catalog --device for its link bandwidth";
        } else if (ranks != null) {
            seconds = step.runSeconds(plan.steps());
            days = step.runDays(plan.steps());
        } else {
            seconds = plan.timeFor(prediction.flops().step()).seconds();
            days = plan.timeFor(prediction.flops().step()).days();
        }
        MicroBatchPlan planned = planFit == null ? null
                : AccumulationOptions.largestFitting(Math.multiplyExact(batch, accumulation), planFit);
        return new PredictAnswer(prediction, ranks, polynomial, fit, plan, seconds, days, reason, accumulation,
                planned, peakBytes);
    }

    /** N with ranks, else 1. */
    int devices() {
        return ranks == null ? 1 : ranks.plan().ranks();
    }

    /** The batch one device runs a pass: B, or B / N with ranks, or the micro-batch under accumulation. */
    long batchPerDevice() {
        return prediction.shape().batchSize();
    }

    long globalBatch() {
        return ranks == null ? Math.multiplyExact(batchPerDevice(), accumulationSteps) : ranks.globalBatch();
    }

    /** True where the answer's fit is by the peak over the step. */
    boolean byPeak() {
        return peakBytes != null;
    }

    /** What one device holds at its batch (one rank's sharded state with ranks): the peak where the answer is by it. */
    long memoryBytesPerDevice() {
        return peakBytes != null ? peakBytes : sumBytesPerDevice();
    }

    /** Everything one device holds at its batch alive at once: the sum, by the polynomial. */
    long sumBytesPerDevice() {
        return polynomial.bytesAt(batchPerDevice());
    }

    /** True or false where a capacity was given, null where none was. */
    Boolean fits() {
        return fit == null ? null : fit.fits(batchPerDevice());
    }

    /** The largest global batch: N x the largest per rank (a pass), x the accumulated passes; null without a capacity. */
    Long maxGlobalBatch() {
        return fit == null ? null
                : Math.multiplyExact(Math.multiplyExact(fit.batchSize(), (long) devices()), accumulationSteps);
    }

    /** The JSON object that holds the authoritative largest batch, or null without a capacity. */
    String maxBatchFrom() {
        return fit == null ? null : byPeak() ? TIMELINE_MAX_BATCH : ranks == null ? MAX_BATCH : MAX_BATCH_PER_RANK;
    }

    /** The JSON object that holds the authoritative training time, or null where none is given. */
    String trainingFrom() {
        return seconds == null ? null : ranks == null ? TRAINING : DATA_PARALLEL_TRAINING;
    }

    /** {@code 1 sequence}, {@code 8 sequences}. */
    static String sequences(long count) {
        return grouped(count) + (count == 1 ? " sequence" : " sequences");
    }

    ObjectNode json() {
        ObjectNode node = Json.object();
        node.put("devices", devices());
        node.put("global_batch_size", globalBatch());
        node.put("batch_size_per_device", batchPerDevice());
        node.put("memory_bytes_per_device", memoryBytesPerDevice());
        node.put("fits", fits());
        node.put("max_batch_size_per_device", fit == null ? null : fit.batchSize());
        node.put("max_global_batch_size", maxGlobalBatch());
        node.put("max_batch_from", maxBatchFrom());
        node.put("accumulation_steps", accumulationSteps);
        node.put("model_flops_per_step", prediction.flops().step().multiply(java.math.BigInteger.valueOf(
                accumulationSteps)));
        if (fit != null) {
            ObjectNode planned = node.putObject("micro_batch_plan");
            planned.put("micro_batch_size", microBatchPlan == null ? null : microBatchPlan.microBatch());
            planned.put("accumulation_steps", microBatchPlan == null ? null : microBatchPlan.passes());
        }
        node.put("training_seconds", seconds);
        node.put("training_days", days);
        node.put("training_from", trainingFrom());
        node.put("no_training_reason", noTimeReason);
        node.put("note", ranks == null ? null : "with --data-parallel the answer is per rank: the top-level"
                + " memory_bytes, max_batch and training are one device holding the whole model state at B / N"
                + " without communication, not the answer");
        return node;
    }
}
