package flopcast.analytic;

/**
 * The blocks' MLP:
 * <ul>
 * <li>{@code swiglu}: W2 (SiLU(x W1) * x W3), three matrices (Llama, Mistral, Qwen, the seed);
 * <li>{@code geglu}: W2 (GELU(x W1) * x W3), three matrices, GELU in its tanh form (Gemma's
 * {@code gelu_pytorch_tanh}); it keeps what SwiGLU keeps, the activation's output in SiLU's row;
 * <li>{@code gelu}: W2 GELU(x W1), two matrices, GELU in its tanh form 0.5 a (1 + tanh(sqrt(2/pi)
 * (a + 0.044715 a^3))) (GPT-2's {@code gelu_new}, StarCoder's {@code gelu_pytorch_tanh}); W3 and its rows are
 * absent, and the activation keeps W1's output and its own.
 * </ul>
 * The activation's component keeps its name ({@code ffn_silu}) under each: it is the MLP's
 * elementwise activation, whichever kind.
 * <p>Source: analytic/SOURCES.md, "GELU MLP" and "GeGLU MLP". Pinned by {@code MlpKindTest}.
 */
public enum MlpKind {
    SWIGLU("swiglu"),
    GELU("gelu"),
    GEGLU("geglu");

    /** The JSON key of the MLP in a {@code settings} object, and the {@code --mlp} option's values' name. */
    public static final String KEY = "mlp";

    private final String cliName;

    MlpKind(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** Whether its activation gates a third matrix's output (W3): SwiGLU and GeGLU. */
    public boolean gated() {
        return this != GELU;
    }

    /** The kind named {@code name}, or a one-line error listing the names. */
    public static MlpKind byCliName(String name) {
        return Names.byName(values(), MlpKind::cliName, "mlp", name);
    }
}
