package flopcast.analytic;

import static flopcast.analytic.Dim.D;
import static flopcast.analytic.Dim.D_FF;
import static flopcast.analytic.Dim.D_KV;
import static flopcast.analytic.Dim.D_Q;
import static flopcast.analytic.Dim.V;

import java.util.List;

/**
 * Every trained tensor of the complete model, one row each. Gradients, AdamW's m and v each have
 * one tensor of the same shape per row. Total:
 * <pre>
 *   P = 2*V*d + L*(2*d*h*d_k + 2*d*h_kv*d_k + 3*d*d_ff + 2*d) + d      (4*d^2 per block where h_kv = h
 *                                                                      and d_k = d / h)
 * </pre>
 * less V*d where the LM head is tied to the token embedding (then it has no row instance: the head
 * multiplies by the embedding's transpose, and both uses' gradients accumulate into the
 * embedding's), plus the biases the architecture's {@link LinearBias} selects, one per biased
 * projection's output width: L*(d + 2*h_kv*d_k) under {@code qkv}, L*(3d + 2*h_kv*d_k + 2*d_ff)
 * under {@code all} (h*d_k for d in Q's bias where d_k is not d / h), and under QK-norm 2*d_k a block
 * (the query and key norms' gains; L*(h*d_k + h_kv*d_k) over each whole projection), with norms after
 * each sublayer 2*d a block (and none before under {@code post}: {@link NormPlacement}), under LayerNorm its bias: 2*d a block and d once, with learned
 * positions a P x d table once, and under a GELU MLP no W3: 2*d*d_ff for 3*d*d_ff (and no W3 bias). The seed lists none, and its model has none.
 * Under experts ({@link Experts}) W1, W3 and W2 are held E times a block, beside a d x E router:
 * P = ... + L*(E*3*d*d_ff + d*E) for the dense L*3*d*d_ff; the active parameters count k of the E;
 * a shared expert adds its MLP and gate, L*(3*d*d_sh + d), to both.
 * Under LoRA ({@link Lora}) each adapted projection adds A (in x r) and B (out x r) a block, the only
 * rows that train ({@link #trains}): P_t = L*r*(sum over targets of in + out).
 * Source: the seed's "Parameters" lines per component, plus the token embedding it omits.
 * Pinned by {@code CompleteAccountingTest}.
 */
