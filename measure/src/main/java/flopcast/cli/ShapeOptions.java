package flopcast.cli;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Preset;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The model and batch, from {@code --preset} or every dimension. Each dimension's option is named by
 * {@link ShapeKey} and lands in one map by its key; positivity is {@link ShapeKey}'s rule, named by
 * the option.
 */
final class ShapeOptions {
    private final Map<ShapeKey, Long> given = new EnumMap<>(ShapeKey.class);

    @Option(names = "--preset", paramLabel = "NAME",
            description = "gpt2-small, gpt2-medium, gpt2-large or gpt2-xl (V=50257, T=1024, d_ff=4d).")
    String preset;

    @Option(names = ShapeKey.Cli.VOCAB, paramLabel = "V", description = "Vocabulary size.")
    void vocab(long value) {
        given.put(ShapeKey.VOCAB_SIZE, value);
    }

    @Option(names = ShapeKey.Cli.CONTEXT, paramLabel = "T", description = "Context length in tokens.")
    void context(long value) {
        given.put(ShapeKey.CONTEXT_LENGTH, value);
    }

    @Option(names = ShapeKey.Cli.LAYERS, paramLabel = "L", description = "Transformer blocks.")
    void layers(long value) {
        given.put(ShapeKey.NUM_LAYERS, value);
    }

    @Option(names = ShapeKey.Cli.D_MODEL, paramLabel = "d", description = "Model width.")
    void dModel(long value) {
        given.put(ShapeKey.D_MODEL, value);
    }

    @Option(names = ShapeKey.Cli.HEADS, paramLabel = "h", description = "Attention heads; must divide d.")
    void heads(long value) {
        given.put(ShapeKey.NUM_HEADS, value);
    }

    @Option(names = ShapeKey.Cli.D_FF, paramLabel = "d_ff", description = "FFN width.")
    void dFf(long value) {
        given.put(ShapeKey.D_FF, value);
    }

    @Option(names = ShapeKey.Cli.BATCH, paramLabel = "B", defaultValue = "1",
            description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    void batch(long value) {
        given.put(ShapeKey.BATCH_SIZE, value);
    }

    /** The shape asked for, or a one-line error naming what is missing, wrong or contradictory. */
    Shape shape() {
        given.forEach((key, value) -> key.requirePositive(value, key.option()));
        if (preset == null) {
            List<String> missing = model().stream().filter(key -> !given.containsKey(key)).map(ShapeKey::option)
                    .toList();
            if (!missing.isEmpty()) {
                throw new InvalidInputException("missing " + String.join(", ", missing)
                        + ": give every dimension, or --preset (" + Preset.names() + ")");
            }
            return ShapeKey.shape(given::get);
        }
        Shape fromPreset = Preset.byName(preset).shape(given.get(ShapeKey.BATCH_SIZE));
        for (ShapeKey key : model()) {
            Long value = given.get(key);
            if (value != null && value != key.of(fromPreset)) {
                throw new InvalidInputException(key.option() + " " + value + " contradicts --preset " + preset
                        + ", which has " + key.of(fromPreset) + "; drop one of them");
            }
        }
        return fromPreset;
    }

    /** The dimensions a preset fixes: all but the batch. */
    private static List<ShapeKey> model() {
        return List.of(ShapeKey.values()).stream().filter(key -> key != ShapeKey.BATCH_SIZE).toList();
    }
}
