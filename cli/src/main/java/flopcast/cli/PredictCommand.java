package flopcast.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.Accounting;
import flopcast.analytic.DataParallel;
import flopcast.analytic.Framework;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.MemoryPolynomial;
import flopcast.analytic.MicroBatchPlan;
import flopcast.analytic.Prediction;
import flopcast.analytic.Settings;
import flopcast.analytic.StepTimeline;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code predict}: one accounting at one shape. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Whether a training run fits, its largest batch, memory, FLOPs per step and training time,"
                + " under the seed's or the complete accounting: a summary first; --detail adds every component,"
                + " kept tensor and rank.",
                "Example: predict --preset seed-gpt2-xl --accounting seed --batch 1024 --device a100-80gb --steps 400000"})
final class PredictCommand extends FormattedCommand {

    @Mixin
    private ShapeOptions shapeOptions;

    @Mixin
    private TargetOptions targetOptions;

    @Option(names = "--accounting", paramLabel = "A", defaultValue = "complete",
            description = "seed (the seed's tables as written) or complete (default: ${DEFAULT-VALUE}).")
    private String accounting;

    @Mixin
    private DataParallelOptions dataParallelOptions;

    @Mixin
    private AccumulationOptions accumulationOptions;

    @Mixin
    private DetailOption detail;

    @Mixin
    private TimelineOptions timelineOptions;

    @Spec
    private CommandSpec spec;

    @Override
    String render(OutputFormat output) {
        Accounting chosen = Accounting.byName(accounting);
        Shape shape = shapeOptions.shape();
        DataParallel dataParallel = dataParallelOptions.resolve();
        if (dataParallel != null && chosen != Accounting.COMPLETE) {
            throw new InvalidInputException(DataParallelOptions.DATA_PARALLEL + " " + dataParallel.ranks()
                    + " needs --accounting complete: the seed accounts for one device");
        }
        if (chosen == Accounting.SEED) {
            requireSeedsModel(shape);
        }
        if (dataParallel != null && shape.settings().freezes()) {
            // each rank would all-reduce the trained gradients only, and shard only their state: not counted yet
            String given = ShapeOptions.freezing(shape);
            throw new InvalidInputException(DataParallelOptions.DATA_PARALLEL + " " + dataParallel.ranks() + " with "
                    + given + ": data-parallel training of part of the model is not modelled (allowed: one device,"
                    + " or full training over ranks)");
        }
        if (!spec.commandLine().getParseResult().hasMatchedOption(ShapeKey.Cli.BATCH)) {
            // --micro-batch b and --grad-accum g without --batch: the global batch is b x g x N
            Long implied = accumulationOptions.impliedBatch(dataParallel == null ? 1 : dataParallel.ranks());
            if (implied != null) {
                shape = shape.withBatchSize(implied);
            }
        }
        long globalBatch = shape.batchSize();
        long globalTokens = shape.tokens();
        long perRank = dataParallel == null ? globalBatch : dataParallel.perRankBatch(globalBatch);
        MicroBatchPlan accumulation = accumulationOptions.resolve(perRank, dataParallel == null
                ? "--batch" : "the per-rank batch (--batch " + globalBatch + " over " + dataParallel.ranks() + " ranks)");
        long passes = accumulation == null ? 1 : accumulation.passes();
        shape = shape.withBatchSize(accumulation == null ? perRank : accumulation.microBatch());
        TargetOptions.Target target = targetOptions.resolve(shape, globalTokens).accumulating(passes);
        Prediction prediction = chosen.predict(shape);
        MemoryPolynomial.BatchFit sumFit = target.capacity() == null ? null : prediction.fit(target.capacity());
        DataParallelReport report = dataParallel == null ? null : DataParallelReport.of(dataParallel, globalBatch,
                prediction, target.capacity(), target.device(), target.plan(), passes);
        StepTimeline timeline = timelineOptions.timeline(prediction, dataParallel == null ? DataParallel.SINGLE
                : dataParallel, passes);
        // by the peak over the step wherever it differs from the sum's convention: a rank's gathers at their
        // moments, gradients set to none, a framework's temporaries; a pass among several by a step of two
        boolean byPeak = target.capacity() != null && timeline != null && (dataParallel != null
                || !timeline.options().equals(StepTimeline.Options.of(Framework.FLOPCAST)));
        MemoryPolynomial.BatchFit peakFit = byPeak ? timeline.fit(target.capacity(), prediction.fixedPartDescription())
                : null;
        MemoryPolynomial.BatchFit accumulatingFit = !byPeak ? null : passes > 1 ? peakFit
                : timeline.accumulatingFit(target.capacity(), prediction.fixedPartDescription());
        // max_batch: one device holding the whole model (the step's peak where the answer is by it)
        MemoryPolynomial.BatchFit deviceFit = byPeak && dataParallel == null ? peakFit : sumFit;
        PredictAnswer answer = byPeak ? PredictAnswer.byPeak(prediction, timeline.peak().live().total(), peakFit,
                accumulatingFit, target.plan(), report, passes) : PredictAnswer.of(prediction, sumFit, target.plan(),
                report, passes);
        return switch (output) {
            case TABLE -> PredictSummary.render(answer, timeline, target.device(), detail.detail) + (!detail.detail ? ""
                    : "\n" + PredictTable.render(prediction, deviceFit, target.plan(), dataParallel)
                            + (report == null ? "" : report.table()))
                    + (timelineOptions.table ? "\n" + TimelineReport.table(timeline, target.device()) : "");
            case JSON -> Json.write(json(prediction, deviceFit, target, report, answer, timeline));
            case CSV -> PredictDocument.csv(json(prediction, deviceFit, target, report, answer, timeline));
        };
    }

