package flopcast.analytic;

import static flopcast.analytic.Dim.D;
import static flopcast.analytic.Dim.D_FF;
import static flopcast.analytic.Dim.D_KV;
import static flopcast.analytic.Dim.V;

import java.util.List;

/**
 * Every trained tensor of the complete model, one row each. Gradients, AdamW's m and v each have
 * one tensor of the same shape per row. Total:
 * <pre>
 *   P = 2*V*d + L*(2*d^2 + 2*d*h_kv*d_k + 3*d*d_ff + 2*d) + d      (4*d^2 per block where h_kv = h)
 * </pre>
 * less V*d where the LM head is tied to the token embedding (then it has no row instance: the head
 * multiplies by the embedding's transpose, and both uses' gradients accumulate into the
 * embedding's). Convention: no biases (the seed lists none).
 * Source: the seed's "Parameters" lines per component, plus the token embedding it omits.
 * Pinned by {@code CompleteAccountingTest}.
 */
public enum ParameterTensor implements TensorSpec {
    TOKEN_EMBEDDING_WEIGHT("token_embedding.weight", Component.TOKEN_EMBEDDING, Scope.ONCE, List.of(V, D)),
    ATTENTION_NORM_GAIN("attention_norm.gain", Component.RMSNORM, Scope.PER_LAYER, List.of(D)),
    QUERY_WEIGHT("attention.query.weight", Component.QKV_PROJECTION, Scope.PER_LAYER, List.of(D, D)),
    KEY_WEIGHT("attention.key.weight", Component.QKV_PROJECTION, Scope.PER_LAYER, List.of(D, D_KV)),
    VALUE_WEIGHT("attention.value.weight", Component.QKV_PROJECTION, Scope.PER_LAYER, List.of(D, D_KV)),
    OUTPUT_WEIGHT("attention.output.weight", Component.OUTPUT_PROJECTION, Scope.PER_LAYER, List.of(D, D)),
    FFN_NORM_GAIN("ffn_norm.gain", Component.RMSNORM, Scope.PER_LAYER, List.of(D)),
    W1_WEIGHT("ffn.w1.weight", Component.FFN_W1, Scope.PER_LAYER, List.of(D, D_FF)),
    W3_WEIGHT("ffn.w3.weight", Component.FFN_W3, Scope.PER_LAYER, List.of(D, D_FF)),
    W2_WEIGHT("ffn.w2.weight", Component.FFN_W2, Scope.PER_LAYER, List.of(D_FF, D)),
    FINAL_NORM_GAIN("final_norm.gain", Component.FINAL_RMSNORM, Scope.ONCE, List.of(D)),
    LM_HEAD_WEIGHT("lm_head.weight", Component.OUTPUT_EMBEDDING, Scope.ONCE_UNLESS_TIED, List.of(D, V));

    private final Row row;

    ParameterTensor(String tensorName, Component component, Scope scope, List<Dim> dims) {
        row = new Row(tensorName, component, scope, DataType.FLOAT32, dims,
                "forward, and backward's input gradient; AdamW updates it");
    }

    @Override
    public Row row() {
        return row;
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
