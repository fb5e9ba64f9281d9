package flopcast.cli;

import flopcast.measure.run.BackendChoice;
import flopcast.calibration.csv.CsvColumn;
import flopcast.calibration.csv.CsvText;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import flopcast.analytic.StepTimeline;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.run.TrainRun;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train}: the complete model trained for real, its counts and heap beside the prediction. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains the complete model for real (float32 arithmetic; bfloat16 storage under a bf16"
                + " --precision-policy; on the chosen backend and threads) on"
                + " sequences whose next token only the context predicts, counting every FLOP it executes and"
                + " every kept float its backward pass reads, and measuring the live bytes its buffers hold;"
                + " prints whether they equal the complete accounting's prediction first; --detail adds each"
                + " count beside it.",
                "Example: train --vocab 4096 --context 128 --layers 2 --d-model 256 --heads 4 --d-ff 1024 --batch 4"})
final class TrainCommand extends FormattedCommand {
    static final List<CsvColumn> CSV_SCHEMA = List.of(
            new CsvColumn("quantity", "-", "the JSON path of the value"),
            new CsvColumn("value", "as the quantity", "the value"));

    /** The most micro-batches a step of {@code train} accumulates: each runs the whole model, so a step takes as many times longer. */
    static final long MAX_PASSES = 64;

    @Mixin
    private ShapeOptions shapeOptions;

    @Mixin
    private DetailOption detail;

    @Mixin
    private GradientsOption gradients;

    @Option(names = AccumulationOptions.GRAD_ACCUM, paramLabel = "g", defaultValue = "1",
            description = "Micro-batches a step accumulates, each of --batch sequences, before AdamW: the gradients"
                    + " summed over all, the counts a pass's times g (AdamW's once). Not with --profile."
                    + " Default: ${DEFAULT-VALUE}.")
    private long gradAccum;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "10",
            description = "Training steps to execute (default: ${DEFAULT-VALUE}).")
    private long steps;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed of the initial weights and the data (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "ejml",
            description = "Backend: ejml (the reference: EJML's matmuls, its concurrent ops above one thread, and plain"
                    + " Java loops) or vector (the Vector API GEMM and Vector API loops; the CLI adds --add-modules"
                    + " jdk.incubator.vector itself) (default: ${DEFAULT-VALUE}).")
    private String backend;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads the matmuls, the model's own loops and its attention heads are split across"
                    + " (default: every processor the JVM sees).")
    private Integer threads;

    @Option(names = "--profile",
            description = "After the summary, time every op inside the step itself, by op class and pass, over"
                    + " the second half of the steps (the first half warms up), and print where a step's time goes, with the remainder no class"
                    + " explains (needs --steps 2 or more).")
    private boolean profile;

    @Override
    String render(OutputFormat output) {
        Shape shape = shapeOptions.shape();
        if (steps < 1 || steps > Integer.MAX_VALUE) {
            throw new InvalidInputException("--steps must be an integer from 1 to " + Integer.MAX_VALUE + ", got "
                    + steps);
        }
        if (profile && steps < 2) {
            throw new InvalidInputException("--profile times the steps after the first (the warm-up): give --steps 2"
                    + " or more, got " + steps);
        }
        MatmulBackend matmuls = BackendChoice.of(backend,
                threads != null ? threads : Runtime.getRuntime().availableProcessors());
        long needed = TrainRun.predictedHeapBytes(shape);
        long available = Runtime.getRuntime().maxMemory();
        if (needed > available) {
            throw new InvalidInputException(String.format(Locale.ROOT, "this shape needs %,d bytes of buffers"
                    + " (predicted) but this JVM may use %,d: give it more, for example java -Xmx%dg -jar"
                    + " cli/target/flopcast.jar train ...", needed, available, needed / 1_000_000_000L * 5 / 4 + 1));
        }
        StepTimeline.Gradients lifetime = gradients.resolve();
        if (gradAccum < 1 || gradAccum > MAX_PASSES) {
            throw new InvalidInputException(AccumulationOptions.GRAD_ACCUM + " must be a whole number from 1 to "
                    + MAX_PASSES + ", got " + gradAccum);
        }
        if (gradAccum > 1 && profile) {
            throw new InvalidInputException(AccumulationOptions.GRAD_ACCUM + " " + gradAccum + " with --profile: the"
                    + " profile times one pass a step (allowed: --grad-accum 1 with --profile, or no --profile)");
        }
        TrainRun.Report report;
        try {
            report = TrainRun.run(shape, (int) steps, seed, matmuls, profile, (int) gradAccum, lifetime);
        } catch (OutOfMemoryError e) {
            throw new InvalidInputException(String.format(Locale.ROOT, "ran out of heap: the buffers need %,d bytes"
                    + " and the JVM may use %,d; give it more with java -Xmx...", needed, available));
        }
        return switch (output) {
            case TABLE -> TrainReport.summary(report, seed, matmuls, lifetime, detail.detail)
                    + (detail.detail ? "\n" + TrainReport.table(report) : "")
                    + report.profile().map(p -> "\n" + ProfileTable.render(p, matmuls)).orElse("");
            case JSON -> Json.write(TrainReport.json(report, seed, matmuls, lifetime));
            case CSV -> {
                ObjectNode json = TrainReport.json(report, seed, matmuls, lifetime);
                yield CsvText.write(CSV_SCHEMA, JsonRows.flatten(json));
            }
        };
    }
}
