package flopcast.cli;

import flopcast.analytic.Accounting;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Prediction;
import flopcast.analytic.StepTimeline;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code predict}'s step timeline ({@link StepTimeline}): {@code --gradients} and {@code --timeline}. */
final class TimelineOptions {

    static final String TIMELINE = "--timeline";

    @Mixin
    private GradientsOption gradients;

    @Option(names = TIMELINE, description = "After the summary, list every phase of the step with the bytes alive by"
            + " kind (table format; JSON and CSV carry the timeline wherever there is one: the complete accounting"
            + " on one device).")
    boolean table;

    /**
     * The timeline of {@code prediction}'s step of {@code microBatches} passes on one device; null under
     * the seed's accounting (a sum by its own definition) or over ranks (not modelled yet), where
     * {@code --timeline} is refused. The lifetime given is checked either way.
     */
    StepTimeline timeline(Prediction prediction, boolean ranks, long microBatches) {
        StepTimeline.Gradients lifetime = gradients.resolve();
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
