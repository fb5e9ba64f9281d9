package flopcast.cli;

import flopcast.analytic.Accounting;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Prediction;
import flopcast.analytic.StepTimeline;
import picocli.CommandLine.Option;

/** {@code --gradients}: what the step's timeline assumes of the gradients between steps ({@link StepTimeline}). */
final class TimelineOptions {

    static final String GRADIENTS = "--gradients";

    @Option(names = GRADIENTS, paramLabel = "LIFETIME", defaultValue = "zeroed",
            description = "The gradients between steps, for the memory peak over the step: zeroed (in place, alive"
                    + " throughout: flopcast's executed model) or set-to-none (PyTorch's zero_grad default: freed at"
                    + " the step's end, written again by the next backward pass). Default: ${DEFAULT-VALUE}.")
    String gradients;

    static final String TIMELINE = "--timeline";

    @Option(names = TIMELINE, description = "After the summary, list every phase of the step with the bytes alive by"
            + " kind (table format; JSON and CSV always carry the timeline).")
    boolean table;

    /** The gradient lifetime {@code --gradients} names; one line naming the option and the allowed values otherwise. */
    static StepTimeline.Gradients gradients(String name) {
        try {
            return StepTimeline.Gradients.byName(name);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(GRADIENTS + " " + e.getMessage());
        }
    }

    /**
     * The timeline of {@code prediction}'s step of {@code microBatches} passes on one device; null under
     * the seed's accounting (a sum by its own definition) or over ranks (not modelled yet). The option's
     * value is checked either way.
     */
    StepTimeline timeline(Prediction prediction, boolean ranks, long microBatches) {
        StepTimeline.Gradients lifetime = gradients(gradients);
        if (prediction.accounting() != Accounting.COMPLETE || ranks) {
            if (table) {
                throw new InvalidInputException(TIMELINE + " with " + (ranks ? "--data-parallel: a rank's timeline is not"
                        + " modelled yet" : "--accounting seed: the seed counts one sum, not a step over time")
                        + " (allowed: --accounting complete on one device)");
            }
            return null;
        }
        return StepTimeline.of(prediction.shape(), lifetime, microBatches);
    }
}