public enum ParameterTensor implements TensorSpec {
    TOKEN_EMBEDDING_WEIGHT("token_embedding.weight", Component.TOKEN_EMBEDDING, Scope.ONCE, List.of(V, D)),
    ATTENTION_NORM_GAIN("attention_norm.gain", Component.RMSNORM, Scope.PER_LAYER, Kind.PRE_NORM, List.of(D)),
    QUERY_WEIGHT("attention.query.weight", Component.QKV_PROJECTION, Scope.PER_LAYER, List.of(D, D_Q)),
    KEY_WEIGHT("attention.key.weight", Component.QKV_PROJECTION, Scope.PER_LAYER, List.of(D, D_KV)),
    VALUE_WEIGHT("attention.value.weight", Component.QKV_PROJECTION, Scope.PER_LAYER, List.of(D, D_KV)),
    OUTPUT_WEIGHT("attention.output.weight", Component.OUTPUT_PROJECTION, Scope.PER_LAYER, List.of(D_Q, D)),
    FFN_NORM_GAIN("ffn_norm.gain", Component.RMSNORM, Scope.PER_LAYER, Kind.PRE_NORM, List.of(D)),
    W1_WEIGHT("ffn.w1.weight", Component.FFN_W1, Scope.PER_LAYER, List.of(D, D_FF)),
    W3_WEIGHT("ffn.w3.weight", Component.FFN_W3, Scope.PER_LAYER, List.of(D, D_FF)),
    W2_WEIGHT("ffn.w2.weight", Component.FFN_W2, Scope.PER_LAYER, List.of(D_FF, D)),
    FINAL_NORM_GAIN("final_norm.gain", Component.FINAL_RMSNORM, Scope.ONCE, List.of(D)),
    LM_HEAD_WEIGHT("lm_head.weight", Component.OUTPUT_EMBEDDING, Scope.ONCE_UNLESS_TIED, List.of(D, V)),
    QUERY_BIAS("attention.query.bias", Component.QKV_PROJECTION, Kind.BIAS, List.of(D_Q)),
    KEY_BIAS("attention.key.bias", Component.QKV_PROJECTION, Kind.BIAS, List.of(D_KV)),
    VALUE_BIAS("attention.value.bias", Component.QKV_PROJECTION, Kind.BIAS, List.of(D_KV)),
    OUTPUT_BIAS("attention.output.bias", Component.OUTPUT_PROJECTION, Kind.BIAS, List.of(D)),
    W1_BIAS("ffn.w1.bias", Component.FFN_W1, Kind.BIAS, List.of(D_FF)),
    W3_BIAS("ffn.w3.bias", Component.FFN_W3, Kind.BIAS, List.of(D_FF)),
    W2_BIAS("ffn.w2.bias", Component.FFN_W2, Kind.BIAS, List.of(D)),
    QUERY_NORM_GAIN("attention.query_norm.gain", Component.QKV_PROJECTION, Kind.QK_NORM,
            List.of(Dim.QUERY_NORM_WIDTH)),
    KEY_NORM_GAIN("attention.key_norm.gain", Component.QKV_PROJECTION, Kind.QK_NORM, List.of(Dim.KEY_NORM_WIDTH)),
    ATTENTION_NORM_BIAS("attention_norm.bias", Component.RMSNORM, Scope.PER_LAYER, Kind.LAYER_NORM, List.of(D)),
    FFN_NORM_BIAS("ffn_norm.bias", Component.RMSNORM, Scope.PER_LAYER, Kind.LAYER_NORM, List.of(D)),
    FINAL_NORM_BIAS("final_norm.bias", Component.FINAL_RMSNORM, Scope.ONCE, Kind.LAYER_NORM, List.of(D)),
    POSITION_EMBEDDING_WEIGHT("position_embedding.weight", Component.TOKEN_EMBEDDING, Scope.ONCE, Kind.POSITIONS,
            List.of(Dim.P, D)),
    QUERY_LORA_A("attention.query.lora_a", LoraTarget.QUERY, true),
    QUERY_LORA_B("attention.query.lora_b", LoraTarget.QUERY, false),
    KEY_LORA_A("attention.key.lora_a", LoraTarget.KEY, true),
    KEY_LORA_B("attention.key.lora_b", LoraTarget.KEY, false),
    VALUE_LORA_A("attention.value.lora_a", LoraTarget.VALUE, true),
    VALUE_LORA_B("attention.value.lora_b", LoraTarget.VALUE, false),
    OUTPUT_LORA_A("attention.output.lora_a", LoraTarget.OUTPUT, true),
    OUTPUT_LORA_B("attention.output.lora_b", LoraTarget.OUTPUT, false),
    W1_LORA_A("ffn.w1.lora_a", LoraTarget.W1, true),
    W1_LORA_B("ffn.w1.lora_b", LoraTarget.W1, false),
    W3_LORA_A("ffn.w3.lora_a", LoraTarget.W3, true),
    W3_LORA_B("ffn.w3.lora_b", LoraTarget.W3, false),
    W2_LORA_A("ffn.w2.lora_a", LoraTarget.W2, true),
    W2_LORA_B("ffn.w2.lora_b", LoraTarget.W2, false),
    /** A mixture of experts' router ({@link Experts}): one d x E matrix a block, no bias. */
    ROUTER_WEIGHT("ffn.router.weight", Component.ROUTER, Scope.PER_LAYER, Kind.EXPERTS, List.of(D, Dim.E)),
    /** A shared expert's matrices ({@link Experts#sharedFfn}): one MLP d_sh wide a block, beside the routed. */
    SHARED_W1_WEIGHT("ffn.shared_expert.w1.weight", Component.FFN_W1, Scope.PER_LAYER, Kind.SHARED_EXPERT,
            List.of(D, Dim.D_SH)),
    SHARED_W3_WEIGHT("ffn.shared_expert.w3.weight", Component.FFN_W3, Scope.PER_LAYER, Kind.SHARED_EXPERT,
            List.of(D, Dim.D_SH)),
    SHARED_W2_WEIGHT("ffn.shared_expert.w2.weight", Component.FFN_W2, Scope.PER_LAYER, Kind.SHARED_EXPERT,
            List.of(Dim.D_SH, D)),
    /** The shared expert's gate: its output is scaled by sigmoid(x w_g), w_g a d x 1 projection. */
    SHARED_GATE_WEIGHT("ffn.shared_expert.gate.weight", Component.ROUTER, Scope.PER_LAYER, Kind.SHARED_EXPERT,
            List.of(D, Dim.UNIT)),
    /** A norm after attention ({@link NormPlacement#after()}): its gain, on the output projection's output. */
    ATTENTION_POST_NORM_GAIN("attention_post_norm.gain", Component.RMSNORM, Scope.PER_LAYER, Kind.POST_NORM,
            List.of(D)),
    /** A norm after the MLP: its gain, on W2's output (the combined experts' under experts). */
    FFN_POST_NORM_GAIN("ffn_post_norm.gain", Component.RMSNORM, Scope.PER_LAYER, Kind.POST_NORM, List.of(D));

