package flopcast.cli;

import static flopcast.cli.NumberText.grouped;
import static flopcast.cli.NumberText.seed;
import static flopcast.cli.PredictAnswer.sequences;

import flopcast.analytic.Accounting;
import flopcast.analytic.Architecture;
import flopcast.analytic.Capacity;
import flopcast.analytic.DataParallel;
import flopcast.analytic.DenseLayers;
import flopcast.analytic.Device;
import flopcast.analytic.Experts;
import flopcast.analytic.FlopTotals;
import flopcast.analytic.FrozenLayers;
import flopcast.analytic.LinearBias;
import flopcast.analytic.Lora;
import flopcast.analytic.MemoryPolynomial;
import flopcast.analytic.MicroBatchPlan;
import flopcast.analytic.MlpKind;
import flopcast.analytic.NormKind;
import flopcast.analytic.NormPlacement;
import flopcast.analytic.QkNorm;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Prediction;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.analytic.StepTimeline;
import flopcast.analytic.SoftCap;
import flopcast.analytic.ShapeKey;
import flopcast.analytic.TrainingPlan;
import flopcast.analytic.TrainingTime;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code predict}'s answer first: what was assumed, whether it fits and the largest batch, memory
 * and FLOPs, and the training time where the run fits, in at most {@link Summary#MAX_LINES} lines
 * of at most {@link Summary#WIDTH} columns. Every figure comes from {@link PredictAnswer}, which
 * the JSON {@code answer} object reads too. Checked by {@code PredictSummaryTest}.
 */
final class PredictSummary {

    private PredictSummary() {
    }

    /**
     * The summary, with the peak over the step's {@code timeline} where there is one (null: the seed's
     * accounting, or ranks); {@code detailFollows} drops the line that points to {@code --detail}.
     */
    static String render(PredictAnswer answer, StepTimeline timeline, Device device, boolean detailFollows) {
        Prediction prediction = answer.prediction();
        Shape shape = prediction.shape();
        boolean seedAccounting = prediction.accounting() == Accounting.SEED;
        DataParallelReport ranks = answer.ranks();
        Summary summary = new Summary("flopcast predict: " + prediction.accounting().cliName() + " accounting ("
                + (seedAccounting ? "the seed's tables as written" : "what measure executes and keeps") + ")");
        summary.line("model", model(shape) + ": " + grouped(prediction.parameters()) + " parameters");
        Experts experts = shape.architecture().experts();
        if (experts.active() && !seedAccounting) {
            summary.line("experts", experts.count() + " a block, " + experts.topK() + " a token"
                    + (experts.normalized() ? "" : " (gates unnormalized)")
                    + (experts.shared() ? ", and a shared expert " + experts.sharedFfn() + " wide" : "")
                    + (experts.dense().active() ? (experts.dense().layers().size() == 1 ? "; layer " : "; layers ")
                            + experts.dense().text() + " dense, "
                            + experts.dense().ffn() + " wide" : "") + ": "
                    + grouped(ParameterTensor.active(shape)) + " active parameters (what one token's forward reads;"
                    + " FLOPs count them, memory holds all " + grouped(prediction.parameters()) + "); no expert"
                    + " parallelism: every rank runs every expert, sharded as any weight");
        }
        FrozenLayers range = shape.settings().frozenLayers();
        if (!shape.settings().frozen().isEmpty() || range.active()) {
            List<String> frozen = new ArrayList<>();
            if (!shape.settings().frozen().isEmpty()) {
                frozen.add(Settings.frozenNames(shape.settings().frozen()));
            }
            if (range.active()) {
                frozen.add((range.count() == 1 ? "block " : "blocks ") + range.text() + " of " + shape.layers());
            }
            summary.line("trains", grouped(ParameterTensor.trainable(shape)) + " parameters with gradients"
                    + (shape.policy().masterWeightBytes() > 0 ? ", master copies" : "") + " and AdamW state; frozen: "
                    + String.join("; ", frozen) + " (their weights alone)");
        }
        Lora lora = shape.settings().lora();
        if (lora.active()) {
            summary.line("trains", "LoRA adapters of rank " + lora.rank() + " (alpha " + NumberText.plain(lora.alpha())
                    + ") on " + lora.targetNames() + " in every block: " + grouped(ParameterTensor.trainable(shape))
                    + " parameters with gradients" + (shape.policy().masterWeightBytes() > 0 ? ", master copies" : "")
                    + " and AdamW state; the model's weights frozen"
                    + (lora.nf4Base() ? ", its blocks' projections in NF4 (QLoRA: every weight takes "
                            + Capacity.humanBytes(ParameterTensor.totalWeightBytes(shape)) + ", the NF4 projections "
                            + Capacity.humanBytes(nf4Bytes(shape)) + " of it)" : ""));
        }
        summary.line("assumed", "policy " + shape.policy().cliName() + ", " + shape.attention().cliName()
                + " attention, recompute " + shape.recompute().cliName() + ", context " + shape.contextLength()
                + (ranks == null ? ", batch " : ", global batch ") + answer.globalBatch()
                + (answer.accumulationSteps() == 1 ? "" : " as " + sequences(answer.batchPerDevice()) + " a pass x "
                        + answer.accumulationSteps() + " accumulated" + (ranks == null ? "" : " x " + answer.devices()
                        + " ranks")));
        if (ranks != null) {
            DataParallel plan = ranks.plan();
            summary.line("ranks", plan.ranks() + " data-parallel ranks, " + plan.sharding().cliName() + " sharding, "
                    + sequences(answer.batchPerDevice()) + (answer.accumulationSteps() == 1 ? "" : " a pass")
                    + " each; memory and FLOPs are per rank");
        }
        summary.line("fits", fits(answer, timeline));
        summary.line("memory", memory(answer));
        if (timeline != null) {
            summary.line("peak", TimelineReport.peak(timeline, device));
        }
        summary.line("FLOPs", flops(answer));
        summary.line("time", time(answer));
        if (!detailFollows) {
            summary.line("detail", "--detail adds components, memory, FLOPs"
                    + (seedAccounting ? "" : ", kept tensors") + (ranks == null ? "" : ", each rank's state and traffic")
                    + (timeline == null ? "" : "; --timeline every phase"));
        }
        return summary.render();
    }

    /** Bytes of the weights stored in NF4 (QLoRA's projections). */
    private static long nf4Bytes(Shape shape) {
        long sum = 0;
        for (ParameterTensor row : ParameterTensor.values()) {
            if (row.nf4(shape)) {
                sum += row.weightBytes(shape);
            }
        }
        return sum;
    }

    /** V, T, L, d, h, d_ff (no B: the batch is an assumption) and h_kv, tied, bias, d_k, qk_norm, norm, norm_placement, soft-caps, mlp, positions, window where they
     * apply. */
    private static String model(Shape shape) {
        StringBuilder text = new StringBuilder();
        for (ShapeKey key : ShapeKey.values()) {
            if (key != ShapeKey.BATCH_SIZE) {
                text.append(text.length() == 0 ? "" : " ").append(key.symbol()).append('=').append(key.of(shape));
            }
        }
        if (shape.architecture().kvHeads() != shape.heads()) {
            text.append(' ').append(ShapeKey.KV_HEADS_SYMBOL).append('=').append(shape.architecture().kvHeads());
        }
        if (shape.architecture().tiedEmbeddings()) {
            text.append(' ').append(ShapeKey.TIED_WORD);
        }
        if (shape.architecture().bias() != LinearBias.NONE) {
            text.append(' ').append(LinearBias.KEY).append('=').append(shape.architecture().bias().cliName());
        }
        if (shape.architecture().headDim() != Architecture.HEAD_DIM_FROM_WIDTH) {
            text.append(' ').append(ShapeKey.HEAD_DIM_SYMBOL).append('=').append(shape.headDim());
        }
        if (shape.architecture().qkNorm() == QkNorm.HEAD) {
            text.append(' ').append(ShapeKey.QK_NORM_WORD);
        } else if (shape.architecture().qkNorm() == QkNorm.PROJECTION) {
            text.append(' ').append(ShapeKey.QK_NORM_WORD).append('=').append(QkNorm.PROJECTION.cliName());
        }
        if (shape.architecture().norm() != NormKind.RMS) {
            text.append(' ').append(NormKind.KEY).append('=').append(shape.architecture().norm().cliName());
        }
        if (shape.architecture().placement() != NormPlacement.PRE) {
            text.append(' ').append(NormPlacement.KEY).append('=').append(shape.architecture().placement().cliName());
        }
        SoftCap caps = shape.architecture().softCap();
        if (caps.capsAttention()) {
            text.append(' ').append(SoftCap.ATTENTION_KEY).append('=').append(NumberText.plain(caps.attention()));
        }
        if (caps.capsLogits()) {
            text.append(' ').append(SoftCap.LOGITS_KEY).append('=').append(NumberText.plain(caps.logits()));
        }
        if (shape.architecture().mlp() != MlpKind.SWIGLU) {
            text.append(' ').append(MlpKind.KEY).append('=').append(shape.architecture().mlp().cliName());
        }
        if (shape.architecture().positions() != Architecture.NO_POSITIONS) {
            text.append(' ').append(Shape.POSITIONS_KEY).append('=').append(shape.architecture().positions());
        }
        if (shape.architecture().slidingWindow() != Architecture.NO_WINDOW) {
            text.append(' ').append(ShapeKey.WINDOW_SYMBOL).append('=').append(shape.architecture().slidingWindow());
        }
        if (shape.architecture().windowPattern() != Architecture.WINDOW_EVERY_LAYER) {
            text.append(' ').append(Architecture.WINDOW_PATTERN_KEY).append('=')
                    .append(shape.architecture().windowPattern());
        }
        Experts experts = shape.architecture().experts();
        if (experts.active()) {
            text.append(' ').append(Experts.KEY).append('=').append(experts.count()).append(':').append(experts.topK());
            if (!experts.normalized()) {
                text.append(" gates=").append(Experts.UNNORMALIZED);
            }
            if (experts.shared()) {
                text.append(" shared_expert=").append(experts.sharedFfn());
            }
            if (experts.dense().active()) {
                text.append(' ').append(DenseLayers.KEY).append('=').append(experts.dense().text()).append(' ')
                        .append(DenseLayers.FFN_KEY).append('=').append(experts.dense().ffn());
            }
        }
        return text.toString();
    }

    /**
     * Whether the batch fits and the most that does: by the sum, or by the peak over the step
     * ({@code timeline}'s, whose fit the answer holds then: {@link PredictAnswer#byPeak}).
     */
    private static String fits(PredictAnswer answer, StepTimeline timeline) {
        MemoryPolynomial.BatchFit fit = answer.fit();
        boolean byPeak = answer.byPeak();
        if (fit == null) {
            return "not checked: give --device, --memory-gb or --memory-gib";
        }
        if (!fit.fixedPartFits()) {
            return "no, at any batch: " + fit.shortfall();
        }
        boolean perRank = answer.ranks() != null;
        String asked = perRank ? sequences(answer.batchPerDevice()) + " per rank" : "batch " + answer.batchPerDevice();
        String most = grouped(fit.batchSize()) + " (" + NumberText.fractionalBatch(fit.fractional()) + ")";
        String peak = byPeak ? " at its peak" : "";
        // by the peak, the capacity without its bytes: the peak line that follows gives them
        String capacity = byPeak ? amount(fit.capacity()) : fit.capacity().describe();
        if (answer.fits()) {
            return "yes, " + asked + " fits " + capacity + peak + ": at most " + most
                    + (perRank ? ", global " + grouped(answer.maxGlobalBatch()) : "");
        }
        MicroBatchPlan planned = answer.microBatchPlan();
        long needs = answer.memoryBytesPerDevice();
        return "no, " + asked + " needs " + Capacity.gigabytes(needs) + peak + "; "
                + capacity + " holds " + most + (planned == null ? "" : "; "
                        + AccumulationOptions.MICRO_BATCH + " " + planned.microBatch() + " (" + AccumulationOptions.GRAD_ACCUM
                        + " " + planned.passes() + ") fits");
    }

    /** {@code 80 GB}: a capacity as given, without its bytes. */
    static String amount(Capacity capacity) {
        return NumberText.plain(capacity.amount()) + " " + capacity.unit().symbol();
    }

    private static String memory(PredictAnswer answer) {
        long bytes = answer.sumBytesPerDevice();
        MemoryPolynomial polynomial = answer.polynomial();
        boolean perRank = answer.ranks() != null;
        boolean workspace = answer.prediction().memory().workspaceBytes() != null;
        if (answer.byPeak()) {
            // the answer is the peak's, on the next line; the sum in one line, its polynomial under --detail
            return grouped(bytes) + " bytes (" + Capacity.gigabytes(bytes) + ") at "
                    + (perRank ? sequences(answer.batchPerDevice()) + " per rank" : "batch " + answer.batchPerDevice())
                    + ", all alive at once (the sum)";
        }
        return grouped(bytes) + " bytes (" + Capacity.humanBytes(bytes) + ") at "
                + (perRank ? sequences(answer.batchPerDevice()) + " per rank" : "batch " + answer.batchPerDevice())
                + "\n= " + seed(BigInteger.valueOf(polynomial.fixedBytes())) + " + "
                + seed(BigInteger.valueOf(polynomial.perBatchElementBytes())) + " x B bytes"
                + (perRank ? ", B sequences per rank" : "") + (workspace ? "" : " (the seed counts no workspace)");
    }

    private static String flops(PredictAnswer answer) {
        FlopTotals flops = answer.prediction().flops();
        DataParallelReport ranks = answer.ranks();
        StringBuilder text = new StringBuilder();
        long passes = answer.accumulationSteps();
        text.append(seed(flops.step())).append(passes == 1 ? " a step" : " a pass").append(ranks == null ? "" : " per rank")
                .append(" (").append(grouped(flops.step())).append("): forward + backward matmuls")
                .append(ranks == null ? ", the model FLOPs" : "")
                .append(answer.prediction().shape().settings().freezes()
                        ? " (a frozen weight's backward: its input gradient only)" : "");

        if (flops.recompute() != null && flops.recompute().signum() > 0) {
            text.append("\n").append(seed(flops.hardware())).append(" with the recomputed matmuls (")
                    .append(String.format(Locale.ROOT, "%.4f", flops.hardwarePerModelFlop())).append(" x)");
            TrainingPlan plan = answer.plan();
            if (plan != null) {
                text.append(": HFU ").append(NumberText.percent(flops.hfu(plan.mfu()))).append(" at ")
                        .append(NumberText.percent(plan.mfu())).append(" MFU");
            }
        }
        if (passes > 1) {
            text.append("\n").append(seed(flops.step().multiply(BigInteger.valueOf(passes)))).append(" a step of ")
                    .append(passes).append(" accumulated passes").append(ranks == null ? "" : " per rank");
        }
        return text.toString();
    }

    private static String time(PredictAnswer answer) {
        if (answer.seconds() == null) {
            return "none: " + answer.noTimeReason();
        }
        TrainingPlan plan = answer.plan();
        String peak = NumberText.percent(plan.mfu()) + " MFU of " + NumberText.plain(plan.peakFlopsPerSecond() / 1e12)
                + " TFLOP/s (" + plan.precision().cliName() + (plan.device() == null ? ", given peak"
                : ", " + plan.device().cliName()) + ")";
        String total = grouped(answer.days(), 2) + " days (" + grouped(answer.seconds(), 2) + " s)";
        DataParallelReport ranks = answer.ranks();
        if (ranks == null) {
            TrainingTime time = plan.timeFor(answer.prediction().flops().step());
            Shape shape = answer.prediction().shape();
            // a step trains the batch's tokens: its micro-batch's times the accumulated passes
            long tokens = Math.multiplyExact(Math.multiplyExact(shape.batchSize(), plan.microBatches()),
                    shape.contextLength());
            return total + " = " + grouped(plan.steps()) + " steps of " + grouped(tokens) + " tokens x "
                    + (plan.microBatches() == 1 ? ""
                    : plan.microBatches() + " passes x ") + seed(answer.prediction().flops().step()) + " = "
                    + seed(time.totalFlops()) + " FLOPs at " + peak;
        }
        DataParallel.StepTime step = ranks.stepTime();
        int count = ranks.plan().ranks();
        String link = Device.linkName(count) + " at " + NumberText.plain(ranks.device().linkBytesPerSecond(count) / 1e9)
                + " GB/s";
        return total + " = " + grouped(plan.steps()) + " data-parallel steps of "
                + String.format(Locale.ROOT, "%.4f", step.stepSeconds()) + " s (the answer):"
                + String.format(Locale.ROOT, "\n= %.4f s compute at %s\n+ ", step.computeSeconds(), peak)
                + (ranks.plan().overlap()
                        ? String.format(Locale.ROOT, "%.4f s of %.4f s communication over %s not under compute",
                                step.exposedSeconds(), step.communicationSeconds(), link)
                        : String.format(Locale.ROOT, "%.4f s communication over %s, not overlapped",
                                step.exposedSeconds(), link));
    }
}
