package flopcast.analytic;

import static flopcast.analytic.Dim.D;
import static flopcast.analytic.Dim.D_FF;
import static flopcast.analytic.Dim.D_K;
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
 * (the query and key norms' gains), under LayerNorm its bias: 2*d a block and d once, with learned
 * positions a P x d table once, and under a GELU MLP no W3: 2*d*d_ff for 3*d*d_ff (and no W3 bias). The seed lists none, and its model has none.
 * Source: the seed's "Parameters" lines per component, plus the token embedding it omits.
 * Pinned by {@code CompleteAccountingTest}.
 */
public enum ParameterTensor implements TensorSpec {
    TOKEN_EMBEDDING_WEIGHT("token_embedding.weight", Component.TOKEN_EMBEDDING, Scope.ONCE, List.of(V, D)),
    ATTENTION_NORM_GAIN("attention_norm.gain", Component.RMSNORM, Scope.PER_LAYER, List.of(D)),
    QUERY_WEIGHT("attention.query.weight", Component.QKV_PROJECTION, Scope.PER_LAYER, List.of(D, D_Q)),
    KEY_WEIGHT("attention.key.weight", Component.QKV_PROJECTION, Scope.PER_LAYER, List.of(D, D_KV)),
    VALUE_WEIGHT("attention.value.weight", Component.QKV_PROJECTION, Scope.PER_LAYER, List.of(D, D_KV)),
    OUTPUT_WEIGHT("attention.output.weight", Component.OUTPUT_PROJECTION, Scope.PER_LAYER, List.of(D_Q, D)),
    FFN_NORM_GAIN("ffn_norm.gain", Component.RMSNORM, Scope.PER_LAYER, List.of(D)),
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
    QUERY_NORM_GAIN("attention.query_norm.gain", Component.QKV_PROJECTION, Kind.QK_NORM, List.of(D_K)),
    KEY_NORM_GAIN("attention.key_norm.gain", Component.QKV_PROJECTION, Kind.QK_NORM, List.of(D_K)),
    ATTENTION_NORM_BIAS("attention_norm.bias", Component.RMSNORM, Scope.PER_LAYER, Kind.LAYER_NORM, List.of(D)),
    FFN_NORM_BIAS("ffn_norm.bias", Component.RMSNORM, Scope.PER_LAYER, Kind.LAYER_NORM, List.of(D)),
    FINAL_NORM_BIAS("final_norm.bias", Component.FINAL_RMSNORM, Scope.ONCE, Kind.LAYER_NORM, List.of(D)),
    POSITION_EMBEDDING_WEIGHT("position_embedding.weight", Component.TOKEN_EMBEDDING, Scope.ONCE, Kind.POSITIONS,
            List.of(Dim.P, D));

    /** When a row is held: always, where its projections are biased, under QK-norm, LayerNorm, learned positions. */
    private enum Kind {
        ALWAYS,
        BIAS,
        QK_NORM,
        LAYER_NORM,
        POSITIONS
    }

    private final Row row;
    private final Kind kind;

    ParameterTensor(String tensorName, Component component, Scope scope, List<Dim> dims) {
        row = new Row(tensorName, component, scope, DataType.FLOAT32, dims,
                "forward, and backward's input gradient; AdamW updates it");
        kind = Kind.ALWAYS;
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
            default -> "added to the LayerNorm's output; AdamW updates it";
        });
        this.kind = kind;
    }

    /** True for a row that starts at 0: a projection's bias or a LayerNorm's (as PyTorch and HF initialize them). */
    public boolean startsAtZero() {
        return kind == Kind.BIAS || kind == Kind.LAYER_NORM;
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
        boolean held = switch (kind) {
            case ALWAYS -> true;
            case BIAS -> shape.architecture().bias().biases(component());
            case QK_NORM -> shape.architecture().qkNorm();
            case LAYER_NORM -> shape.architecture().norm() == NormKind.LAYER;
            case POSITIONS -> shape.architecture().positions() != Architecture.NO_POSITIONS;
        };
        // no W3 (nor its bias) where the component has no instance: a two-matrix GELU MLP
        return held && component().instances(shape) > 0 ? scope().instances(shape) : 0;
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

    /** P: every parameter of the model. */
    public static long total(Shape shape) {
        long sum = 0;
        for (ParameterTensor tensor : values()) {
            sum = Math.addExact(sum, tensor.totalElements(shape));
        }
        return sum;
    }
}
