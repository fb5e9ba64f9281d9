package flopcast.cli;

import static flopcast.cli.NumberText.grouped;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.Capacity;
import flopcast.analytic.DataParallel;
import flopcast.analytic.Device;
import flopcast.analytic.MemoryPolynomial;
import flopcast.analytic.Prediction;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Shape;
import flopcast.analytic.TrainingPlan;
import java.math.BigInteger;
import java.util.List;
import java.util.Locale;

/**
 * What {@code predict --data-parallel N} adds: each rank's state, its traffic per step, the
 * largest batch per rank and the step time with communication.
 *
 * @param plan        the ranks and sharding
 * @param globalBatch B, which the ranks split
 * @param prediction  the complete accounting at B / N
 * @param fit         the largest batch per rank on the capacity, or null without one
 * @param device      the catalog device whose link the time uses, or null
 * @param training    the training plan, or null without {@code --steps}
 * @param passes      accumulated passes a step: FSDP gathers and reduces every one
 */
record DataParallelReport(DataParallel plan, long globalBatch, Prediction prediction, MemoryPolynomial.BatchFit fit,
        Device device, TrainingPlan training, long passes) {

    /** Ranks listed one by one up to this many; above it the JSON and the table give the largest rank only. */
    static final int LISTED_RANKS = 16;

    static DataParallelReport of(DataParallel plan, long globalBatch, Prediction prediction, Capacity capacity,
            Device device, TrainingPlan training) {
        return of(plan, globalBatch, prediction, capacity, device, training, 1);
    }

    /** As above, {@code passes} accumulated passes a step. */
    static DataParallelReport of(DataParallel plan, long globalBatch, Prediction prediction, Capacity capacity,
            Device device, TrainingPlan training, long passes) {
        MemoryPolynomial.BatchFit fit = capacity == null ? null
                : plan.perRankPolynomial(prediction).fit(capacity, "the largest rank's model state and gathers");
        return new DataParallelReport(plan, globalBatch, prediction, fit, device, training, passes);
    }

    /** One rank's memory as a polynomial in its batch B / N ({@link DataParallel#perRankPolynomial}). */
    MemoryPolynomial perRankPolynomial() {
        return plan.perRankPolynomial(prediction);
    }

    /** The step time, or null where no catalog device gives a link or no plan gives a peak. */
    DataParallel.StepTime stepTime() {
        if (device == null || training == null) {
            return null;
        }
        double compute = training.computeSecondsPerStep(prediction.flops().step());
        // DDP reduces the gradients once a step, under the last micro-batch: only its compute can hide them;
        // FSDP gathers and reduces every pass, each under its own pass's compute
        double overlappable = plan.sharding().shardsGradients() ? compute : compute / training.microBatches();
        return plan.stepTime(compute, overlappable, plan.maxSentBytes(prediction.shape(), passes),
                device.linkBytesPerSecond(plan.ranks()));
    }

    private List<DataParallel.RankState> listedRanks() {
        Shape shape = prediction.shape();
        return plan.ranks() <= LISTED_RANKS ? plan.states(shape) : List.of(plan.largest(shape));
    }

    ObjectNode json() {
        Shape shape = prediction.shape();
        PrecisionPolicy policy = shape.policy();
        ObjectNode node = Json.object();
        node.put("ranks", plan.ranks());
        node.put("sharding", plan.sharding().cliName());
        node.put("overlap_communication", plan.overlap());
        node.put("global_batch_size", globalBatch);
        node.put("per_rank_batch_size", globalBatch / plan.ranks());
        node.put("micro_batch_size", shape.batchSize());
        node.put("padding_elements", plan.paddingElements(shape));
        node.put("listed", plan.ranks() <= LISTED_RANKS ? "every rank" : "the largest rank");
        ArrayNode ranks = node.putArray("per_rank");
        for (DataParallel.RankState state : listedRanks()) {
            ObjectNode item = ranks.addObject();
            item.put("rank", state.rank());
            item.put("parameters_bytes", state.parametersBytes(policy));
            item.put("gradients_bytes", state.gradientsBytes(policy));
            item.put("master_weights_bytes", state.masterWeightsBytes(policy));
            item.put("optimizer_state_bytes", state.optimizerStateBytes(policy));
            item.put("state_bytes", state.stateBytes(policy));
            item.put("gathered_bytes", state.gatheredBytes(policy));
            ObjectNode transfers = item.putObject("communication");
            for (DataParallel.Transfer transfer : plan.transfers(shape, state.rank(), passes)) {
                ObjectNode t = transfers.putObject(transfer.collective().jsonName());
                t.put("times", transfer.times());
                t.put("payload_bytes", transfer.payloadBytes());
                t.put("sent_bytes", transfer.sentBytes());
            }
            item.put("sent_bytes", plan.sentBytes(shape, state.rank(), passes));
        }
        if (fit != null) {
            ObjectNode batch = node.putObject("max_batch_per_rank");
            batch.put("capacity_bytes", fit.capacity().bytes());
            batch.put("batch_size", fit.batchSize());
            batch.put("fractional", fit.fractional());
            batch.put("spare_bytes", fit.spareBytes());
        }
        node.put("max_sent_bytes", plan.maxSentBytes(shape, passes));
        if (device != null) {
            node.put("link", Device.linkName(plan.ranks()));
            node.put("link_bytes_per_second", device.linkBytesPerSecond(plan.ranks()));
        }
        DataParallel.StepTime time = stepTime();
        if (time != null) {
            ObjectNode t = node.putObject("training");
            t.put("compute_seconds_per_step", time.computeSeconds());
            t.put("communication_seconds_per_step", time.communicationSeconds());
            t.put("exposed_communication_seconds_per_step", time.exposedSeconds());
            t.put("step_seconds", time.stepSeconds());
            t.put("seconds", time.runSeconds(training.steps()));
            t.put("days", time.runDays(training.steps()));
        }
        return node;
    }

    /** The detail's data-parallel section: each rank's state and traffic, its memory, batch and step time. */
    String table() {
        Shape shape = prediction.shape();
        PrecisionPolicy policy = shape.policy();
        StringBuilder text = new StringBuilder();
        text.append("\ndata parallel      ").append(plan.ranks()).append(" ranks, sharding ")
                .append(plan.sharding().cliName()).append(", global batch ").append(globalBatch).append(" = ")
                .append(plan.ranks()).append(" x ").append(globalBatch / plan.ranks()).append(" per rank")
                .append(globalBatch / plan.ranks() == shape.batchSize() ? "" : " (" + shape.batchSize() + " a pass x "
                        + globalBatch / plan.ranks() / shape.batchSize() + " passes)")
                .append(" (above: one rank's batch with the whole model state; here: sharded)");
        long padding = plan.paddingElements(shape);
        text.append(padding == 0 ? "\n" : "; FSDP pads " + grouped(padding) + " elements so each unit splits evenly\n");
        TextTable table = new TextTable("rank", ">weights", ">gradients", ">master", ">AdamW m, v", ">state",
                ">gathered", ">sent per step");
        for (DataParallel.RankState state : listedRanks()) {
            table.row(String.valueOf(state.rank()), grouped(state.parametersBytes(policy)),
                    grouped(state.gradientsBytes(policy)), grouped(state.masterWeightsBytes(policy)),
                    grouped(state.optimizerStateBytes(policy)), grouped(state.stateBytes(policy)),
                    grouped(state.gatheredBytes(policy)), grouped(plan.sentBytes(shape, state.rank(), passes)));
        }
        text.append(table.render());
        text.append("(bytes; ").append(plan.ranks() <= LISTED_RANKS ? "every rank" : "the largest rank only")
                .append("; sent: ring all-reduce 2(N-1) ceil(E/N), all-gather and reduce-scatter (N-1) x shard,"
                        + " ring broadcast: every rank's tensors but the next rank's)\n");
        MemoryPolynomial rank = perRankPolynomial();
        text.append("memory per rank    ").append(grouped(rank.bytesAt(shape.batchSize())))
                .append(globalBatch / plan.ranks() == shape.batchSize() ? " bytes at B / N = " : " bytes at the micro-batch ")
                .append(shape.batchSize()).append(": ").append(NumberText.seed(BigInteger.valueOf(
                        rank.fixedBytes()))).append(" + ").append(NumberText.seed(BigInteger.valueOf(
                        rank.perBatchElementBytes()))).append(" x B bytes (the model state replaced by the largest"
                        + " rank's state and gathers)\n");
        if (fit != null) {
            text.append("largest batch      per rank on ").append(fit.capacity().describe()).append(": ");
            text.append(fit.fixedPartFits() ? fit.batchSize() + " (" + NumberText.fractionalBatch(fit.fractional())
                    + " before rounding down)" : "0, does not fit: " + fit.shortfall());
            text.append('\n');
        }
        DataParallel.StepTime time = stepTime();
        if (time != null) {
            text.append("step with comms    ").append(String.format(Locale.ROOT,
                    "%.4f s compute + %.4f s communication over %s at %s GB/s%s = %.4f s; %s steps = %s s = %s days",
                    time.computeSeconds(), time.exposedSeconds(), Device.linkName(plan.ranks()),
                    NumberText.plain(device.linkBytesPerSecond(plan.ranks()) / 1e9),
                    plan.overlap() ? String.format(Locale.ROOT, " (of %.4f s in all, the rest under compute)", time.communicationSeconds())
                            : " (not overlapped)",
                    time.stepSeconds(), grouped(training.steps()), grouped(time.runSeconds(training.steps()), 2),
                    grouped(time.runDays(training.steps()), 2)))
                    .append('\n');
        } else if (training != null) {
            text.append("step with comms    needs a catalog --device for its link bandwidth\n");
        }
        return text.toString();
    }
}