    /**
     * When a row is held: always, where its projections are biased, under QK-norm, LayerNorm, learned
     * positions, a norm before or after each sublayer ({@link NormPlacement}).
     */
    private enum Kind {
        ALWAYS,
        PRE_NORM,
        POST_NORM,
        BIAS,
        QK_NORM,
        LAYER_NORM,
        POSITIONS,
        LORA,
        EXPERTS,
        SHARED_EXPERT
    }

    private final Row row;
    private final Kind kind;
    /** The projection a LoRA row adapts; null for every other row. */
    private final LoraTarget target;

    ParameterTensor(String tensorName, Component component, Scope scope, List<Dim> dims) {
        row = new Row(tensorName, component, scope, DataType.FLOAT32, dims,
                "forward, and backward's input gradient; AdamW updates it");
        kind = Kind.ALWAYS;
        target = null;
    }

    /**
     * A LoRA adapter's matrix: A (in x r, {@code down} true) or B (out x r, stored as PEFT's
     * {@code lora_B.weight}), one per block where {@code target} carries an adapter (one per expert on an
     * expert's matrix).
     */
    ParameterTensor(String tensorName, LoraTarget target, boolean down) {
        row = new Row(tensorName, Component.LORA, Scope.PER_LAYER, DataType.FLOAT32,
                down ? List.of(target.base().dims().get(0), Dim.R) : List.of(target.base().dims().get(1), Dim.R),
                down ? "LoRA forward x A; backward's B gradient reads its output; AdamW updates it"
                        : "LoRA forward (x A) B^T; AdamW updates it");
        kind = Kind.LORA;
        this.target = target;
    }

    /** One per block where the architecture holds it: a bias, or a QK-norm gain over each head's d_k values. */
    ParameterTensor(String tensorName, Component component, Kind kind, List<Dim> dims) {
        this(tensorName, component, Scope.PER_LAYER, kind, dims);
    }

    /** A row the architecture holds or not: a projection's bias, a QK-norm gain, a LayerNorm's bias. */
    ParameterTensor(String tensorName, Component component, Scope scope, Kind kind, List<Dim> dims) {
        row = new Row(tensorName, component, scope, DataType.FLOAT32, dims, switch (kind) {
            case BIAS -> "added to the projection's output; AdamW updates it";
            case QK_NORM -> "QK-norm, multiplying every head's normalized rows; AdamW updates it";
            case POSITIONS -> "added to each position's token embeddings; AdamW updates it";
            case EXPERTS -> "the router's logits x W_r; AdamW updates it";
            case SHARED_EXPERT -> "the shared expert, every token's (its MLP, and its gate sigmoid(x w_g)); AdamW"
                    + " updates it";
            case PRE_NORM -> "forward, and backward's input gradient; AdamW updates it";
            case POST_NORM -> "the norm after the sublayer, multiplying its normalized output; AdamW updates it";
            default -> "added to the LayerNorm's output; AdamW updates it";
        });
        this.kind = kind;
        target = null;
    }

    /**
     * True for a row that starts at 0: a projection's bias or a LayerNorm's (as PyTorch and HF initialize
     * them), and a LoRA adapter's B (as LoRA and PEFT do, so that the adapted model starts as the model).
     */
    public boolean startsAtZero() {
        return kind == Kind.BIAS || kind == Kind.LAYER_NORM || kind == Kind.LORA && this == loraB(target);
    }

