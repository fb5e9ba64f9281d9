package flopcast.analytic;

/**
 * Where a block's two sublayers, attention and MLP, have their norms; the final norm before the LM
 * head is there under each:
 * <ul>
 * <li>{@code pre}: x_mid = x + Attn(N(x)), x_out = x_mid + FFN(N(x_mid)) (GPT-2, Llama, Qwen, the seed);
 * each norm keeps its output, which the projections after it read, and its row statistics;
 * <li>{@code post}: x_mid = x + N(Attn(x)), x_out = x_mid + N(FFN(x_mid)) (OLMo 2: its
 * {@code post_attention_layernorm} and {@code post_feedforward_layernorm}, no norm before either
 * sublayer); each norm keeps its input, the output projection's or W2's output, and its statistics, and
 * the projections read the residual stream itself;
 * <li>{@code sandwich}: both, four norms a block, x_mid = x + N'(Attn(N(x))) (Gemma 2's
 * {@code input_layernorm}, {@code post_attention_layernorm}, {@code pre_feedforward_layernorm} and
 * {@code post_feedforward_layernorm}).
 * </ul>
 * A norm after a sublayer is an RMSNorm here: no published decoder puts a LayerNorm there.
 * <p>Source: analytic/SOURCES.md, "Norm placement" (transformers' Olmo2DecoderLayer and
 * Gemma2DecoderLayer). Pinned by {@code NormPlacementTest}.
 */
public enum NormPlacement {
    PRE("pre"),
    POST("post"),
    SANDWICH("sandwich");

    /** The JSON key of the placement in a {@code settings} object, and the option's values' name. */
    public static final String KEY = "norm_placement";

    private final String cliName;

    NormPlacement(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** True where a norm sits before each sublayer: its output is the sublayer's input. */
    public boolean before() {
        return this != POST;
    }

    /** True where a norm sits after each sublayer: its output is what the residual stream adds. */
    public boolean after() {
        return this != PRE;
    }

    /** The norms of one block: 2, or 4 for a sandwich. */
    public long normsPerBlock() {
        return this == SANDWICH ? 4 : 2;
    }

    /** The placement named {@code name}, or a one-line error listing the names. */
    public static NormPlacement byCliName(String name) {
        return Names.byName(values(), NormPlacement::cliName, "norm placement", name);
    }
}
