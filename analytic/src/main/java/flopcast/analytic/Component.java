package flopcast.analytic;

/**
 * The components of the seed's model, in the seed's order, plus the token embedding the seed
 * leaves out. Names are stable: JSON, CSV and {@code diff} rows use {@link #jsonName()}.
 */
public enum Component {
    TOKEN_EMBEDDING("token_embedding", "Token embedding", Scope.ONCE),
    RMSNORM("rmsnorm", "RMSNorm (x2)", Scope.TWICE_PER_LAYER),
    QKV_PROJECTION("qkv_projection", "QKV projections", Scope.PER_LAYER),
    ATTENTION_SCORES("attention_scores", "Q K^T matmul", Scope.PER_LAYER),
    ATTENTION_SOFTMAX("attention_softmax", "Softmax", Scope.PER_LAYER),
    /**
     * The softmax (or flash's core) of the global layers beside windowed ones
     * ({@link Architecture#windowPattern()}): over every earlier key; none without a pattern.
     */
    ATTENTION_SOFTMAX_GLOBAL("attention_softmax_global", "Softmax (global layers)", Scope.PER_LAYER),
    ATTENTION_WEIGHTED_SUM("attention_weighted_sum", "Weighted sum of V", Scope.PER_LAYER),
    OUTPUT_PROJECTION("output_projection", "Output projection", Scope.PER_LAYER),
    /** A mixture of experts' router, top-k choice and combine ({@link Experts}); none for a dense MLP. */
    ROUTER("ffn_router", "MoE router", Scope.PER_LAYER),
    FFN_W1("ffn_w1", "FFN W1", Scope.PER_LAYER),
    FFN_W3("ffn_w3", "FFN W3", Scope.PER_LAYER),
    FFN_SILU("ffn_silu", "FFN SiLU", Scope.PER_LAYER),
    FFN_W2("ffn_w2", "FFN W2", Scope.PER_LAYER),
    /** The LoRA adapters of a block's projections ({@link Lora}); none where every parameter trains. */
    LORA("lora", "LoRA adapters", Scope.PER_LAYER),
    FINAL_RMSNORM("final_rmsnorm", "Final RMSNorm", Scope.ONCE),
    OUTPUT_EMBEDDING("output_embedding", "Output embedding (LM head)", Scope.ONCE),
    CROSS_ENTROPY("cross_entropy", "Cross-entropy", Scope.ONCE);

    private final String jsonName;
    private final String label;
    private final Scope scope;

    Component(String jsonName, String label, Scope scope) {
        this.jsonName = jsonName;
        this.label = label;
        this.scope = scope;
    }

    public String jsonName() {
        return jsonName;
    }

    /** The seed's heading for the component. */
    public String label() {
        return label;
    }

    public Scope scope() {
        return scope;
    }

    /**
     * Instances at {@code shape}: its scope's, but four a block of the blocks' norms in a sandwich
     * ({@link NormPlacement}), the softmax's split between the windowed and the global layers under a
     * window pattern ({@link Architecture#windowPattern()}), none of W3 under a two-matrix GELU MLP, of LoRA without
     * adapters, nor of the router without experts.
     */
    public long instances(Shape shape) {
        if (inBlock() && shape.mixedBlocks()) {
            // the router of the sparse layers only, among dense ones
            return shape.perBlock(this::blockInstances);
        }
        return blockInstances(shape);
    }

    /** {@link #instances} at a shape whose blocks are alike. */
    private long blockInstances(Shape shape) {
        if (this == RMSNORM) {
            return Math.multiplyExact(shape.architecture().placement().normsPerBlock(), shape.layers());
        }
        long global = shape.architecture().globalLayers(shape.layers());
        if (this == ATTENTION_SOFTMAX || this == ATTENTION_SOFTMAX_GLOBAL) {
            return this == ATTENTION_SOFTMAX ? shape.layers() - global : global;
        }
        boolean absent = this == FFN_W3 && !shape.architecture().mlp().gated()
                || this == LORA && !shape.settings().lora().active()
                || this == ROUTER && !shape.architecture().experts().active();
        return absent ? 0 : scope.instances(shape);
    }

    /**
     * Whether the component multiplies by a weight of the model that the step leaves frozen: a
     * projection's or the LM head's under LoRA, or of a frozen kind ({@link FrozenKind}). Its backward
     * computes the input's gradient only.
     */
    public boolean frozenWeights(Shape shape) {
        return switch (this) {
            case QKV_PROJECTION, OUTPUT_PROJECTION -> !FrozenKind.ATTENTION.trainsInBlocks(shape);
            case ROUTER, FFN_W1, FFN_W3, FFN_W2 -> !FrozenKind.MLP.trainsInBlocks(shape);
            case OUTPUT_EMBEDDING -> !FrozenKind.HEAD.trains(shape);
            default -> false;
        };
    }

    /** The component whose {@link #jsonName()} is {@code name}. */
    public static Component byJsonName(String name) {
        return Names.byName(values(), Component::jsonName, "component", name);
    }

    /** True for the components inside a transformer block. */
    public boolean inBlock() {
        return scope != Scope.ONCE;
    }
}