    /**
     * The seed counts one model: float32, eager attention, no recomputation, multi-head attention, an
     * untied head, RMSNorm and SwiGLU without biases or positions. A shape with other settings or
     * another architecture is refused in one line rather than shown with settings the count ignores
     * ({@code diff} sets the seed beside the complete accounting at any shape).
     */
    private static void requireSeedsModel(Shape shape) {
        if (!shape.settings().equals(Settings.DEFAULT)) {
            List<String> given = new ArrayList<>();
            if (shape.policy() != Settings.DEFAULT.policy()) {
                given.add("--precision-policy " + shape.policy().cliName());
            }
            if (shape.attention() != Settings.DEFAULT.attention()) {
                given.add("--attention " + shape.attention().cliName());
            }
            if (shape.recompute() != Settings.DEFAULT.recompute()) {
                given.add("--recompute " + shape.recompute().cliName());
            }
            if (shape.settings().lora().active()) {
                given.add(ShapeOptions.LORA_RANK + " " + shape.settings().lora().rank());
            }
            if (!shape.settings().frozen().isEmpty() || shape.settings().frozenLayers().active()) {
                given.add(ShapeOptions.freezing(shape));
            }
            throw new InvalidInputException("--accounting seed counts the seed's float32, eager attention and no"
                    + " recomputation, not " + String.join(", ", given) + " (allowed: --accounting complete, or diff to"
                    + " see what the seed misses)");
        }
        if (!shape.seedArchitecture()) {
            throw new InvalidInputException("--accounting seed counts the seed's one layout (multi-head attention, an"
                    + " untied head, RMSNorm and SwiGLU without biases, positions or a sliding window), not this shape's "
                    + shape.describe()
                    + " (allowed: --accounting complete, or diff to see what the seed misses)");
        }
    }

    private static ObjectNode json(Prediction prediction, MemoryPolynomial.BatchFit fit, TargetOptions.Target target,
            DataParallelReport report, PredictAnswer answer, StepTimeline timeline) {
        ObjectNode json = PredictDocument.json(prediction, fit, target.plan(), answer);
        if (report != null) {
            json.set("data_parallel", report.json());
        }
        PredictDocument.probeKeys(json, prediction, report == null ? null : report.plan(), target.plan());
        if (timeline != null) {
            ObjectNode node = TimelineReport.json(timeline, target.device());
            if (answer.byPeak()) {
                node.set("max_batch", answer.fit() == null ? null : PredictDocument.fitJson(answer.fit()));
            }
            json.set("timeline", node);
        }
        return json;
    }
}
