package flopcast.cli;

import flopcast.analytic.Accounting;
import flopcast.analytic.DataParallel;
import flopcast.analytic.Framework;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.LossPrecision;
import flopcast.analytic.OptimizerStep;
import flopcast.analytic.Prediction;
import flopcast.analytic.StepTimeline;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code predict}'s step timeline ({@link StepTimeline}): {@code --timeline}, the framework whose
 * choices it follows and the three choices a person can override ({@code --gradients},
 * {@code --optimizer}, {@code --loss-precision}).
 */
final class TimelineOptions {

    static final String TIMELINE = "--timeline";
    static final String FRAMEWORK = "--framework";
    static final String OPTIMIZER = "--optimizer";
    static final String LOSS_PRECISION = "--loss-precision";

    @Mixin
    private GradientsOption gradients;

    @Option(names = TIMELINE, description = "After the summary, list every phase of the step with the bytes alive by"
            + " kind (table format; JSON and CSV carry the timeline wherever there is one: the complete"
            + " accounting).")
    boolean table;

    @Option(names = FRAMEWORK, paramLabel = "NAME", defaultValue = "flopcast", description = "Whose step the timeline"
            + " follows: flopcast (its executed model: gradients zeroed, AdamW fused, the loss in place in the"
            + " compute type), pytorch (PyTorch 2 eager: gradients set to none, AdamW foreach, the loss on float32"
            + " logits, autograd's saved tensors, DDP's bucket copy of the gradients), megatron (Megatron-Core with"
            + " Transformer Engine: its per-layer saved set, the float32 softmax it keeps, a zeroed gradient"
            + " buffer) or torchtitan (v0.2.2: its saved set and op-level selective recomputation, FSDP2's units)"
            + " (default: ${DEFAULT-VALUE}).")
    String framework;

    @Option(names = OPTIMIZER, paramLabel = "IMPL", description = "The AdamW implementation, by its temporaries:"
            + " fused (none), foreach (sqrt(v) of every tensor at once) or for-loop (a tensor's sqrt(v) twice"
            + " beside the tensor before's denominator)"
            + " (default: the framework's).")
    String optimizer;

    @Option(names = LOSS_PRECISION, paramLabel = "P", description = "The cross-entropy's type: fp32 (the logits cast"
            + " to float32 first) or compute (the compute type) (default: the framework's).")
    String lossPrecision;

    /** The framework and its choices, as given or by its defaults; one line naming the option otherwise. */
    StepTimeline.Options options() {
        Framework chosen = named(FRAMEWORK, () -> Framework.byName(framework));
        StepTimeline.Options options = StepTimeline.Options.of(chosen);
        if (gradients.given()) {
            options = options.withGradients(gradients.resolve());
        }
        if (optimizer != null) {
            options = options.withOptimizer(named(OPTIMIZER, () -> OptimizerStep.byName(optimizer)));
        }
        if (lossPrecision != null) {
            options = options.withLoss(named(LOSS_PRECISION, () -> LossPrecision.byName(lossPrecision)));
        }
        return options;
    }

    private static <T> T named(String option, java.util.function.Supplier<T> lookup) {
        try {
            return lookup.get();
        } catch (InvalidInputException e) {
            throw new InvalidInputException(option + " " + e.getMessage());
        }
    }

    /**
     * The timeline of {@code prediction}'s step of {@code microBatches} passes on the largest rank of
     * {@code plan} ({@link DataParallel#SINGLE} for one device); null under the seed's accounting (a sum by
     * its own definition), where {@code --timeline} is refused. The choices given are checked either way.
     */
    StepTimeline timeline(Prediction prediction, DataParallel plan, long microBatches) {
        StepTimeline.Options options = options();
        if (prediction.accounting() != Accounting.COMPLETE) {
            java.util.List<String> named = new java.util.ArrayList<>();
            if (table) {
                named.add(TIMELINE);
            }
            if (!framework.equals("flopcast")) {
                named.add(FRAMEWORK + " " + framework);
            }
            if (gradients.given()) {
                named.add(GradientsOption.GRADIENTS + " " + options.gradients().cliName());
            }
            if (optimizer != null) {
                named.add(OPTIMIZER + " " + optimizer);
            }
            if (lossPrecision != null) {
                named.add(LOSS_PRECISION + " " + lossPrecision);
            }
            String given = named.isEmpty() ? null : String.join(", ", named);
            if (given != null) {
                throw new InvalidInputException(given + " with --accounting seed: the seed counts one sum, not a"
                        + " step over time (allowed: --accounting complete)");
            }
            return null;
        }
        return StepTimeline.of(prediction.shape(), plan, microBatches, options);
    }
}
