package flopcast.cli;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.StepTimeline;
import picocli.CommandLine.Option;

/**
 * {@code --gradients}: what a step's timeline assumes of the gradients between steps
 * ({@link StepTimeline.Gradients}), for {@code predict}'s peak and {@code train}'s counted timeline.
 */
final class GradientsOption {

    static final String GRADIENTS = "--gradients";

    @Option(names = GRADIENTS, paramLabel = "LIFETIME",
            description = "The gradients between steps, for the memory over the step: zeroed (in place, alive"
                    + " throughout) or set-to-none (PyTorch's zero_grad default: each written first by the backward"
                    + " op that accumulates into it, freed as the next step starts); train's pooled steps run it,"
                    + " and compute the same either way. Default: zeroed (predict: the --framework's).")
    String gradients;

    /** True where {@code --gradients} was given. */
    boolean given() {
        return gradients != null;
    }

    /** The lifetime given; one line naming the option and the allowed values otherwise. */
    StepTimeline.Gradients resolve() {
        try {
            return gradients == null ? StepTimeline.Gradients.ZEROED : StepTimeline.Gradients.byName(gradients);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(GRADIENTS + " " + e.getMessage());
        }
    }
}