    @Override
    public Row row() {
        return row;
    }

    /** True for a bias row. */
    public boolean isBias() {
        return kind == Kind.BIAS;
    }

    /**
     * A bias row only where the architecture biases its component ({@link LinearBias}), a QK-norm gain
     * only under QK-norm; every other by its scope.
     */
    @Override
    public long instances(Shape shape) {
        if (scope() == Scope.PER_LAYER && shape.mixedBlocks()) {
            // dense layers among experts hold one MLP where the sparse hold E
            return shape.perBlock(this::blockInstances);
        }
        return blockInstances(shape);
    }

    /** {@link #instances} at a shape whose blocks are alike. */
    private long blockInstances(Shape shape) {
        boolean held = switch (kind) {
            case ALWAYS -> true;
            case PRE_NORM -> shape.architecture().placement().before();
            case POST_NORM -> shape.architecture().placement().after();
            case BIAS -> shape.architecture().bias().biases(component());
            case QK_NORM -> shape.architecture().qkNorm().active();
            case LAYER_NORM -> shape.architecture().norm() == NormKind.LAYER;
            case POSITIONS -> shape.architecture().positions() != Architecture.NO_POSITIONS;
            case LORA -> shape.settings().lora().adapts(target) && target.heldBy(shape);
            case EXPERTS -> shape.architecture().experts().active();
            case SHARED_EXPERT -> shape.architecture().experts().shared();
        };
        // no W3 (nor its bias) where the component has no instance: a two-matrix GELU MLP
        return held && component().instances(shape) > 0
                ? Math.multiplyExact(scope().instances(shape), perBlock(shape, false)) : 0;
    }

    /**
     * Copies a block holds (E for an expert's matrix under experts, else 1), or, {@code active}, the
     * copies one token's forward reads (k of the E).
     */
    private long perBlock(Shape shape, boolean active) {
        if (!expertRow()) {
            return 1;
        }
        Experts experts = shape.architecture().experts();
        return active ? experts.perToken() : experts.instancesPerBlock();
    }

    /**
     * True for an MLP matrix's row (W1, W3, W2, their biases, the adapters on them): one per expert under
     * experts.
     */
    private boolean expertRow() {
        Component component = component();
        return isAdapter() ? target.mlp() : kind != Kind.SHARED_EXPERT && (component == Component.FFN_W1
                || component == Component.FFN_W3 || component == Component.FFN_W2);
    }

    /** {@code target}'s adapter's A (in x r). */
    public static ParameterTensor loraA(LoraTarget target) {
        return values()[QUERY_LORA_A.ordinal() + 2 * target.ordinal()];
    }

    /** {@code target}'s adapter's B (out x r). */
    public static ParameterTensor loraB(LoraTarget target) {
        return values()[QUERY_LORA_B.ordinal() + 2 * target.ordinal()];
    }

    /** True for a LoRA adapter's A or B. */
    public boolean isAdapter() {
        return kind == Kind.LORA;
    }

    /** The projection a LoRA row adapts; null for a row of the model itself. */
    public LoraTarget loraTarget() {
        return target;
    }

    /**
     * Whether the step trains the row: every row but a frozen kind's ({@link FrozenKind}); under LoRA
     * ({@link Lora}) the adapters only. A block's row at a shape whose {@code --freeze-layers} range covers
     * some blocks says whether the others train ({@link #trainedInstances} counts by block).
     */
    public boolean trains(Shape shape) {
        if (isAdapter()) {
            return true;
        }
        FrozenKind frozenKind = FrozenKind.of(this);
        return scope() == Scope.PER_LAYER ? frozenKind.trainsInBlocks(shape) : frozenKind.trains(shape);
    }

    /** Instances the step trains: {@link #instances} where the row {@link #trains}, by block under a frozen range. */
    public long trainedInstances(Shape shape) {
        if (scope() != Scope.PER_LAYER) {
            return trains(shape) ? instances(shape) : 0;
        }
        return shape.perBlock(view -> trains(view) ? instances(view) : 0);
    }

    /** Elements the step trains, every instance: by block where blocks differ (a frozen range, dense layers). */
    public long trainedElements(Shape shape) {
        if (scope() != Scope.PER_LAYER) {
            return trains(shape) ? totalElements(shape) : 0;
        }
        return shape.perBlock(view -> trains(view) ? Math.multiplyExact(instances(view), elements(view)) : 0);
    }

