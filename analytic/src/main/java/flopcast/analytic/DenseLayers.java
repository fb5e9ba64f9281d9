package flopcast.analytic;

import java.util.List;
import java.util.TreeSet;

/**
 * The layers of a mixture of experts whose MLP stays dense ({@code --dense-layers LIST --dense-ffn N}):
 * one MLP of the architecture's kind, {@code ffn} wide, in place of the router and experts, as
 * DeepSeek's first {@code first_k_dense_replace} layers, and Qwen2-MoE's and Qwen3-MoE's
 * {@code mlp_only_layers} and the layers {@code decoder_sparse_step} skips. A dense layer is counted as
 * a block of the dense model at that width ({@link Shape#block}): its parameters, kept tensors and
 * FLOPs; the model's totals sum the dense and the sparse blocks.
 * Source: analytic/SOURCES.md, "Dense layers among experts". Pinned by {@code DenseLayersTest}.
 *
 * @param layers the dense layers, 0-based, increasing, no repeats; empty for none
 * @param ffn    the dense MLP's width (the config's {@code intermediate_size}); 0 for none
 */
public record DenseLayers(List<Long> layers, long ffn) {
    /** Every layer sparse. */
    public static final DenseLayers NONE = new DenseLayers(List.of(), 0);
    /** The option that lists the dense layers. */
    public static final String OPTION = "--dense-layers";
    /** The option that gives their MLP's width. */
    public static final String FFN_OPTION = "--dense-ffn";
    /** The describe token and JSON key of the dense layers. */
    public static final String KEY = "dense_layers";
    /** The describe token and JSON key of their width. */
    public static final String FFN_KEY = "dense_ffn";

    public DenseLayers {
        layers = List.copyOf(new TreeSet<>(layers));
        if (!layers.isEmpty() && layers.get(0) < 0) {
            throw new InvalidInputException(OPTION + " " + text(layers) + ": a layer is 0 or more");
        }
        if (layers.isEmpty() != (ffn == 0)) {
            throw new InvalidInputException(layers.isEmpty() ? FFN_OPTION + " " + ffn + " without dense layers"
                    + " (allowed: with " + OPTION + " LIST)" : OPTION + " " + text(layers) + " needs " + FFN_OPTION
                    + " N, the dense MLP's width (a config's intermediate_size)");
        }
        if (ffn < 0) {
            throw new InvalidInputException(FFN_OPTION + " " + ffn + " must be a positive integer");
        }
    }

    /**
     * The layers {@code text} lists (comma-separated layers and FIRST-LAST ranges, 0-based), in increasing
     * order without repeats, as {@link #layers()} holds them; a one-line error otherwise.
     */
    public static List<Long> parse(String text) {
        TreeSet<Long> layers = new TreeSet<>();
        try {
            for (String part : text.split(",")) {
                String trimmed = part.trim();
                int dash = trimmed.indexOf('-', 1);
                long first = Long.parseLong(dash < 0 ? trimmed : trimmed.substring(0, dash).trim());
                long last = dash < 0 ? first : Long.parseLong(trimmed.substring(dash + 1).trim());
                if (first < 0 || last < first || last - first > 1_000_000) {
                    throw new NumberFormatException(part);
                }
                for (long layer = first; layer <= last; layer++) {
                    layers.add(layer);
                }
            }
        } catch (NumberFormatException e) {
            throw new InvalidInputException(OPTION + " '" + text + "' is not a list of layers (allowed: 0-based"
                    + " layers and FIRST-LAST ranges, comma-separated, such as 0 or 0-2,5)");
        }
        return List.copyOf(layers);
    }

    public boolean active() {
        return !layers.isEmpty();
    }

    public boolean contains(long layer) {
        return java.util.Collections.binarySearch(layers, layer) >= 0;
    }

    /** A one-line error where a layer is past the model's {@code count}, or every layer is dense. */
    void requireWithin(long count) {
        if (!active()) {
            return;
        }
        long last = layers.get(layers.size() - 1);
        if (last >= count) {
            throw new InvalidInputException(OPTION + " " + text() + " names layer " + last + " of a model with "
                    + count + " layers (allowed: layers 0 to " + (count - 1) + ")");
        }
        if (layers.size() == count) {
            throw new InvalidInputException("dense layers " + text() + " (" + OPTION + ", or a config's"
                    + " mlp_only_layers and decoder_sparse_step) make every layer dense (allowed: leave some layer"
                    + " sparse, or a dense model without experts)");
        }
    }

    /** The layers as {@link #parse} reads them, runs as ranges: {@code 0-2,5}. */
    public String text() {
        return text(layers);
    }

    private static String text(List<Long> layers) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < layers.size(); i++) {
            int j = i;
            while (j + 1 < layers.size() && layers.get(j + 1) == layers.get(j) + 1) {
                j++;
            }
            text.append(text.length() == 0 ? "" : ",").append(layers.get(i));
            if (j > i) {
                text.append('-').append(layers.get(j));
            }
            i = j;
        }
        return text.toString();
    }
}
