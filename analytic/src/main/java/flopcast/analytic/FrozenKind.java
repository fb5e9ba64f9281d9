package flopcast.analytic;

import java.util.Set;

/**
 * A kind of the model's parameters a run leaves frozen ({@code --freeze}): no gradient, no master copy,
 * no AdamW state, and no weight-gradient work; their weights stay in the policy's weight type. The
 * inputs of a frozen projection are kept only where something else reads them.
 * <ul>
 * <li>{@code embeddings}: the token embedding and a learned position table;
 * <li>{@code norms}: every norm's gain (and bias), QK-norm's gains included;
 * <li>{@code attention}: Q, K, V and the output projection, with their biases;
 * <li>{@code mlp}: W1, W3 and W2, with their biases (and a mixture of experts' router);
 * <li>{@code head}: the LM head (a tied head is the token embedding: freeze both or neither).
 * </ul>
 * <p>Source: LoRA (PyTorch's {@code requires_grad_(False)} and autograd's per-operand saves, as for LoRA's
 * frozen model). Pinned by {@code FreezeTest}.
 */
public enum FrozenKind {
    EMBEDDINGS("embeddings"),
    NORMS("norms"),
    ATTENTION("attention"),
    MLP("mlp"),
    HEAD("head");

    /** The JSON key of the frozen kinds in a {@code settings} object, and {@link Shape#describe()}'s word. */
    public static final String KEY = "freeze";

    private final String cliName;

    FrozenKind(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** The kind named {@code name}, or a one-line error listing the names. */
    public static FrozenKind byName(String name) {
        return Names.byName(values(), FrozenKind::cliName, "frozen kind", name);
    }

    public static String names() {
        return Names.list(values(), FrozenKind::cliName);
    }

    /** The kind of {@code row}; null for a LoRA adapter (LoRA decides those). */
    static FrozenKind of(ParameterTensor row) {
        if (row.isAdapter()) {
            return null;
        }
        return switch (row.component()) {
            case TOKEN_EMBEDDING -> EMBEDDINGS;
            case RMSNORM, FINAL_RMSNORM -> NORMS;
            case QKV_PROJECTION -> row == ParameterTensor.QUERY_NORM_GAIN || row == ParameterTensor.KEY_NORM_GAIN
                    ? NORMS : ATTENTION;
            case OUTPUT_PROJECTION -> ATTENTION;
            case ROUTER, FFN_W1, FFN_W3, FFN_W2 -> MLP;
            case OUTPUT_EMBEDDING -> HEAD;
            default -> throw new IllegalStateException("no kind for " + row.tensorName());
        };
    }

    /**
     * Whether {@code shape}'s run trains the parameters of this kind: not under LoRA, nor where frozen. A
     * {@code --freeze-layers} range ({@link FrozenLayers}) is not read: its blocks are {@link #trainsInBlocks}'.
     */
    public boolean trains(Shape shape) {
        Set<FrozenKind> frozen = shape.settings().frozen();
        return !shape.settings().lora().active() && !frozen.contains(this);
    }

    /**
     * Whether the blocks of {@code shape} train the parameters of this kind they hold: as {@link #trains}, and
     * not where a {@code --freeze-layers} range covers every block. Exact at a view of one kind of block
     * ({@link Shape#block}); at a shape whose range covers some blocks it says whether the others train.
     */
    public boolean trainsInBlocks(Shape shape) {
        return trains(shape) && !shape.settings().frozenLayers().coversAll(shape.layers());
    }
}
