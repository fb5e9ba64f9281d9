package flopcast.analytic;

/**
 * A block projection a LoRA adapter can be attached to, by flopcast's name and the Hugging Face
 * (PEFT) module name it answers to for Llama-layout models. Each adapter adds y += s * (x A) B^T
 * beside the frozen projection's x W: A is in x r, B (stored out x r, as PEFT's
 * {@code lora_B.weight}) maps the r values back to the projection's output width, s = alpha / r.
 * The adapter reads the projection's own input, so it keeps that input (the {@link #input()} row)
 * where the frozen projection alone would not, plus its N x r hidden values for B's gradient.
 * <p>Source: LoRA (Hu et al. 2021, section 4.1; PEFT {@code LoraConfig}: module names
 * {@code q_proj} ... {@code down_proj}, the Llama default {@code q_proj, v_proj}). Pinned by
 * {@code LoraTest}.
 */
public enum LoraTarget {
    QUERY("query", "q_proj", Component.QKV_PROJECTION),
    KEY("key", "k_proj", Component.QKV_PROJECTION),
    VALUE("value", "v_proj", Component.QKV_PROJECTION),
    OUTPUT("output", "o_proj", Component.OUTPUT_PROJECTION),
    W1("w1", "gate_proj", Component.FFN_W1),
    W3("w3", "up_proj", Component.FFN_W3),
    W2("w2", "down_proj", Component.FFN_W2);

    private final String cliName;
    private final String moduleName;
    private final Component component;

    LoraTarget(String cliName, String moduleName, Component component) {
        this.cliName = cliName;
        this.moduleName = moduleName;
        this.component = component;
    }

    /** flopcast's name: the projection's tensor name without {@code attention.} or {@code ffn.}. */
    public String cliName() {
        return cliName;
    }

    /** The module name PEFT's {@code target_modules} uses for the projection in a Llama-layout model. */
    public String moduleName() {
        return moduleName;
    }

    /** The component whose forward matmul the adapter sits beside. */
    public Component component() {
        return component;
    }

    /** The frozen projection's weight, in x out. */
    public ParameterTensor base() {
        return switch (this) {
            case QUERY -> ParameterTensor.QUERY_WEIGHT;
            case KEY -> ParameterTensor.KEY_WEIGHT;
            case VALUE -> ParameterTensor.VALUE_WEIGHT;
            case OUTPUT -> ParameterTensor.OUTPUT_WEIGHT;
            case W1 -> ParameterTensor.W1_WEIGHT;
            case W3 -> ParameterTensor.W3_WEIGHT;
            case W2 -> ParameterTensor.W2_WEIGHT;
        };
    }

    /** The kept row the projection reads: its input, which the adapter's A gradient reads too. */
    public KeptActivation input() {
        return switch (this) {
            case QUERY, KEY, VALUE -> KeptActivation.ATTENTION_NORM_OUTPUT;
            case OUTPUT -> KeptActivation.ATTENTION_OUTPUT;
            case W1, W3 -> KeptActivation.FFN_NORM_OUTPUT;
            case W2 -> KeptActivation.GATED_PRODUCT;
        };
    }

    /** The projection's input width. */
    public Dim in() {
        return base().dims().get(0);
    }

    /** The projection's output width. */
    public Dim out() {
        return base().dims().get(1);
    }

    /**
     * Whether {@code shape}'s architecture has the projection: no W3 in a two-matrix GELU MLP. Under
     * experts each expert's W1, W3 and W2 carries an adapter of its own (PEFT wraps each expert's
     * {@code nn.Linear}), E a block.
     */
    public boolean heldBy(Shape shape) {
        return component.instances(shape) > 0;
    }

    /** True for W1, W3 and W2: the MLP's projections, each expert's under experts. */
    public boolean mlp() {
        return component == Component.FFN_W1 || component == Component.FFN_W3 || component == Component.FFN_W2;
    }

    /** The rows the adapter runs over a block: N, or N*k routed rows for the MLP's (k = 1 for a dense MLP). */
    public long rows(Shape shape) {
        return mlp() ? shape.routedTokens() : shape.tokens();
    }

    /**
     * The adapters a block's pass can read: the MLP's of min(E, N*k) experts (no more receive a token;
     * 1 for a dense MLP), one for the rest.
     */
    long adaptersRead(Shape shape) {
        return mlp() ? Math.min(shape.architecture().experts().instancesPerBlock(), rows(shape)) : 1;
    }

    /** The target named {@code name}, flopcast's or PEFT's, or a one-line error listing both. */
    public static LoraTarget byName(String name) {
        for (LoraTarget target : values()) {
            if (target.cliName.equals(name) || target.moduleName.equals(name)) {
                return target;
            }
        }
        throw new InvalidInputException("LoRA target '" + name + "' is not a block projection (allowed: "
                + names() + ")");
    }

    /** Every target as {@code query (q_proj)}, comma-separated, for messages and help. */
    public static String names() {
        StringBuilder text = new StringBuilder();
        for (LoraTarget target : values()) {
            text.append(text.length() == 0 ? "" : ", ").append(target.cliName).append(" (")
                    .append(target.moduleName).append(')');
        }
        return text.toString();
    }
}
