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
 * too, by reference, and are not counted here. A bias's add saves nothing. Under LayerNorm the
 * mean and 1 / std are saved in the input's type on the CPU (checked there); PyTorch's CUDA kernel
 * keeps them in float32, 2*B*T*2 bytes more a norm under a bf16 policy, which no GPU run has checked.
 * <pre>
 *   per RMSNorm        3 of B*T*d + B*T (input, square, normalized; rsqrt) + B*T*d (output, saved by the next matmuls)
 *   per LayerNorm      B*T*d + 2 of B*T (input; mean, 1 / std) + B*T*d (output)
 *   norms after        per RMSNorm after a sublayer its 3 of B*T*d + B*T, no output (an add reads it); with no
 *                      norm before a sublayer its matmuls save the residual stream instead, B*T*d
 *   QK-norm            an RMSNorm's 3 rows of B*T*h*d_k (B*T*h_kv*d_k for K) and its rsqrt, B*T*h (B*T*h_kv)
 *                      per head or B*T over each projection
 *   attention core     3 of B*h*T*d_k (batched copies of Q, K^T, V), B*h*T*T (softmax), T*T bool mask,
 *                      a float64 scalar; 2 int64 indices of h where h_kv &lt; h (repeat_interleave)
 *   per layer          + B*T*h*d_k (the heads' output, copied for the output projection) + 4 of B*T*d_ff
 *                      (W1's output, the gate's two factors, the product; GELU's two matrices: 2 of them)
 *   soft-caps          per layer B*h*T*T (tanh of the scaled scores) and 2 float64 scalars; once B*T*V (tanh
 *                      of the logits) and 2 float64 scalars
 *   once               B*T int64 token ids, B*T int64 targets, B*T*V float32 log-probabilities, a float32 scalar;
 *                      T int64 position indices where the model has a learned position table
 *   experts, per layer B*T*E float32 (the router's softmax), B*T*k int64 (topk's indices), B*T*k + B*T float32
 *                      (the top k and their sum, divided), 2*B*T*k int64 (each expert's torch.where pairs),
 *                      B*T*k*d (the experts' gathered inputs), the MLP's rows above k times over, 2 of B*T*k*d and
 *                      B*T*k (each expert's output and gate, multiplied; the product, added into the output)
 * </pre>
 * Under experts ({@link Experts}) the MLP is transformers' {@code MixtralSparseMoeBlock} (softmax in
 * float32, topk, the top k divided by their sum, each expert's tokens found by torch.where, gathered,
 * run, multiplied by their gates and index_add_-ed into the output); the experts' rows add up over the
 * experts to B*T*k rows whatever the routing (an expert with no token saves empty tensors).
 * Under LoRA ({@link Lora}) or {@code --freeze} ({@link FrozenKind}) each row is saved only in the
 * blocks where the operand it serves needs a gradient ({@link Saver}); under LoRA each adapter saves its B*T*r hidden values and
 * its scale alpha / r (a float64 0-dimensional tensor).
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
 * @param condition   what the architecture must have for the row to be saved
 */
public record TorchSavedTensor(Row row, Region region, boolean groupedOnly, Condition condition, Saver saver)
        implements TensorSpec {

    /**
     * Which tensor's need for a gradient makes autograd save the row: under full training every row is
     * saved wherever its op runs; where parameters are frozen (LoRA's model, {@link Lora}, or the kinds
     * {@code --freeze} names, {@link FrozenKind}) an op saves an operand only for another operand that
     * needs a gradient (PyTorch's {@code should_compute_output} checks). Per block, with x its input
     * (block 0's: the embedding's output, needing a gradient only where the embeddings train; every
     * later block's: also where anything in block 0 trains):
     * <pre>
     *   h1 (the attention norm's output)  x or the norms train
     *   q, k, v    h1, the attention's weights, or an adapter on the projection     scores   q or k
     *   x_mid      x, the heads (scores or v), the attention's weights, or an adapter on the output
     *   h2         x_mid or the norms train         w1, w3   h2, the MLP's weights, or the projection's adapter
     * </pre>
     * RMSNorm's own rows are saved where its input needs a gradient; LayerNorm's (one op) also where its
     * gain does.
     */
    public enum Saver {
        /** Saved wherever the op runs (the loss's rows: the logits need a gradient wherever anything trains). */
        ALWAYS,
        /** The embeddings' indices: for the tables' gradients only. */
        TABLE_GRADIENT,
        /** A norm's normalized rows: for the gain's gradient only. */
        GAIN_GRADIENT,
        /** The block's input x: the attention RMSNorm's own rows. */
        BLOCK_INPUT,
        /** The query projection's output (QK-norm's input): the query norm's own rows. */
        QUERY_NORM,
        /** The key projection's output: the key norm's own rows. */
        KEY_NORM,
        /** The output projection's output: the norm after attention's own rows. */
        POST_ATTENTION,
        /** W2's output (the experts' combined): the norm after the MLP's own rows. */
        POST_FFN,
        /** The block's input x or the norms' gains: the attention LayerNorm's own rows. */
        BLOCK_INPUT_OR_NORMS,
        /** x_mid: the FFN RMSNorm's own rows. */
        MIDDLE,
        /** x_mid or the norms' gains: the FFN LayerNorm's own rows. */
        MIDDLE_OR_NORMS,
        /** The last block's output: the final RMSNorm's own rows. */
        FINAL_INPUT,
        /** The last block's output or the norms' gains: the final LayerNorm's own rows. */
        FINAL_INPUT_OR_NORMS,
        /** The attention norm's output: for Q, K, V's weight gradients, or an adapter on one of them. */
        QKV_READER,
        /** The heads' output: for the output projection's weight gradient, or its adapter. */
        OUTPUT_READER,
        /**
         * The FFN norm's output: for W1's and W3's weight gradients, or an adapter on one of them; under
         * experts, whose matmuls read the rows gathered from it, for the router's weight gradient alone.
         */
        W1_W3_READER,
        /** The rows gathered for the experts: for each expert's W1 and W3 weight gradients, or an adapter on one. */
        EXPERT_INPUT,
        /** The router's softmax, its top k and the experts' outputs: where the router's logits need a gradient. */
        ROUTER_LOGITS,
        /** The gates the experts' outputs are multiplied by: where those outputs need a gradient. */
        EXPERT_OUTPUT,
        /** The dispatch's indices and the index_add_ source: where the gates or the experts' outputs need one. */
        DISPATCH,
        /** The MLP's activation: for W2's weight gradient, or its adapter. */
        W2_READER,
        /** The final norm's output: for the LM head's weight gradient. */
        HEAD_READER,
        /** Q's copy, saved by Q K^T for dK: where k needs a gradient. */
        KEY_GRADIENT,
        /** K's copy, for dQ: where q needs one. */
        QUERY_GRADIENT,
        /** The scores' scale, mask and softmax, and V's copy (for dP): where the scores need a gradient. */
        SCORES_GRADIENT,
        /** The probabilities: softmax's result where the scores need a gradient, P V's operand for dV. */
        PROBABILITIES,
        /** V's repeat index: where v needs a gradient. */
        VALUE_GRADIENT,
        /** Saved by W1's activation (its input) or the product for W3x's gradient: where W1's output needs one. */
        W1_GRADIENT,
        /** The gate saved by the product for W3x's gradient's partner: where W3's output needs one. */
        W3_GRADIENT,
        /** An adapter's hidden values and scale, saved by its B and its mul: where its projection carries one. */
        ADAPTER;

        /**
         * Whether the row is saved in block {@code block} (L for a row outside the blocks) of a run that
         * freezes, whose input needs a gradient where {@code input} ({@link #inputs}).
         */
        boolean saves(Shape shape, long block, boolean input, LoraTarget target) {
            Lora lora = shape.settings().lora();
            boolean inBlock = block < shape.layers();
            Shape view = inBlock ? shape.block(block) : shape;
            // the final norm's gain is a norm of no block: the kind alone decides it
            boolean norms = inBlock ? FrozenKind.NORMS.trainsInBlocks(view) : FrozenKind.NORMS.trains(shape);
            boolean attention = FrozenKind.ATTENTION.trainsInBlocks(view);
            boolean mlp = FrozenKind.MLP.trainsInBlocks(view);
            boolean first = FrozenKind.EMBEDDINGS.trains(shape);
            Flow flow = Flow.of(view, input);
            return switch (this) {
                case ALWAYS -> true;
                case TABLE_GRADIENT -> first;
                case GAIN_GRADIENT -> norms;
                case BLOCK_INPUT, FINAL_INPUT -> input;
                case QUERY_NORM -> flow.queryPreNorm();
                case KEY_NORM -> flow.keyPreNorm();
                case POST_ATTENTION -> flow.attentionOutput();
                case POST_FFN -> flow.expertOutput();
                case BLOCK_INPUT_OR_NORMS, FINAL_INPUT_OR_NORMS -> input || norms;
                case MIDDLE -> flow.middle();
                case MIDDLE_OR_NORMS -> flow.middle() || norms;
                case QKV_READER -> attention || lora.adapts(LoraTarget.QUERY) || lora.adapts(LoraTarget.KEY)
                        || lora.adapts(LoraTarget.VALUE);
                case OUTPUT_READER -> attention || lora.adapts(LoraTarget.OUTPUT);
                case W1_W3_READER -> mlp || !shape.architecture().experts().active()
                        && (lora.adapts(LoraTarget.W1) || lora.adapts(LoraTarget.W3));
                case EXPERT_INPUT -> mlp || lora.adapts(LoraTarget.W1) || lora.adapts(LoraTarget.W3);
                case ROUTER_LOGITS -> flow.logits();
                case EXPERT_OUTPUT -> flow.expertOutput();
                case DISPATCH -> flow.logits() || flow.expertOutput();
                case W2_READER -> mlp || lora.adapts(LoraTarget.W2);
                case HEAD_READER -> FrozenKind.HEAD.trains(shape);
                case KEY_GRADIENT -> flow.k();
                case QUERY_GRADIENT -> flow.q();
                case SCORES_GRADIENT -> flow.q() || flow.k();
                case PROBABILITIES -> flow.q() || flow.k() || flow.v();
                case VALUE_GRADIENT -> flow.v();
                case W1_GRADIENT -> flow.w1();
                case W3_GRADIENT -> flow.w3();
                case ADAPTER -> lora.adapts(target);
            };
        }
    }

    /**
     * Which of a block's tensors need a gradient, from whether its input x does ({@link Saver}), wherever
     * its norms are ({@link NormPlacement}): h1 is x's norm (x itself with no norm before attention), the
     * queries and keys their projections' outputs or, under QK-norm, those normalized, p the output
     * projection's output and x_mid = x + p (or x + RMSNorm(p) with a norm after attention); the MLP's the
     * same from x_mid.
     *
     * @param queryPreNorm    the query projection's output (QK-norm's input)
     * @param keyPreNorm      the key projection's output
     * @param q               the queries
     * @param k               the keys
     * @param v               the values
     * @param attentionOutput p, the output projection's output
     * @param middle          x_mid, after attention's residual add
     * @param w1              W1's output
     * @param w3              W3's output
     * @param out             the block's output
     * @param logits          the router's logits (experts)
     * @param expertOutput    W2's output (the experts' W2 outputs under experts)
     */
    private record Flow(boolean queryPreNorm, boolean keyPreNorm, boolean q, boolean k, boolean v,
            boolean attentionOutput, boolean middle, boolean w1, boolean w3, boolean out, boolean logits,
            boolean expertOutput) {

        static Flow of(Shape shape, boolean x) {
            Lora lora = shape.settings().lora();
            boolean norms = FrozenKind.NORMS.trainsInBlocks(shape);
            boolean attention = FrozenKind.ATTENTION.trainsInBlocks(shape);
            boolean mlp = FrozenKind.MLP.trainsInBlocks(shape);
            NormPlacement placement = shape.architecture().placement();
            boolean qkNorm = shape.architecture().qkNorm().active();
            boolean h1 = x || placement.before() && norms;
            boolean queryPreNorm = h1 || attention || lora.adapts(LoraTarget.QUERY);
            boolean keyPreNorm = h1 || attention || lora.adapts(LoraTarget.KEY);
            boolean q = queryPreNorm || qkNorm && norms;
            boolean k = keyPreNorm || qkNorm && norms;
            boolean v = h1 || attention || lora.adapts(LoraTarget.VALUE);
            boolean p = q || k || v || attention || lora.adapts(LoraTarget.OUTPUT);
            boolean middle = x || p || placement.after() && norms;
            boolean h2 = middle || placement.before() && norms;
            boolean w1 = h2 || mlp || lora.adapts(LoraTarget.W1);
            boolean w3 = h2 || mlp || lora.adapts(LoraTarget.W3);
            boolean product = w1 || shape.architecture().mlp().gated() && w3;
            boolean expertOutput = product || mlp || lora.adapts(LoraTarget.W2);
            boolean out = middle || expertOutput || placement.after() && norms;
            // the router's logits x W_r: from the norm's output or the router's own weight
            return new Flow(queryPreNorm, keyPreNorm, q, k, v, p, middle, w1, w3, out, h2 || mlp, expertOutput);
        }
    }

    /** What the architecture must have for autograd to save the row. */
    public enum Condition {
        ALWAYS,
        RMS_NORM,
        LAYER_NORM,
        /** A norm before each sublayer ({@link NormPlacement#before()}): its output, saved by the matmuls after it. */
        PRE_NORM,
        /** An RMSNorm before each sublayer. */
        PRE_RMS_NORM,
        /** A LayerNorm before each sublayer. */
        PRE_LAYER_NORM,
        /** No norm before each sublayer: the residual stream saved by the matmuls reading it. */
        NO_PRE_NORM,
        /** A norm after each sublayer ({@link NormPlacement#after()}). */
        POST_NORM,
        /** QK-norm, per head or over each projection ({@link QkNorm}). */
        QK_NORM,
        /** SwiGLU: silu saves W1's output, the gate's product both its factors. */
        SWIGLU,
        /** GELU's two matrices or GeGLU: gelu saves W1's output. */
        GELU_ACTIVATION,
        /** GeGLU: the gate's product saves gelu's output and W3's. */
        GEGLU,
        POSITIONS,
        /** A mixture of experts ({@link Experts}). */
        EXPERTS,
        /** Experts whose top k are divided by their sum (Mixtral's; Qwen2-MoE's where norm_topk_prob). */
        NORMALIZED_GATES,
        /** A shared expert ({@link Experts#sharedFfn}). */
        SHARED_EXPERT,
        /** A shared expert of SwiGLU's kind. */
        SHARED_SWIGLU,
        /** A shared expert whose activation is GELU's (two matrices, or GeGLU). */
        SHARED_GELU_ACTIVATION,
        /** A shared expert of GeGLU's kind. */
        SHARED_GEGLU,
        /** Soft-capped attention scores ({@link SoftCap}). */
        ATTENTION_SOFTCAP,
        /** Soft-capped logits. */
        LOGIT_SOFTCAP;

        boolean holds(Architecture architecture) {
            return switch (this) {
                case ALWAYS -> true;
                case RMS_NORM -> architecture.norm() == NormKind.RMS;
                case LAYER_NORM -> architecture.norm() == NormKind.LAYER;
                case PRE_NORM -> architecture.placement().before();
                case PRE_RMS_NORM -> architecture.placement().before() && architecture.norm() == NormKind.RMS;
                case PRE_LAYER_NORM -> architecture.placement().before() && architecture.norm() == NormKind.LAYER;
                case NO_PRE_NORM -> !architecture.placement().before();
                case POST_NORM -> architecture.placement().after();
                case QK_NORM -> architecture.qkNorm().active();
                case SWIGLU -> architecture.mlp() == MlpKind.SWIGLU;
                case GELU_ACTIVATION -> architecture.mlp() != MlpKind.SWIGLU;
                case GEGLU -> architecture.mlp() == MlpKind.GEGLU;
                case POSITIONS -> architecture.positions() != Architecture.NO_POSITIONS;
                case EXPERTS -> architecture.experts().active();
                case NORMALIZED_GATES -> architecture.experts().active() && architecture.experts().normalized();
                case SHARED_EXPERT -> architecture.experts().shared();
                case SHARED_SWIGLU -> architecture.experts().shared() && architecture.mlp() == MlpKind.SWIGLU;
                case SHARED_GELU_ACTIVATION -> architecture.experts().shared() && architecture.mlp() != MlpKind.SWIGLU;
                case SHARED_GEGLU -> architecture.experts().shared() && architecture.mlp() == MlpKind.GEGLU;
                case ATTENTION_SOFTCAP -> architecture.softCap().capsAttention();
                case LOGIT_SOFTCAP -> architecture.softCap().capsLogits();
            };
        }
    }

    /** The profile's name in predict's JSON. */
    public static final String PROFILE = "pytorch";

    /** The PyTorch release whose autograd the profile describes: another release may save otherwise. */
    public static final String TORCH_VERSION = "1.13";

    /** A row saved under every architecture. */
    public TorchSavedTensor(Row row, Region region, Saver saver) {
        this(row, region, false, Condition.ALWAYS, saver);
    }

    /** A row saved where {@code condition} holds. */
    public TorchSavedTensor(Row row, Region region, Condition condition, Saver saver) {
        this(row, region, false, condition, saver);
    }

    /** Every row, in forward order. */
    public static final List<TorchSavedTensor> ROWS = rows();

    private static List<TorchSavedTensor> rows() {
        List<TorchSavedTensor> rows = new ArrayList<>();
        rows.add(once("token_embedding.indices", Component.TOKEN_EMBEDDING, DataType.INT64, List.of(B, T),
                "embedding (its backward scatters by token id)", Saver.TABLE_GRADIENT));
        rows.add(new TorchSavedTensor(new Row("position_embedding.indices", Component.TOKEN_EMBEDDING, Scope.ONCE,
                DataType.INT64, List.of(T), "embedding of the positions 0 to T - 1 (arange's int64 indices)"),
                Region.ONCE, Condition.POSITIONS, Saver.TABLE_GRADIENT));
        norm(rows, "attention_norm", Component.RMSNORM, Scope.PER_LAYER, Region.LAYER,
                "the Q, K and V matmuls", Saver.BLOCK_INPUT, Saver.BLOCK_INPUT_OR_NORMS, Saver.QKV_READER, true);
        rows.add(new TorchSavedTensor(new Row("attention.input", Component.QKV_PROJECTION, Scope.PER_LAYER,
                DataType.FLOAT32, List.of(B, T, D), "the Q, K and V matmuls (the block's input, no norm before"
                        + " them)"), Region.LAYER, Condition.NO_PRE_NORM, Saver.QKV_READER));
        rmsNorm(rows, "attention.query_norm", Component.QKV_PROJECTION, Scope.PER_LAYER, Region.LAYER,
                List.of(D_Q), List.of(Dim.QUERY_NORM_ROWS), Condition.QK_NORM, Saver.QUERY_NORM);
        rmsNorm(rows, "attention.key_norm", Component.QKV_PROJECTION, Scope.PER_LAYER, Region.LAYER,
                List.of(Dim.D_KV), List.of(Dim.KEY_NORM_ROWS), Condition.QK_NORM, Saver.KEY_NORM);
        rows.add(core("attention.query_batched", Component.ATTENTION_SCORES, DataType.FLOAT32, List.of(B, H, T, D_K),
                "bmm of Q K^T (matmul's copy of the heads' Q)", Region.CORE, Saver.KEY_GRADIENT));
        rows.add(core("attention.key_batched", Component.ATTENTION_SCORES, DataType.FLOAT32, List.of(B, H, D_K, T),
                "bmm of Q K^T (matmul's copy of K^T, or a view of the repeated K)", Region.CORE, Saver.QUERY_GRADIENT));
        rows.add(core("attention.scale", Component.ATTENTION_SCORES, DataType.FLOAT64, List.of(),
                "div by sqrt(d_k) (the Python float as a 0-dimensional tensor)", Region.CORE, Saver.SCORES_GRADIENT));
        softCap(rows, "attention", Component.ATTENTION_SOFTMAX, Scope.PER_LAYER, Region.CORE, List.of(B, H, T, T),
                Condition.ATTENTION_SOFTCAP, Saver.SCORES_GRADIENT);
        rows.add(core("attention.causal_mask", Component.ATTENTION_SOFTMAX, DataType.BOOL, List.of(T, T),
                "masked_fill", Region.CORE, Saver.SCORES_GRADIENT));
        rows.add(core("attention.probabilities", Component.ATTENTION_SOFTMAX, DataType.FLOAT32, List.of(B, H, T, T),
                "softmax (its result) and the bmm of P V", Region.CORE, Saver.PROBABILITIES));
        rows.add(core("attention.value_batched", Component.ATTENTION_WEIGHTED_SUM, DataType.FLOAT32,
                List.of(B, H, T, D_K), "bmm of P V (matmul's copy of V, or a view of the repeated V)", Region.CORE,
                Saver.SCORES_GRADIENT));
        rows.add(new TorchSavedTensor(new Row("attention.key_repeat_index", Component.ATTENTION_SCORES,
                Scope.PER_LAYER, DataType.INT64, List.of(H), "index_select inside repeat_interleave of K"),
                Region.CORE, true, Condition.ALWAYS, Saver.KEY_GRADIENT));
        rows.add(new TorchSavedTensor(new Row("attention.value_repeat_index", Component.ATTENTION_WEIGHTED_SUM,
                Scope.PER_LAYER, DataType.INT64, List.of(H), "index_select inside repeat_interleave of V"),
                Region.CORE, true, Condition.ALWAYS, Saver.VALUE_GRADIENT));
        rows.add(core("attention.heads_output", Component.OUTPUT_PROJECTION, DataType.FLOAT32, List.of(B, T, D_Q),
                "the output projection's mm (the heads' output, reshaped into a copy)", Region.LAYER,
                Saver.OUTPUT_READER));
        rmsNorm(rows, "attention_post_norm", Component.RMSNORM, Scope.PER_LAYER, Region.LAYER, List.of(D), List.of(),
                Condition.POST_NORM, Saver.POST_ATTENTION);
        norm(rows, "ffn_norm", Component.RMSNORM, Scope.PER_LAYER, Region.LAYER, "the w1 and w3 matmuls",
                Saver.MIDDLE, Saver.MIDDLE_OR_NORMS, Saver.W1_W3_READER, true);
        rows.add(new TorchSavedTensor(new Row("ffn.input", Component.FFN_W1, Scope.PER_LAYER, DataType.FLOAT32,
                List.of(B, T, D), "the w1 and w3 matmuls, or the router's (x_mid, no norm before them)"),
                Region.LAYER, Condition.NO_PRE_NORM, Saver.W1_W3_READER));
        // a mixture of experts as transformers' MixtralSparseMoeBlock runs it: the router, then each expert's tokens
        rows.add(experts("ffn.router.probabilities", Component.ROUTER, DataType.FLOAT32, List.of(B, T, Dim.E),
                "softmax over the E logits in float32 (its result)", Saver.ROUTER_LOGITS));
        rows.add(experts("ffn.router.top_indices", Component.ROUTER, DataType.INT64, List.of(B, T, Dim.K),
                "topk of the probabilities (its indices)", Saver.ROUTER_LOGITS));
        rows.add(new TorchSavedTensor(new Row("ffn.router.top_probabilities", Component.ROUTER, Scope.PER_LAYER,
                DataType.FLOAT32, List.of(B, T, Dim.K), "div of the top k by their sum (its dividend)"), Region.LAYER,
                false, Condition.NORMALIZED_GATES, Saver.ROUTER_LOGITS));
        rows.add(new TorchSavedTensor(new Row("ffn.router.top_sum", Component.ROUTER, Scope.PER_LAYER,
                DataType.FLOAT32, List.of(B, T), "div of the top k by their sum (its divisor, [B*T, 1])"),
                Region.LAYER, false, Condition.NORMALIZED_GATES, Saver.ROUTER_LOGITS));
        rows.add(experts("ffn.experts.token_indices", Component.ROUTER, DataType.INT64,
                List.of(B, T, Dim.K, Dim.PAIR), "torch.where over each expert's mask (nonzero's (token, choice)"
                        + " pairs, one storage an expert), by the index of the tokens, of the gates and index_add_",
                Saver.DISPATCH));
        rows.add(experts("ffn.experts.input", Component.FFN_W1, DataType.FLOAT32, List.of(B, T, Dim.K, D),
                "each expert's w1 and w3 matmuls (its tokens' rows, gathered by indexing), or their adapters'",
                Saver.EXPERT_INPUT));
        rows.add(mlp("ffn.w1_output", "silu", Condition.SWIGLU, Saver.W1_GRADIENT));
        rows.add(mlp("ffn.silu_output", "mul of silu(x W1) and x W3", Condition.SWIGLU, Saver.W3_GRADIENT));
        rows.add(mlp("ffn.w3_output", "mul of silu(x W1) and x W3", Condition.SWIGLU, Saver.W1_GRADIENT));
        rows.add(mlp("ffn.gelu_input", "gelu in its tanh form (W1's output)", Condition.GELU_ACTIVATION,
                Saver.W1_GRADIENT));
        rows.add(mlp("ffn.gelu_output", "mul of gelu(x W1) and x W3", Condition.GEGLU, Saver.W3_GRADIENT));
        rows.add(mlp("ffn.gelu_gated_w3_output", "mul of gelu(x W1) and x W3", Condition.GEGLU, Saver.W1_GRADIENT));
        rows.add(core("ffn.product", Component.FFN_W2, DataType.FLOAT32, List.of(B, T, Dim.K, D_FF), "the w2 matmul",
                Region.LAYER, Saver.W2_READER));
        rows.add(experts("ffn.experts.output", Component.FFN_W2, DataType.FLOAT32, List.of(B, T, Dim.K, D),
                "mul of each expert's W2 output by its gates", Saver.ROUTER_LOGITS));
        rows.add(experts("ffn.experts.gate", Component.FFN_W2, DataType.FLOAT32, List.of(B, T, Dim.K),
                "mul by the gates (each token's, indexed out of the gates cast to the model's type)",
                Saver.EXPERT_OUTPUT));
        rows.add(experts("ffn.experts.weighted_output", Component.FFN_W2, DataType.FLOAT32,
                List.of(B, T, Dim.K, D), "index_add_ into the block's output (its source, which autograd"
                        + " saves)", Saver.DISPATCH));
        // Qwen2-MoE's shared expert: sigmoid(h w_g) * shared(h), every token's, added to the routed output
        rows.add(shared("ffn.shared_expert.w1_output", "silu", Condition.SHARED_SWIGLU, Saver.W1_GRADIENT));
        rows.add(shared("ffn.shared_expert.silu_output", "mul of silu(x W1) and x W3", Condition.SHARED_SWIGLU,
                Saver.W3_GRADIENT));
        rows.add(shared("ffn.shared_expert.w3_output", "mul of silu(x W1) and x W3", Condition.SHARED_SWIGLU,
                Saver.W1_GRADIENT));
        rows.add(shared("ffn.shared_expert.gelu_input", "gelu in its tanh form (W1's output)",
                Condition.SHARED_GELU_ACTIVATION, Saver.W1_GRADIENT));
        rows.add(shared("ffn.shared_expert.gelu_output", "mul of gelu(x W1) and x W3", Condition.SHARED_GEGLU,
                Saver.W3_GRADIENT));
        rows.add(shared("ffn.shared_expert.gelu_gated_w3_output", "mul of gelu(x W1) and x W3",
                Condition.SHARED_GEGLU, Saver.W1_GRADIENT));
        rows.add(shared("ffn.shared_expert.product", "its w2 matmul", Condition.SHARED_EXPERT, Saver.W2_READER));
        // in the model's type (the router's rows are float32: its softmax runs in float32)
        rows.add(new TorchSavedTensor(new Row("ffn.shared_expert.gate", Component.FFN_W2, Scope.PER_LAYER,
                DataType.FLOAT32, List.of(B, T), "sigmoid of h w_g (its result) and the mul by the shared expert's"
                        + " output"), Region.LAYER, false, Condition.SHARED_EXPERT, Saver.ROUTER_LOGITS));
        rows.add(new TorchSavedTensor(new Row("ffn.shared_expert.output", Component.FFN_W2, Scope.PER_LAYER,
                DataType.FLOAT32, List.of(B, T, D), "the mul by the gate's sigmoid (for the gate's gradient)"),
                Region.LAYER, false, Condition.SHARED_EXPERT, Saver.ROUTER_LOGITS));
        for (LoraTarget target : LoraTarget.values()) {
            String adapter = ParameterTensor.loraA(target).tensorName();
            // under experts an MLP matrix's adapter runs once an expert (the block's loop calls every expert, its
            // scale saved each time), over its routed rows
            rows.add(new TorchSavedTensor(new Row(adapter + ".scale", Component.LORA, Scope.PER_LAYER,
                    DataType.FLOAT64, target.mlp() ? List.of(Dim.MLPS) : List.of(), "mul of x A by alpha / r (the"
                            + " Python float as a 0-dimensional tensor)"), Region.LAYER, false, Condition.ALWAYS,
                    Saver.ADAPTER));
            rows.add(new TorchSavedTensor(new Row(adapter + ".output", Component.LORA, Scope.PER_LAYER,
                    DataType.FLOAT32, target.mlp() ? List.of(B, T, Dim.K, Dim.R) : List.of(B, T, Dim.R),
                    "mm of the adapter's B (s * (x A))"), Region.LAYER, false, Condition.ALWAYS, Saver.ADAPTER));
        }
        rmsNorm(rows, "ffn_post_norm", Component.RMSNORM, Scope.PER_LAYER, Region.LAYER, List.of(D), List.of(),
                Condition.POST_NORM, Saver.POST_FFN);
        norm(rows, "final_norm", Component.FINAL_RMSNORM, Scope.ONCE, Region.ONCE, "the LM head's matmul",
                Saver.FINAL_INPUT, Saver.FINAL_INPUT_OR_NORMS, Saver.HEAD_READER, false);
        // in the model's type: the logits are capped before the loss casts them to float32
        softCap(rows, "lm_head", Component.OUTPUT_EMBEDDING, Scope.ONCE, Region.ONCE, List.of(B, T, Dim.V),
                Condition.LOGIT_SOFTCAP, Saver.ALWAYS);
        rows.add(new TorchSavedTensor(new Row("loss.log_probabilities", Component.CROSS_ENTROPY, Scope.ONCE,
                DataType.FLOAT32, List.of(B, T, Dim.V), "log_softmax (its result) and nll_loss, on the logits cast"
                        + " to float32"), Region.ONCE, Saver.ALWAYS));
        rows.add(once("loss.targets", Component.CROSS_ENTROPY, DataType.INT64, List.of(B, T), "nll_loss",
                Saver.ALWAYS));
        rows.add(new TorchSavedTensor(new Row("loss.total_weight", Component.CROSS_ENTROPY, Scope.ONCE,
                DataType.FLOAT32, List.of(), "nll_loss (the mean's divisor, float32)"), Region.ONCE, Saver.ALWAYS));
        return List.copyOf(rows);
    }

    /**
     * A norm's rows: RMSNorm's input, square, reciprocal RMS and normalized rows, or LayerNorm's input,
     * mean and reciprocal standard deviation (F.layer_norm's own saves; in the input's type on the CPU),
     * and the output either way.
     */
    private static void norm(List<TorchSavedTensor> rows, String name, Component component, Scope scope,
            Region region, String nextMatmuls, Saver own, Saver layerNormOwn, Saver output, boolean block) {
        rmsNorm(rows, name, component, scope, region, List.of(D), List.of(), block ? Condition.PRE_RMS_NORM
                : Condition.RMS_NORM, own);
        Condition layer = block ? Condition.PRE_LAYER_NORM : Condition.LAYER_NORM;
        rows.add(new TorchSavedTensor(new Row(name + ".layer_norm_input", component, scope, DataType.FLOAT32,
                List.of(B, T, D), "layer_norm (its input)"), region, layer, layerNormOwn));
        rows.add(new TorchSavedTensor(new Row(name + ".mean", component, scope, DataType.FLOAT32, List.of(B, T),
                "layer_norm (the rows' mean, [B, T, 1])"), region, layer, layerNormOwn));
        rows.add(new TorchSavedTensor(new Row(name + ".rstd", component, scope, DataType.FLOAT32, List.of(B, T),
                "layer_norm (the rows' 1 / std, [B, T, 1])"), region, layer, layerNormOwn));
        rows.add(new TorchSavedTensor(new Row(name + ".output", component, scope, DataType.FLOAT32, List.of(B, T, D),
                nextMatmuls), region, block ? Condition.PRE_NORM : Condition.ALWAYS, output));
    }

    /**
     * An RMSNorm's own rows over rows of {@code width} ({@code groups} of them a token, empty for one): its
     * input, square, reciprocal RMS and normalized rows (for the gain's gradient).
     */
    private static void rmsNorm(List<TorchSavedTensor> rows, String name, Component component, Scope scope,
            Region region, List<Dim> width, List<Dim> groups, Condition condition, Saver own) {
        List<Dim> values = new ArrayList<>(List.of(B, T));
        values.addAll(width);
        List<Dim> perRow = new ArrayList<>(List.of(B, T));
        perRow.addAll(groups);
        rows.add(new TorchSavedTensor(new Row(name + ".input", component, scope, DataType.FLOAT32, values,
                "pow (x^2) and mul (x * rsqrt)"), region, condition, own));
        // a block's norm over d, or QK-norm's over a head's or a projection's values
        boolean model = groups.isEmpty() && width.equals(List.of(D));
        rows.add(new TorchSavedTensor(new Row(name + ".square", component, scope, DataType.FLOAT32, values,
                model ? "mean over d (PyTorch 1.13 saves its input)" : "mean over the row (PyTorch 1.13 saves its"
                        + " input)"), region, condition, own));
        rows.add(new TorchSavedTensor(new Row(name + ".rsqrt", component, scope, DataType.FLOAT32, perRow,
                model ? "rsqrt (its result, [B, T, 1]) and mul (x * rsqrt)" : "rsqrt (its result, one a row) and"
                        + " mul (x * rsqrt)"), region, condition, own));
        rows.add(new TorchSavedTensor(new Row(name + ".normalized", component, scope, DataType.FLOAT32, values,
                "mul by the gain"), region, condition, Saver.GAIN_GRADIENT));
    }

    /**
     * A soft-cap's rows, cap * tanh(x / cap): the divisor and the multiplier (each the Python float as a
     * 0-dimensional float64 tensor, saved by div and mul for their input's gradient) and tanh's result.
     */
    private static void softCap(List<TorchSavedTensor> rows, String name, Component component, Scope scope,
            Region region, List<Dim> dims, Condition condition, Saver saver) {
        rows.add(new TorchSavedTensor(new Row(name + ".softcap_divisor", component, scope, DataType.FLOAT64, List.of(),
                "div by the cap (the Python float as a 0-dimensional tensor)"), region, false, condition, saver));
        rows.add(new TorchSavedTensor(new Row(name + ".softcap_tanh", component, scope, DataType.FLOAT32, dims,
                "tanh (its result)"), region, false, condition, saver));
        rows.add(new TorchSavedTensor(new Row(name + ".softcap_multiplier", component, scope, DataType.FLOAT64,
                List.of(), "mul by the cap (the Python float as a 0-dimensional tensor)"), region, false, condition,
                saver));
    }

    /** A B*T*d_ff row of the MLP's activation (B*T*k*d_ff under experts), saved where {@code condition} holds. */
    private static TorchSavedTensor mlp(String name, String savedBy, Condition condition, Saver saver) {
        return new TorchSavedTensor(new Row(name, Component.FFN_SILU, Scope.PER_LAYER, DataType.FLOAT32,
                List.of(B, T, Dim.K, D_FF), savedBy), Region.LAYER, false, condition, saver);
    }

    /** A B*T*d_sh row of a shared expert's MLP, saved where {@code condition} holds. */
    private static TorchSavedTensor shared(String name, String savedBy, Condition condition, Saver saver) {
        return new TorchSavedTensor(new Row(name, Component.FFN_SILU, Scope.PER_LAYER, DataType.FLOAT32,
                List.of(B, T, Dim.D_SH), savedBy), Region.LAYER, false, condition, saver);
    }

    /** A block's row saved only under experts, where {@code saver} says its op saves it. */
    private static TorchSavedTensor experts(String name, Component component, DataType type, List<Dim> dims,
            String savedBy, Saver saver) {
        return new TorchSavedTensor(new Row(name, component, Scope.PER_LAYER, type, dims, savedBy), Region.LAYER,
                false, Condition.EXPERTS, saver);
    }

    private static TorchSavedTensor once(String name, Component component, DataType type, List<Dim> dims,
            String savedBy, Saver saver) {
        return new TorchSavedTensor(new Row(name, component, Scope.ONCE, type, dims, savedBy), Region.ONCE, saver);
    }

    private static TorchSavedTensor core(String name, Component component, DataType type, List<Dim> dims,
            String savedBy, Region region, Saver saver) {
        return new TorchSavedTensor(new Row(name, component, Scope.PER_LAYER, type, dims, savedBy), region,
                false, Condition.ALWAYS, saver);
    }

    /**
     * True where the profile describes {@code shape}'s run, under any policy: where the attention
     * kernel keeps the probabilities, as autograd's softmax does (the profile's core is eager
     * attention's; PyTorch 2's scaled_dot_product_attention saves otherwise), d_k = d / h (the probe's
     * model builds no other) and the base is not NF4 (bitsandbytes' matmul saves otherwise, and the probe
     * does not build it).
     */
    public static boolean covers(Shape shape) {
        return shape.attention().keeps().contains(KeptActivation.ATTENTION_PROBABILITIES)
                && !shape.settings().lora().nf4Base()
                && shape.architecture().headDim() == Architecture.HEAD_DIM_FROM_WIDTH;
    }

    /**
     * Instances the run saves: the scope's count, none where the recomputation mode drops the row's
     * region ({@link Recompute#dropped()}) or, for a grouped-only row, where h_kv = h.
     */
    @Override
    public long instances(Shape shape) {
        return sum(shape, view -> 1);
    }

    /**
     * {@code each} of every saved instance, summed: at the shape for a row outside the blocks, at each block's
     * view for a block's row where blocks differ or the run freezes (a dense layer's MLP among experts holds
     * its own rows at its own width; a block below the first that trains saves nothing).
     */
    private long sum(Shape shape, java.util.function.ToLongFunction<Shape> each) {
        boolean outside = row.scope() == Scope.ONCE || row.scope() == Scope.ONCE_UNLESS_TIED;
        if (outside || !shape.mixedBlocks()) {
            if (!kept(shape)) {
                return 0;
            }
            if (!shape.settings().freezes()) {
                return saver == Saver.ADAPTER ? 0 : Math.multiplyExact(row.scope().instances(shape), each.applyAsLong(shape));
            }
        }
        LoraTarget target = adapted();
        boolean[] inputs = inputs(shape);
        if (outside) {
            long scope = row.scope().instances(shape);
            return scope > 0 && (target == null || target.heldBy(shape))
                    && saver.saves(shape, shape.layers(), inputs[inputs.length - 1], target)
                    ? Math.multiplyExact(scope, each.applyAsLong(shape)) : 0;
        }
        long sum = 0;
        for (int block = 0; block < shape.layers(); block++) {
            if (savedIn(shape, block, inputs, target)) {
                sum = Math.addExact(sum, each.applyAsLong(shape.block(block)));
            }
        }
        return sum;
    }

    /** Whether block {@code block} saves this row, its input needing a gradient as {@code inputs} says. */
    private boolean savedIn(Shape shape, int block, boolean[] inputs, LoraTarget target) {
        Shape view = shape.block(block);
        return kept(view) && (target == null || target.heldBy(view))
                && (shape.settings().freezes() ? saver.saves(shape, block, inputs[block], target) : saver != Saver.ADAPTER);
    }

    /**
     * Bytes block {@code block} saves of this row (none for a row outside the blocks): what
     * {@link #totalBytes} adds up over the blocks, one block at a time, for a step's timeline.
     */
    public long blockBytes(Shape shape, int block) {
        return blockBytes(shape)[block];
    }

    /** {@link #blockBytes(Shape, int)} of every block at once (which inputs need a gradient worked out once). */
    public long[] blockBytes(Shape shape) {
        long[] bytes = new long[Math.toIntExact(shape.layers())];
        if (row.scope() == Scope.ONCE || row.scope() == Scope.ONCE_UNLESS_TIED) {
            return bytes;
        }
        boolean[] inputs = inputs(shape);
        LoraTarget target = adapted();
        for (int block = 0; block < bytes.length; block++) {
            bytes[block] = savedIn(shape, block, inputs, target) ? bytes(shape.block(block), 1) : 0;
        }
        return bytes;
    }

    /**
     * Whether the run keeps the row at all: not where the recomputation mode drops its region
     * ({@link Recompute#dropped()}), where the architecture lacks it, or, for a grouped-only row, where h_kv = h.
     */
    private boolean kept(Shape shape) {
        return !shape.recompute().dropped().contains(region) && condition.holds(shape.architecture())
                && (!groupedOnly || shape.architecture().kvHeads() < shape.heads());
    }

    /**
     * Whether each block's input needs a gradient, the final norm's last: block 0's where the embeddings train,
     * each next one's where the block before it passes one on ({@link Flow}): autograd builds no graph below the
     * first block whose parameters train, so those blocks save nothing.
     */
    private static boolean[] inputs(Shape shape) {
        boolean[] inputs = new boolean[Math.toIntExact(shape.layers()) + 1];
        inputs[0] = FrozenKind.EMBEDDINGS.trains(shape);
        for (int block = 0; block < shape.layers(); block++) {
            inputs[block + 1] = Flow.of(shape.block(block), inputs[block]).out();
        }
        return inputs;
    }

    /** Elements of every saved instance, each at its block's width (a dense layer's among experts at its own). */
    @Override
    public long totalElements(Shape shape) {
        return sum(shape, this::elements);
    }

    @Override
    public long totalBytes(Shape shape) {
        return sum(shape, view -> bytes(view, 1));
    }

    /** The projection whose adapter saves the row (its hidden values); null for every other row. */
    private LoraTarget adapted() {
        if (saver != Saver.ADAPTER) {
            return null;
        }
        for (LoraTarget target : LoraTarget.values()) {
            if (row.tensorName().startsWith(ParameterTensor.loraA(target).tensorName() + ".")) {
                return target;
            }
        }
        throw new IllegalStateException("no adapter saves " + row.tensorName());
    }

    /**
     * The log-probabilities and the loss's divisor are float32 whatever the model's type, as are the
     * router's softmax and what it saves of the top k (Mixtral's softmax runs in float32).
     */
    @Override
    public boolean float32UnderEveryPolicy() {
        return row.component() == Component.CROSS_ENTROPY || row.component() == Component.ROUTER;
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
