package flopcast.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.Accounting;
import flopcast.analytic.MemoryPolynomial;
import flopcast.analytic.Prediction;
import flopcast.analytic.Shape;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code predict}: one accounting at one shape. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Parameters, memory (fixed + per-sequence), the largest batch that fits, FLOPs per step and"
                + " training time, per component, under the seed's or the complete accounting.",
                "Example: predict --preset gpt2-xl --accounting seed --batch 1024 --device a100-80gb --steps 400000"})
final class PredictCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private ShapeOptions shapeOptions;

    @Mixin
    private TargetOptions targetOptions;

    @Option(names = "--accounting", paramLabel = "A", defaultValue = "complete",
            description = "seed (the seed's tables as written) or complete (default: ${DEFAULT-VALUE}).")
    private String accounting;

    @Mixin
    private FormatOption format;

    @Override
    public Integer call() {
        Accounting chosen = Accounting.byName(accounting);
        OutputFormat output = format.resolve();
        Shape shape = shapeOptions.shape();
        TargetOptions.Target target = targetOptions.resolve(shape);
        Prediction prediction = chosen.predict(shape);
        MemoryPolynomial.BatchFit fit = target.capacity() == null ? null : prediction.fit(target.capacity());
        String text = switch (output) {
            case TABLE -> PredictTable.render(prediction, fit, target.plan());
            case JSON -> Json.write(PredictDocument.json(prediction, fit, target.plan()));
            case CSV -> {
                ObjectNode json = PredictDocument.json(prediction, fit, target.plan());
                yield PredictDocument.csv(json);
            }
        };
        spec.commandLine().getOut().print(text);
        return 0;
    }
}
