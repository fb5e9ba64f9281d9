package flopcast.analytic;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which of a block's projections add a bias: y = x W + b, one b of the projection's output width.
 * The LM head never has one (neither GPT-2's nor any decoder here has).
 * <ul>
 * <li>{@code none}: no projection (Llama, Mistral, the seed);
 * <li>{@code qkv}: the query, key and value projections only (Qwen2 and Qwen2.5, which add them
 * without a config key saying so);
 * <li>{@code all}: every projection of the block, Q, K, V, the attention output and the MLP's
 * matrices (GPT-2; Llama's {@code attention_bias} and {@code mlp_bias} both true).
 * </ul>
 * A bias adds one float per output column to each forward row (N*out adds) and sums the output's
 * gradient over the rows into its own gradient in backward (N*out adds); it keeps no activation,
 * since its gradient reads only the output's gradient.
 * <p>Source: analytic/SOURCES.md, "Linear biases" (transformers' Qwen2Attention and GPT2Attention,
 * LlamaConfig's attention_bias and mlp_bias). Pinned by {@code LinearBiasTest}.
 */
public enum LinearBias {
    NONE("none", EnumSet.noneOf(Component.class)),
    QKV("qkv", EnumSet.of(Component.QKV_PROJECTION)),
    ALL("all", EnumSet.of(Component.QKV_PROJECTION, Component.OUTPUT_PROJECTION, Component.FFN_W1,
            Component.FFN_W3, Component.FFN_W2));

    /** The JSON key of the bias in a {@code settings} object, and the {@code --bias} option's values' name. */
    public static final String KEY = "bias";

    private final String cliName;
    private final Set<Component> biased;

    LinearBias(String cliName, Set<Component> biased) {
        this.cliName = cliName;
        this.biased = biased;
    }

    public String cliName() {
        return cliName;
    }

    /** Whether {@code component}'s projections add a bias. */
    public boolean biases(Component component) {
        return biased.contains(component);
    }

    /** The bias named {@code name}, or a one-line error listing the names. */
    public static LinearBias byCliName(String name) {
        return Names.byName(values(), LinearBias::cliName, "bias", name);
    }

    /** The names, for messages and help. */
    public static String names() {
        return Names.list(values(), LinearBias::cliName);
    }
}
