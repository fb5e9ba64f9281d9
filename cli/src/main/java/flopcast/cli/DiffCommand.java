package flopcast.cli;

import flopcast.analytic.DenseLayers;
import flopcast.analytic.Diff;
import flopcast.analytic.DiffTerm;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code diff}: every term on which the seed and complete accountings disagree. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Every quantity on which the seed's accounting and the complete one disagree at one shape:"
                + " the main error and what it is worth in FLOPs, memory, batch and days first; --detail lists every"
                + " term with both values, their ratio and why. Terms that agree are not listed.",
                "Example: diff --preset seed-gpt2-xl --batch 1024 --device a100-80gb --steps 400000"})
final class DiffCommand extends FormattedCommand {

    @Mixin
    private ShapeOptions shapeOptions;

    @Mixin
    private TargetOptions targetOptions;

    @Mixin
    private DetailOption detail;

    @Override
    String render(OutputFormat output) {
        Shape shape = shapeOptions.shape();
        if (shape.settings().freezes()) {
            // the seed trains every parameter; its notes would explain a frozen model's terms wrongly
            String given = ShapeOptions.freezing(shape);
            throw new InvalidInputException("diff sets the seed beside full training, not " + given + " (allowed:"
                    + " predict " + given + " for its counts, or diff without it)");
        }
        if (shape.architecture().experts().dense().active()) {
            // the seed's one kind of block has no dense layers among experts to set beside
            throw new InvalidInputException("diff sets the seed beside one kind of block, not "
                    + DenseLayers.OPTION + " " + shape.architecture().experts().dense().text() + " (allowed: predict"
                    + " for its counts)");
        }
        TargetOptions.Target target = targetOptions.resolve(shape);
        List<DiffTerm> terms = Diff.between(shape, target.capacity(), target.plan());
        return switch (output) {
            case TABLE -> DiffReport.summary(shape, target.capacity(), target.plan(), terms, detail.detail)
                    + (detail.detail ? "\n" + DiffReport.table(shape, terms) : "");
            case JSON -> Json.write(DiffReport.json(shape, target.capacity(), target.plan(), terms));
            case CSV -> DiffReport.csv(terms);
        };
    }
}
