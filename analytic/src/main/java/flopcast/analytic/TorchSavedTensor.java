package flopcast.analytic;

import static flopcast.analytic.Dim.B;
import static flopcast.analytic.Dim.D;
import static flopcast.analytic.Dim.D_FF;
import static flopcast.analytic.Dim.D_K;
import static flopcast.analytic.Dim.D_Q;
import static flopcast.analytic.Dim.H;
import static flopcast.analytic.Dim.T;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code pytorch} kept-tensor profile: what PyTorch 1.13's eager autograd saves for backward
 * when it runs {@code probes/torch/model.py}, one row per saved tensor storage, each naming the op
 * that saves it. It is not what the JVM model keeps: autograd saves an RMSNorm's input, its square,
 * its reciprocal RMS and its normalized rows (the JVM keeps the output and the reciprocal RMS),
 * copies Q, K and V into batched-matmul layout, keeps the causal mask, the 1 / sqrt(d_k) scalar and
 * the float32 log-probabilities, and saves the int64 token ids and targets. Parameters are saved
 * too, by reference, and are not counted here.
 * <pre>
 *   per RMSNorm        3 of B*T*d + B*T (input, square, normalized; rsqrt) + B*T*d (output, saved by the next matmuls)
 *   attention core     3 of B*h*T*d_k (batched copies of Q, K^T, V), B*h*T*T (softmax), T*T bool mask,
 *                      a float64 scalar; 2 int64 indices of h where h_kv &lt; h (repeat_interleave)
 *   per layer          + B*T*h*d_k (the heads' output, copied for the output projection) + 4 of B*T*d_ff
 *   once               B*T int64 token ids, B*T int64 targets, B*T*V float32 log-probabilities, a float32 scalar
 * </pre>
 * Selective recomputation ({@code torch.utils.checkpoint} around the core) saves none of the core's
 * rows, full recomputation (around each block) none of a layer's: the checkpoint holds its inputs
 * by reference, which saved-tensor hooks do not see. Activations are in the model's type (float32,
 * or bfloat16 under every bf16 policy, whose weights are bfloat16 too); the profile is for eager
 * attention (the probe's flash is PyTorch 2's scaled_dot_product_attention, which saves otherwise).
 * <p>Source: PyTorch autograd: PyTorch 1.13 {@code tools/autograd/derivatives.yaml} (what each op saves), as
 * counted by {@code probes/torch/probe.py} with {@code torch.autograd.graph.saved_tensors_hooks}.
 * Pinned by {@code TorchSavedTensorTest}.
 *
 * @param row         the tensor
 * @param region      what drops it: a recomputation mode that drops the region ({@link Recompute#dropped()})
 * @param groupedOnly true for a row saved only where h_kv &lt; h (repeat_interleave's indices)
 */
public record TorchSavedTensor(Row row, Region region, boolean groupedOnly) implements TensorSpec {

    /** The profile's name in predict's JSON. */
    public static final String PROFILE = "pytorch";

    /** The PyTorch release whose autograd the profile describes: another release may save otherwise. */
    public static final String TORCH_VERSION = "1.13";

    /** A row saved under every architecture. */
    public TorchSavedTensor(Row row, Region region) {
        this(row, region, false);
    }

    /** Every row, in forward order. */
    public static final List<TorchSavedTensor> ROWS = rows();

    private static List<TorchSavedTensor> rows() {
        List<TorchSavedTensor> rows = new ArrayList<>();
        rows.add(once("token_embedding.indices", Component.TOKEN_EMBEDDING, DataType.INT64, List.of(B, T),
                "embedding (its backward scatters by token id)"));
        norm(rows, "attention_norm", Component.RMSNORM, Scope.PER_LAYER, Region.LAYER,
                "the Q, K and V matmuls");
        rows.add(core("attention.query_batched", Component.ATTENTION_SCORES, DataType.FLOAT32, List.of(B, H, T, D_K),
                "bmm of Q K^T (matmul's copy of the heads' Q)", Region.CORE));
        rows.add(core("attention.key_batched", Component.ATTENTION_SCORES, DataType.FLOAT32, List.of(B, H, D_K, T),
                "bmm of Q K^T (matmul's copy of K^T, or a view of the repeated K)", Region.CORE));
        rows.add(core("attention.scale", Component.ATTENTION_SCORES, DataType.FLOAT64, List.of(),
                "div by sqrt(d_k) (the Python float as a 0-dimensional tensor)", Region.CORE));
        rows.add(core("attention.causal_mask", Component.ATTENTION_SOFTMAX, DataType.BOOL, List.of(T, T),
                "masked_fill", Region.CORE));
        rows.add(core("attention.probabilities", Component.ATTENTION_SOFTMAX, DataType.FLOAT32, List.of(B, H, T, T),
                "softmax (its result) and the bmm of P V", Region.CORE));
        rows.add(core("attention.value_batched", Component.ATTENTION_WEIGHTED_SUM, DataType.FLOAT32,
                List.of(B, H, T, D_K), "bmm of P V (matmul's copy of V, or a view of the repeated V)", Region.CORE));
        rows.add(core("attention.key_repeat_index", Component.ATTENTION_SCORES, DataType.INT64, List.of(H),
                "index_select inside repeat_interleave of K", Region.CORE, true));
        rows.add(core("attention.value_repeat_index", Component.ATTENTION_WEIGHTED_SUM, DataType.INT64, List.of(H),
                "index_select inside repeat_interleave of V", Region.CORE, true));
        rows.add(core("attention.heads_output", Component.OUTPUT_PROJECTION, DataType.FLOAT32, List.of(B, T, D_Q),
                "the output projection's mm (the heads' output, reshaped into a copy)", Region.LAYER));
        norm(rows, "ffn_norm", Component.RMSNORM, Scope.PER_LAYER, Region.LAYER, "the w1 and w3 matmuls");
        rows.add(core("ffn.w1_output", Component.FFN_SILU, DataType.FLOAT32, List.of(B, T, D_FF), "silu",
                Region.LAYER));
        rows.add(core("ffn.silu_output", Component.FFN_SILU, DataType.FLOAT32, List.of(B, T, D_FF),
                "mul of silu(x W1) and x W3", Region.LAYER));
        rows.add(core("ffn.w3_output", Component.FFN_SILU, DataType.FLOAT32, List.of(B, T, D_FF),
                "mul of silu(x W1) and x W3", Region.LAYER));
        rows.add(core("ffn.product", Component.FFN_W2, DataType.FLOAT32, List.of(B, T, D_FF), "the w2 matmul",
                Region.LAYER));
        norm(rows, "final_norm", Component.FINAL_RMSNORM, Scope.ONCE, Region.ONCE, "the LM head's matmul");
        rows.add(new TorchSavedTensor(new Row("loss.log_probabilities", Component.CROSS_ENTROPY, Scope.ONCE,
                DataType.FLOAT32, List.of(B, T, Dim.V), "log_softmax (its result) and nll_loss, on the logits cast"
                        + " to float32"), Region.ONCE));
        rows.add(once("loss.targets", Component.CROSS_ENTROPY, DataType.INT64, List.of(B, T), "nll_loss"));
        rows.add(new TorchSavedTensor(new Row("loss.total_weight", Component.CROSS_ENTROPY, Scope.ONCE,
                DataType.FLOAT32, List.of(), "nll_loss (the mean's divisor, float32)"), Region.ONCE));
        return List.copyOf(rows);
    }

    private static void norm(List<TorchSavedTensor> rows, String name, Component component, Scope scope,
            Region region, String nextMatmuls) {
        rows.add(new TorchSavedTensor(new Row(name + ".input", component, scope, DataType.FLOAT32, List.of(B, T, D),
                "pow (x^2) and mul (x * rsqrt)"), region));
        rows.add(new TorchSavedTensor(new Row(name + ".square", component, scope, DataType.FLOAT32, List.of(B, T, D),
                "mean over d (PyTorch 1.13 saves its input)"), region));
        rows.add(new TorchSavedTensor(new Row(name + ".rsqrt", component, scope, DataType.FLOAT32, List.of(B, T),
                "rsqrt (its result, [B, T, 1]) and mul (x * rsqrt)"), region));
        rows.add(new TorchSavedTensor(new Row(name + ".normalized", component, scope, DataType.FLOAT32,
                List.of(B, T, D), "mul by the gain"), region));
        rows.add(new TorchSavedTensor(new Row(name + ".output", component, scope, DataType.FLOAT32, List.of(B, T, D),
                nextMatmuls), region));
    }

    private static TorchSavedTensor once(String name, Component component, DataType type, List<Dim> dims,
            String savedBy) {
        return new TorchSavedTensor(new Row(name, component, Scope.ONCE, type, dims, savedBy), Region.ONCE);
    }

    private static TorchSavedTensor core(String name, Component component, DataType type, List<Dim> dims,
            String savedBy, Region region) {
        return core(name, component, type, dims, savedBy, region, false);
    }

    private static TorchSavedTensor core(String name, Component component, DataType type, List<Dim> dims,
            String savedBy, Region region, boolean groupedOnly) {
        return new TorchSavedTensor(new Row(name, component, Scope.PER_LAYER, type, dims, savedBy), region,
                groupedOnly);
    }

    /**
     * True where the profile describes {@code shape}'s run, under any policy: where the attention
     * kernel keeps the probabilities, as autograd's softmax does (the profile's core is eager
     * attention's; PyTorch 2's scaled_dot_product_attention saves otherwise), and there is no QK-norm
     * and no LayerNorm, learned positions or GELU MLP, whose saved tensors the profile has no rows for (its
     * norms are RMSNorm's, its positions rotary, its MLP SwiGLU).
     */
    public static boolean covers(Shape shape) {
        return shape.attention().keeps().contains(KeptActivation.ATTENTION_PROBABILITIES)
                && !shape.architecture().qkNorm() && shape.architecture().norm() == NormKind.RMS
                && shape.architecture().positions() == Architecture.NO_POSITIONS
                && shape.architecture().mlp() == MlpKind.SWIGLU;
    }

    /**
     * Instances the run saves: the scope's count, none where the recomputation mode drops the row's
     * region ({@link Recompute#dropped()}) or, for a grouped-only row, where h_kv = h.
     */
    @Override
    public long instances(Shape shape) {
        boolean kept = !shape.recompute().dropped().contains(region)
                && (!groupedOnly || shape.architecture().kvHeads() < shape.heads());
        return kept ? row.scope().instances(shape) : 0;
    }

    /** The log-probabilities and the loss's divisor are float32 whatever the model's type. */
    @Override
    public boolean float32UnderEveryPolicy() {
        return row.component() == Component.CROSS_ENTROPY;
    }

    /** Bytes the run saves for backward at {@code shape}: every row's instances. */
    public static long savedBytes(Shape shape) {
        long sum = 0;
        for (TorchSavedTensor tensor : ROWS) {
            sum = Math.addExact(sum, tensor.totalBytes(shape));
        }
        return sum;
    }
}
