package flopcast.cli;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Preset;
import flopcast.analytic.Shape;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The model and batch, from {@code --preset} or every dimension. */
final class ShapeOptions {

    @Option(names = "--preset", paramLabel = "NAME",
            description = "gpt2-small, gpt2-medium, gpt2-large or gpt2-xl (V=50257, T=1024, d_ff=4d).")
    String preset;

    @Option(names = "--vocab", paramLabel = "V", description = "Vocabulary size.")
    Long vocab;

    @Option(names = "--context", paramLabel = "T", description = "Context length in tokens.")
    Long context;

    @Option(names = "--layers", paramLabel = "L", description = "Transformer blocks.")
    Long layers;

    @Option(names = "--d-model", paramLabel = "d", description = "Model width.")
    Long dModel;

    @Option(names = "--heads", paramLabel = "h", description = "Attention heads; must divide d.")
    Long heads;

    @Option(names = "--d-ff", paramLabel = "d_ff", description = "FFN width.")
    Long dFf;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1",
            description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    long batch;

    /** The shape asked for, or a one-line error naming what is missing, wrong or contradictory. */
    Shape shape() {
        List<Dimension> dimensions = List.of(
                new Dimension("--vocab", vocab), new Dimension("--context", context),
                new Dimension("--layers", layers), new Dimension("--d-model", dModel),
                new Dimension("--heads", heads), new Dimension("--d-ff", dFf));
        for (Dimension dimension : dimensions) {
            if (dimension.value != null) {
                requirePositive(dimension.option, dimension.value);
            }
        }
        requirePositive("--batch", batch);
        if (preset == null) {
            List<String> missing = new ArrayList<>();
            for (Dimension dimension : dimensions) {
                if (dimension.value == null) {
                    missing.add(dimension.option);
                }
            }
            if (!missing.isEmpty()) {
                throw new InvalidInputException("missing " + String.join(", ", missing)
                        + ": give every dimension, or --preset (" + Preset.names() + ")");
            }
            return new Shape(vocab, context, layers, dModel, heads, dFf, batch);
        }
        Shape fromPreset = Preset.byName(preset).shape(batch);
        long[] presetValues = {fromPreset.vocabSize(), fromPreset.contextLength(), fromPreset.layers(),
                fromPreset.dModel(), fromPreset.heads(), fromPreset.dFf()};
        for (int i = 0; i < dimensions.size(); i++) {
            Dimension dimension = dimensions.get(i);
            if (dimension.value != null && dimension.value != presetValues[i]) {
                throw new InvalidInputException(dimension.option + " " + dimension.value + " contradicts --preset "
                        + preset + ", which has " + presetValues[i] + "; drop one of them");
            }
        }
        return fromPreset;
    }

    private static void requirePositive(String option, long value) {
        if (value < 1) {
            throw new InvalidInputException(option + " must be a positive integer, got " + value);
        }
    }

    private record Dimension(String option, Long value) {
    }
}
