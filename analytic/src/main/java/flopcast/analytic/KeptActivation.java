package flopcast.analytic;

import static flopcast.analytic.Dim.B;
import static flopcast.analytic.Dim.D;
import static flopcast.analytic.Dim.D_FF;
import static flopcast.analytic.Dim.D_KV;
import static flopcast.analytic.Dim.D_Q;
import static flopcast.analytic.Dim.H;
import static flopcast.analytic.Dim.K;
import static flopcast.analytic.Dim.T;
import static flopcast.analytic.Dim.V;

import java.util.List;

/**
 * Every tensor the forward pass keeps because the backward pass reads it, one row each, with the
 * component that writes it and the backward step that reads it. Float total:
 * <pre>
 *   L*(4*B*T*d + 2*B*T*h*d_k + 2*B*T*h_kv*d_k + 4*B*T*d_ff + B*h*T^2 + 2*B*T) + 2*B*T*d + B*T + B*T*V
 * </pre>
 * (8*B*T*d per block where h_kv = h and d_k = d / h), plus under QK-norm L*(B*T*h*d_k + B*T*h_kv*d_k
 * + B*T*h + B*T*h_kv): the projections' outputs before the norm and a reciprocal RMS per head and row
 * (L*2*B*T reciprocals over each whole projection); with norms after each sublayer
 * ({@link NormPlacement}) each keeps its input, the output projection's or W2's output, and a reciprocal
 * RMS per row, L*(2*B*T*d + 2*B*T), and under {@code post} the norms before go: L*(2*B*T*d + 2*B*T) fewer;
 * under LayerNorm each norm keeps its rows' means beside their reciprocal standard deviations (the
 * _rms rows): L*2*B*T + B*T more; a two-matrix GELU MLP keeps W1's output and the activation's
 * (ffn.product) only: L*2*B*T*d_ff fewer.
 * plus 2*B*T int32 token ids and targets.
 * Under experts ({@link Experts}) the MLP's rows hold one row per token and chosen expert, B*T*k*d_ff
 * each (in the experts' order: expert 0's tokens, then expert 1's), and a block keeps each token's k
 * chosen experts (int32), its k gates and the k experts' outputs (B*T*k*d) for the gates' gradient:
 * the MLP's floats L*4*B*T*k*d_ff + L*(B*T*k + B*T*k*d), and L*B*T*k int32 more. The router's input is
 * the FFN norm's output, kept already; its logits are not kept (the gates' gradient reaches only the
 * k chosen logits, through the gates), but under unnormalized gates its softmax over all E is
 * (L*B*T*E). A shared expert keeps the dense MLP's rows at its width (L*4*B*T*d_sh), its output
 * before the gate (L*B*T*d) and its gate (L*B*T).
 * Under LoRA ({@link Lora}) the model is frozen: a row read only by a frozen weight's gradient is
 * not kept ({@link #readUnderLora}: the token ids, the final norm's output, a projection's input
 * without an adapter), and each adapter keeps its B*T*r hidden values, L*B*T*r a target.
 * <p>Convention: the residual stream is not stored apart: a block's input is the previous W2's
 * output plus residual (the embedding's output for block 0), its RMSNorm-2 input is the output
 * projection's output plus residual. Attention scores are softmaxed in place, so only the softmax
 * output is kept; the logits are softmaxed in place the same way.
 * <p>Source: DESIGN.md "complete"; the seed's "Activation" lines for comparison.
 * Pinned by {@code CompleteAccountingTest}.
 */
