package flopcast.analytic;

/**
 * The blocks' and the final norm:
 * <ul>
 * <li>{@code rmsnorm}: y = x * r * g, r = 1 / sqrt(mean(x^2) + eps) (Llama, Mistral, Qwen, the seed);
 * it keeps r per row;
 * <li>{@code layernorm}: y = (x - mean(x)) * r * g + b, r = 1 / sqrt(var(x) + eps), with a bias b
 * (GPT-2, GPT-NeoX, OPT, Falcon); it keeps the mean and r per row and adds a d-wide bias to each norm.
 * </ul>
 * The component keeps its name ({@code rmsnorm}, {@code final_rmsnorm}) under either: it is the
 * blocks' norms and the final norm, whichever kind. QK-norm is an RMSNorm whatever this says.
 * <p>Source: analytic/SOURCES.md, "LayerNorm" (Ba et al. 2016; PyTorch's {@code nn.LayerNorm}).
 * Pinned by {@code NormKindTest}.
 */
public enum NormKind {
    RMS("rmsnorm"),
    LAYER("layernorm");

    /** The JSON key of the norm in a {@code settings} object, and the {@code --norm} option's values' name. */
    public static final String KEY = "norm";

    private final String cliName;

    NormKind(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** The kind named {@code name}, or a one-line error listing the names. */
    public static NormKind byCliName(String name) {
        return Names.byName(values(), NormKind::cliName, "norm", name);
    }
}