    /** The bias rows of {@code component}'s projections, in the table's order (Q, K, V for QKV). */
    public static List<ParameterTensor> biasesOf(Component component) {
        return java.util.Arrays.stream(values()).filter(t -> t.isBias() && t.component() == component).toList();
    }

    /** The weights' type under {@code shape}'s policy (their gradients, master copy and moments: {@link PrecisionPolicy}). */
    @Override
    public DataType dataType(Shape shape) {
        return shape.policy().weightType();
    }

    /** The component the tensor belongs to. */
    public Component component() {
        return row.component();
    }

    /**
     * Whether the row is stored in NF4: a block projection's weight under QLoRA ({@link Lora#nf4Base}),
     * as bitsandbytes replaces each of the blocks' linear layers (a mixture of experts' router too); not
     * biases, norms, the embedding or the LM head.
     */
    public boolean nf4(Shape shape) {
        if (!shape.settings().lora().nf4Base()) {
            return false;
        }
        // no switch over this enum here: its switch map would read values() while the constants are built
        if (this == ROUTER_WEIGHT || kind == Kind.SHARED_EXPERT) {
            // transformers' bitsandbytes integration replaces every nn.Linear but the LM head: the gates and
            // the shared expert too
            return true;
        }
        for (LoraTarget target : LoraTarget.values()) {
            if (target.base() == this) {
                return true;
            }
        }
        return false;
    }

    /** Bytes of every instance's weights: NF4's ({@link Lora#nf4Bytes}) where {@link #nf4}, else the policy's type. */
    public long weightBytes(Shape shape) {
        if (scope() == Scope.PER_LAYER && shape.mixedBlocks()) {
            return shape.perBlock(this::weightBytes);
        }
        long instances = instances(shape);
        return nf4(shape) ? Math.multiplyExact(instances, Lora.nf4Bytes(elements(shape)))
                : Math.multiplyExact(totalElements(shape), shape.policy().weightBytes());
    }

    /** Bytes of every row's weights at {@code shape}: P times the weight type's bytes, less what NF4 saves. */
    public static long totalWeightBytes(Shape shape) {
        long sum = 0;
        for (ParameterTensor tensor : values()) {
            sum = Math.addExact(sum, tensor.weightBytes(shape));
        }
        return sum;
    }

    /** Bytes of the NF4 rows' weights ({@link #weightBytes} where {@link #nf4}); 0 without QLoRA. */
    public static long totalNf4Bytes(Shape shape) {
        long sum = 0;
        for (ParameterTensor tensor : values()) {
            if (tensor.nf4(shape)) {
                sum = Math.addExact(sum, tensor.weightBytes(shape));
            }
        }
        return sum;
    }

    /** P_t: the parameters the step trains (every one, or the adapters under LoRA). */
    public static long trainable(Shape shape) {
        long sum = 0;
        for (ParameterTensor tensor : values()) {
            sum = Math.addExact(sum, tensor.trainedElements(shape));
        }
        return sum;
    }

    /**
     * Active parameters: what one token's forward pass reads, P less the (E - k) experts a block it is
     * not routed to; P for a dense model.
     */
    public static long active(Shape shape) {
        long sum = 0;
        for (ParameterTensor tensor : values()) {
            if (tensor.scope() == Scope.PER_LAYER && shape.mixedBlocks()) {
                sum = Math.addExact(sum, shape.perBlock(tensor::activeElements));
            } else {
                sum = Math.addExact(sum, tensor.activeElements(shape));
            }
        }
        return sum;
    }

    /** Elements of the row one token's forward reads, every instance: k of an expert's E copies. */
    private long activeElements(Shape shape) {
        long instances = instances(shape);
        if (instances == 0) {
            return 0;
        }
        return Math.multiplyExact(elements(shape), instances / perBlock(shape, false) * perBlock(shape, true));
    }

    /** P: every parameter of the model. */
    public static long total(Shape shape) {
        long sum = 0;
        for (ParameterTensor tensor : values()) {
            sum = Math.addExact(sum, tensor.totalElements(shape));
        }
        return sum;
    }
}