public enum KeptActivation implements TensorSpec {
    TOKEN_IDS("token_ids", Component.TOKEN_EMBEDDING, Scope.ONCE, DataType.INT32, List.of(B, T),
            "token embedding backward (scatter-add into the embedding gradient)"),
    EMBEDDING_OUTPUT("embedding.output", Component.TOKEN_EMBEDDING, Scope.ONCE, DataType.FLOAT32, List.of(B, T, D),
            "RMSNorm-1 backward of block 0"),
    ATTENTION_NORM_RMS("attention_norm.reciprocal_rms", Component.RMSNORM, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T), "RMSNorm-1 backward", Region.LAYER, Condition.PRE_NORM),
    ATTENTION_NORM_OUTPUT("attention_norm.output", Component.RMSNORM, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T, D), "Q, K, V weight gradients", Region.LAYER, Condition.PRE_NORM),
    QUERY("attention.query", Component.QKV_PROJECTION, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, D_Q),
            "attention backward: dK = dS^T Q"),
    KEY("attention.key", Component.QKV_PROJECTION, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, D_KV),
            "attention backward: dQ = dS K"),
    VALUE("attention.value", Component.QKV_PROJECTION, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, D_KV),
            "attention backward: dP = dO V^T"),
    /** QK-norm's input: the query projection's output, before the norm (QK-norm only). */
    QUERY_PRE_NORM("attention.query_norm.input", Component.QKV_PROJECTION, DataType.FLOAT32, List.of(B, T, D_Q),
            "QK-norm backward of the queries"),
    /** QK-norm's reciprocal RMS, one per head and row (QK-norm only). */
    QUERY_NORM_RMS("attention.query_norm.reciprocal_rms", Component.QKV_PROJECTION, DataType.FLOAT32,
            List.of(B, T, Dim.QUERY_NORM_ROWS), "QK-norm backward of the queries"),
    KEY_PRE_NORM("attention.key_norm.input", Component.QKV_PROJECTION, DataType.FLOAT32, List.of(B, T, D_KV),
            "QK-norm backward of the keys"),
    KEY_NORM_RMS("attention.key_norm.reciprocal_rms", Component.QKV_PROJECTION, DataType.FLOAT32,
            List.of(B, T, Dim.KEY_NORM_ROWS), "QK-norm backward of the keys"),
    ATTENTION_PROBABILITIES("attention.probabilities", Component.ATTENTION_SOFTMAX, Scope.PER_LAYER,
            DataType.FLOAT32, List.of(B, H, T, T), "softmax backward and dV = P^T dO", Region.CORE),
    /** Eager attention with soft-capped scores ({@link SoftCap}): tanh(s / c) of each score, for the cap's backward. */
    ATTENTION_SOFTCAP("attention.softcap_tanh", Component.ATTENTION_SOFTMAX, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, H, T, T), "softmax backward through the cap: dS = dS' * (1 - t^2)", Region.CORE,
            Condition.ATTENTION_SOFTCAP),
    /** Flash attention's one float per row in place of the probabilities. */
    ATTENTION_LOGSUMEXP("attention.logsumexp", Component.ATTENTION_SOFTMAX, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, H, T), "flash backward: P = exp(S / sqrt(d_k) - lse), tile by tile", Region.CORE),
    ATTENTION_OUTPUT("attention.output", Component.ATTENTION_WEIGHTED_SUM, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T, D_Q), "output projection weight gradient"),
    /** A norm after attention only: its input, the output projection's output before the norm. */
    ATTENTION_POST_NORM_INPUT("attention_post_norm.input", Component.OUTPUT_PROJECTION, Scope.PER_LAYER,
            DataType.FLOAT32, List.of(B, T, D), "the post-attention RMSNorm's backward", Region.LAYER,
            Condition.POST_NORM),
    ATTENTION_POST_NORM_RMS("attention_post_norm.reciprocal_rms", Component.RMSNORM, Scope.PER_LAYER,
            DataType.FLOAT32, List.of(B, T), "the post-attention RMSNorm's backward", Region.LAYER,
            Condition.POST_NORM),
    ATTENTION_RESIDUAL("attention.residual", Component.OUTPUT_PROJECTION, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T, D), "RMSNorm-2 backward"),
    FFN_NORM_RMS("ffn_norm.reciprocal_rms", Component.RMSNORM, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T),
            "RMSNorm-2 backward", Region.LAYER, Condition.PRE_NORM),
    FFN_NORM_OUTPUT("ffn_norm.output", Component.RMSNORM, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, D),
            "W1 and W3 weight gradients", Region.LAYER, Condition.PRE_NORM),
    W1_OUTPUT("ffn.w1.output", Component.FFN_W1, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, K, D_FF),
            "SiLU backward"),
    W3_OUTPUT("ffn.w3.output", Component.FFN_W3, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, K, D_FF),
            "product backward: d SiLU = dG * W3x", Region.LAYER, Condition.GATED_MLP),
    SILU_OUTPUT("ffn.silu.output", Component.FFN_SILU, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, K, D_FF),
            "product backward: d W3x = dG * SiLU", Region.LAYER, Condition.GATED_MLP),
    GATED_PRODUCT("ffn.product", Component.FFN_SILU, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, K, D_FF),
            "W2 weight gradient"),
    /** A norm after the MLP only: its input, W2's output (the combined experts' under experts) before the norm. */
    FFN_POST_NORM_INPUT("ffn_post_norm.input", Component.FFN_W2, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T, D), "the post-MLP RMSNorm's backward", Region.LAYER, Condition.POST_NORM),
    FFN_POST_NORM_RMS("ffn_post_norm.reciprocal_rms", Component.RMSNORM, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T), "the post-MLP RMSNorm's backward", Region.LAYER, Condition.POST_NORM),
    FFN_RESIDUAL("ffn.residual", Component.FFN_W2, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, D),
            "RMSNorm-1 backward of the next block, or the final RMSNorm backward", Region.BLOCK_OUTPUT),
    FINAL_NORM_RMS("final_norm.reciprocal_rms", Component.FINAL_RMSNORM, Scope.ONCE, DataType.FLOAT32,
            List.of(B, T), "final RMSNorm backward"),
    /** LayerNorm only: each row's mean, beside its reciprocal standard deviation in the _rms row. */
    ATTENTION_NORM_MEAN("attention_norm.mean", Component.RMSNORM, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T),
            "LayerNorm-1 backward", Region.LAYER, Condition.LAYER_NORM),
    FFN_NORM_MEAN("ffn_norm.mean", Component.RMSNORM, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T),
            "LayerNorm-2 backward", Region.LAYER, Condition.LAYER_NORM),
    FINAL_NORM_MEAN("final_norm.mean", Component.FINAL_RMSNORM, Scope.ONCE, DataType.FLOAT32, List.of(B, T),
            "final LayerNorm backward", Region.ONCE, Condition.LAYER_NORM),
    FINAL_NORM_OUTPUT("final_norm.output", Component.FINAL_RMSNORM, Scope.ONCE, DataType.FLOAT32,
            List.of(B, T, D), "LM head weight gradient"),
    LOGIT_PROBABILITIES("lm_head.probabilities", Component.OUTPUT_EMBEDDING, Scope.ONCE, DataType.FLOAT32,
            List.of(B, T, V), "cross-entropy backward (the logits, softmaxed in place)"),
    /** Soft-capped logits ({@link SoftCap}): tanh(z / c) of each logit, for the cap's backward. */
    LOGIT_SOFTCAP("lm_head.softcap_tanh", Component.CROSS_ENTROPY, Scope.ONCE, DataType.FLOAT32, List.of(B, T, V),
            "cross-entropy backward through the cap: dz = dz' * (1 - t^2)", Region.ONCE, Condition.LOGIT_SOFTCAP),
    TARGETS("targets", Component.CROSS_ENTROPY, Scope.ONCE, DataType.INT32, List.of(B, T),
            "cross-entropy backward"),
    QUERY_LORA_HIDDEN("attention.query.lora_a.output", LoraTarget.QUERY),
    KEY_LORA_HIDDEN("attention.key.lora_a.output", LoraTarget.KEY),
    VALUE_LORA_HIDDEN("attention.value.lora_a.output", LoraTarget.VALUE),
    OUTPUT_LORA_HIDDEN("attention.output.lora_a.output", LoraTarget.OUTPUT),
    W1_LORA_HIDDEN("ffn.w1.lora_a.output", LoraTarget.W1),
    W3_LORA_HIDDEN("ffn.w3.lora_a.output", LoraTarget.W3),
    W2_LORA_HIDDEN("ffn.w2.lora_a.output", LoraTarget.W2),
    /** Experts only: the k experts each token is routed to. */
    EXPERT_CHOICES("ffn.router.choices", Component.ROUTER, Scope.PER_LAYER, DataType.INT32, List.of(B, T, K),
            "the dispatch rebuilt in backward: which expert's gradients each token's slots enter", Region.LAYER,
            Condition.EXPERTS),
    /** Experts only: each token's k gates, the softmax over its chosen logits. */
    ROUTER_GATES("ffn.router.gates", Component.ROUTER, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, K),
            "combine backward: dy = g * dOut; gate softmax backward", Region.LAYER, Condition.EXPERTS),
    /** Experts only: each chosen expert's output for each token, before its gate multiplies it. */
    EXPERT_OUTPUT("ffn.experts.output", Component.FFN_W2, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T, K, D),
            "combine backward: the gates' gradient dg = dOut . y", Region.LAYER, Condition.EXPERTS),
    /** Unnormalized gates only: each token's softmax over all E logits, whose backward reaches every logit. */
    ROUTER_PROBABILITIES("ffn.router.probabilities", Component.ROUTER, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T, Dim.E), "gate softmax backward over every logit: dz = p * (dp - p . dp)", Region.LAYER,
            Condition.UNNORMALIZED_GATES),
    /** A shared expert's rows ({@link Experts#sharedFfn}), as the dense MLP's: every token's, d_sh wide. */
    SHARED_W1_OUTPUT("ffn.shared_expert.w1.output", Component.FFN_W1, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T, Dim.D_SH), "the shared expert's activation backward", Region.LAYER,
            Condition.SHARED_EXPERT),
    SHARED_W3_OUTPUT("ffn.shared_expert.w3.output", Component.FFN_W3, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T, Dim.D_SH), "the shared expert's product backward: d act = dG * W3x", Region.LAYER,
            Condition.SHARED_GATED_MLP),
    SHARED_SILU_OUTPUT("ffn.shared_expert.silu.output", Component.FFN_SILU, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T, Dim.D_SH), "the shared expert's product backward: d W3x = dG * act", Region.LAYER,
            Condition.SHARED_GATED_MLP),
    SHARED_PRODUCT("ffn.shared_expert.product", Component.FFN_SILU, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T, Dim.D_SH), "the shared expert's W2 weight gradient", Region.LAYER,
            Condition.SHARED_EXPERT),
    /** The shared expert's output before its gate scales it. */
    SHARED_OUTPUT("ffn.shared_expert.output", Component.FFN_W2, Scope.PER_LAYER, DataType.FLOAT32,
            List.of(B, T, D), "the shared gate's gradient: dOut . y_sh", Region.LAYER, Condition.SHARED_EXPERT),
    /** The shared expert's gate, sigmoid(x w_g), one a token. */
    SHARED_GATES("ffn.shared_expert.gates", Component.ROUTER, Scope.PER_LAYER, DataType.FLOAT32, List.of(B, T),
            "shared combine backward: dy_sh = sigmoid * dOut; the sigmoid's backward", Region.LAYER,
            Condition.SHARED_EXPERT);

    private final Row row;
    private final Region region;
    private final Condition condition;
    /** The projection whose LoRA adapter keeps the row; null for every other row. */
    private final LoraTarget target;

    /** What the architecture must have for the row to be held at all. */
    private enum Condition {
        ALWAYS,
        PRE_NORM,
        POST_NORM,
        ATTENTION_SOFTCAP,
        LOGIT_SOFTCAP,
        QK_NORM,
        LAYER_NORM,
        GATED_MLP,
        LORA,
        EXPERTS,
        UNNORMALIZED_GATES,
        SHARED_EXPERT,
        SHARED_GATED_MLP
    }

    /** The kept s * (x A) of {@code target}'s adapter. */
    public static KeptActivation loraHidden(LoraTarget target) {
        return values()[QUERY_LORA_HIDDEN.ordinal() + target.ordinal()];
    }

    /**
     * A LoRA adapter's s * (x A), N x r a block, kept for B's gradient where {@code target} carries an
     * adapter; on the MLP's matrices N*k x r under experts (each routed row's expert's adapter, in the
     * experts' order).
     */
    KeptActivation(String tensorName, LoraTarget target) {
        row = new Row(tensorName, Component.LORA, Scope.PER_LAYER, DataType.FLOAT32,
                target.mlp() ? List.of(B, T, Dim.K, Dim.R) : List.of(B, T, Dim.R), "LoRA backward: B's gradient");
        region = Region.LAYER;
        condition = Condition.LORA;
        this.target = target;
    }

    /** A row outside the blocks ({@link Region#ONCE}) or inside one ({@link Region#LAYER}), by its scope. */
    KeptActivation(String tensorName, Component component, Scope scope, DataType dataType, List<Dim> dims,
            String reader) {
        this(tensorName, component, scope, dataType, dims, reader, scope == Scope.ONCE ? Region.ONCE : Region.LAYER);
    }

    KeptActivation(String tensorName, Component component, Scope scope, DataType dataType, List<Dim> dims,
            String reader, Region region) {
        this(tensorName, component, scope, dataType, dims, reader, region, Condition.ALWAYS);
    }

    /** A block's row held only under QK-norm. */
    KeptActivation(String tensorName, Component component, DataType dataType, List<Dim> dims, String reader) {
        this(tensorName, component, Scope.PER_LAYER, dataType, dims, reader, Region.LAYER, Condition.QK_NORM);
    }

    KeptActivation(String tensorName, Component component, Scope scope, DataType dataType, List<Dim> dims,
            String reader, Region region, Condition condition) {
        row = new Row(tensorName, component, scope, dataType, dims, reader);
        this.region = region;
        this.condition = condition;
        target = null;
    }

    @Override
    public Row row() {
        return row;
    }

    /** The component that writes the tensor. */
    public Component component() {
        return row.component();
    }

    /** The part of the step the row belongs to: what a recomputation mode drops ({@link Recompute#dropped()}). */
    public Region region() {
        return region;
    }

    /**
     * Instances kept from forward to backward under {@code shape}'s settings: a {@link Region#CORE}
     * row only where the attention kernel keeps it ({@link AttentionKernel#keeps()}), none where the
     * recomputation mode drops the row's region ({@link Recompute#dropped()}).
     */
    @Override
    public long instances(Shape shape) {
        if (scope() != Scope.ONCE && shape.mixedBlocks()) {
            // a --freeze-layers range or dense layers among experts: each kind of block apart
            return shape.perBlock(this::blockInstances);
        }
        return blockInstances(shape);
    }

    /** {@link #instances} at a shape whose blocks all train alike. */
    private long blockInstances(Shape shape) {
        if (!heldBy(shape) || shape.recompute().dropped().contains(region)) {
            return 0;
        }
        // with no norm before attention and no gradient reading a block's input, only the last block's output
        // is read: by the final norm's backward
        return this == FFN_RESIDUAL && !EMBEDDING_OUTPUT.readUnderLora(shape) ? 1 : scope().instances(shape);
    }

    /**
     * Instances held as recomputation buffers, rewritten block by block in backward: one where the
     * recomputation mode rebuilds the row's region into one block's buffers
     * ({@link Recompute#blockBuffers()}).
     */
    public long recomputeInstances(Shape shape) {
        if (scope() != Scope.ONCE && shape.mixedBlocks()) {
            // one block's buffers serve every block that reads the row, whichever kind it is
            return shape.maxOverBlocks(this::recomputeInstances);
        }
        return heldBy(shape) && shape.recompute().blockBuffers().contains(region) ? 1 : 0;
    }

    /**
     * The row statistics stay float32 under a bf16 policy, as the fused kernels write them:
     * FlashAttention's log-sum-exp (its {@code softmax_lse} is float32 for bf16 inputs) and the
     * reciprocal RMS of each norm (a fused RMSNorm's saved {@code invvar} is float32), and a LayerNorm's
     * mean and reciprocal standard deviation (PyTorch's {@code native_layer_norm} saves them in float32).
     */
    @Override
    public boolean float32UnderEveryPolicy() {
        return switch (this) {
            case ATTENTION_LOGSUMEXP, ATTENTION_NORM_RMS, FFN_NORM_RMS, FINAL_NORM_RMS, QUERY_NORM_RMS, KEY_NORM_RMS,
                    ATTENTION_NORM_MEAN, FFN_NORM_MEAN, FINAL_NORM_MEAN, ATTENTION_POST_NORM_RMS,
                    FFN_POST_NORM_RMS -> true;
            default -> false;
        };
    }

    /**
     * False for a {@link Region#CORE} row the attention kernel does not keep, a QK-norm row without
     * QK-norm and a LayerNorm row under RMSNorm.
     */
    private boolean heldBy(Shape shape) {
        boolean architecture = switch (condition) {
            case ALWAYS -> true;
            case PRE_NORM -> shape.architecture().placement().before();
            case POST_NORM -> shape.architecture().placement().after();
            case ATTENTION_SOFTCAP -> shape.architecture().softCap().capsAttention();
            case LOGIT_SOFTCAP -> shape.architecture().softCap().capsLogits();
            case QK_NORM -> shape.architecture().qkNorm().active();
            case LAYER_NORM -> shape.architecture().norm() == NormKind.LAYER;
            case GATED_MLP -> shape.architecture().mlp().gated();
            case LORA -> shape.settings().lora().adapts(target);
            case EXPERTS -> shape.architecture().experts().active();
            case UNNORMALIZED_GATES -> shape.architecture().experts().active()
                    && !shape.architecture().experts().normalized();
            case SHARED_EXPERT -> shape.architecture().experts().shared();
            case SHARED_GATED_MLP -> shape.architecture().experts().shared() && shape.architecture().mlp().gated();
        };
        // a capped score's tanh is kept beside its probability, by the kernel that keeps those
        KeptActivation core = this == ATTENTION_SOFTCAP ? ATTENTION_PROBABILITIES : this;
        return (region != Region.CORE || shape.attention().keeps().contains(core)) && architecture
                && readUnderLora(shape);
    }

    /**
     * False for a row whose only reader is a frozen weight's gradient, where {@link Lora} freezes the
     * model or {@code --freeze} a kind ({@link FrozenKind}): the token ids (the embedding's), the final norm's output (the LM head's), and a
     * projection's input unless an adapter on the projection reads it for A's gradient (the heads'
     * output stays under flash attention, whose backward reads it: D = rowsum(dO * O)). The forward
     * pass still writes such a row, into {@link WorkspaceBuffer#frozenInput} scratch. With no norm before
     * each sublayer ({@link NormPlacement#POST}) the same holds of the residual stream where a sublayer's
     * input projections are frozen without an adapter: block 0's input, each x_mid, and each block's output
     * but the last (the final norm's input, {@link #instances}).
     */
    public boolean readUnderLora(Shape shape) {
        if (!shape.settings().freezes()) {
            return true;
        }
        Lora lora = shape.settings().lora();
        boolean adapterReads = lora.targets().stream().anyMatch(t -> t.input() == this);
        return switch (this) {
            case TOKEN_IDS -> FrozenKind.EMBEDDINGS.trains(shape);
            case FINAL_NORM_OUTPUT -> FrozenKind.HEAD.trains(shape);
            case ATTENTION_NORM_OUTPUT -> adapterReads || FrozenKind.ATTENTION.trainsInBlocks(shape);
            case FFN_NORM_OUTPUT, GATED_PRODUCT -> adapterReads || FrozenKind.MLP.trainsInBlocks(shape);
            case SHARED_PRODUCT -> FrozenKind.MLP.trainsInBlocks(shape);
            // no norm before a sublayer (NormPlacement.POST): the residual stream is the projections' input, read
            // by their weights' and adapters' gradients only, and by the full recomputation that reruns a block
            case EMBEDDING_OUTPUT -> streamRead(shape, FrozenKind.ATTENTION, lora, LoraTarget.QUERY, LoraTarget.KEY,
                    LoraTarget.VALUE);
            case ATTENTION_RESIDUAL -> streamRead(shape, FrozenKind.MLP, lora, LoraTarget.W1, LoraTarget.W3);
            // flash's backward reads the heads' output itself: D = rowsum(dO * O)
            case ATTENTION_OUTPUT -> adapterReads || FrozenKind.ATTENTION.trainsInBlocks(shape)
                    || shape.attention().tiled();
            default -> true;
        };
    }

    /**
     * Whether a gradient reads the residual stream where it is a sublayer's input: always under a norm
     * before the sublayer (its backward reads it) and under full recomputation (the block reruns from it);
     * else where the sublayer's input projections train, {@code kind}, or carry an adapter.
     */
    private static boolean streamRead(Shape shape, FrozenKind kind, Lora lora, LoraTarget... readers) {
        if (shape.architecture().placement().before() || shape.recompute().dropped().contains(Region.LAYER)
                || kind.trainsInBlocks(shape)) {
            return true;
        }
        for (LoraTarget target : readers) {
            if (lora.adapts(target)) {
                return true;
            }
        }
        return false;
    }

    /** Kept float32 elements, all instances (the int32 token ids and targets excluded). */
    public static long totalFloats(Shape shape) {
        long sum = 0;
        for (KeptActivation tensor : values()) {
            if (tensor.dataType() == DataType.FLOAT32) {
                sum = Math.addExact(sum, tensor.totalElements(shape));
            }
        }
        return sum;
    }
}
