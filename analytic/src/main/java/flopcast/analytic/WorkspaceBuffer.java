package flopcast.analytic;

import static flopcast.analytic.Dim.B;
import static flopcast.analytic.Dim.D;
import static flopcast.analytic.Dim.D_FF;
import static flopcast.analytic.Dim.D_K;
import static flopcast.analytic.Dim.D_KV;
import static flopcast.analytic.Dim.D_Q;
import static flopcast.analytic.Dim.T;
import static flopcast.analytic.Dim.TILE;

import java.util.List;

/**
 * Buffers the step writes besides kept activations and parameter gradients: gradients of
 * activations and per-head scratch. Allocated once and reused by every block, so none is per
 * layer. Total floats:
 * <pre>
 *   2*B*T*d + 2*B*T*h*d_k + 2*B*T*h_kv*d_k + 2*B*T*d_ff + 7*T*d_k + T^2   (6*B*T*d + ... where h_kv = h
 *                                                                         and d_k = d / h)
 * </pre>
 * Under QK-norm the queries' and keys' gradients before the norm add B*T*h*d_k + B*T*h_kv*d_k.
 * With norms after each sublayer ({@link NormPlacement}) the gradient of such a norm's input adds B*T*d;
 * under {@code post}, with no norm before, the projections' input gradients add into the residual
 * gradient itself (the norm-output gradient is the final norm's alone).
 * Under grouped-query attention the head scratch holds one key and value head at a time and its
 * dK and dV accumulate over the h / h_kv query heads that share it.
 * Under flash attention the T x T rows give way to one tile's Q, K, V, dO and product (t_b x d_k,
 * t_b = min(T, 64)), its scores and their gradient (t_b x t_b), two T-float row statistics and a
 * tile's t_b row rescale factors; selective recomputation under eager adds one head's
 * recomputed probabilities. Full recomputation's one-block buffers are
 * {@link KeptActivation#recomputeInstances}.
 * Under QLoRA each matmul dequantizes its NF4 weight into one transient copy in the compute type,
 * d*max(h*d_k, d_ff, E) at most (bitsandbytes' {@code MatMul4Bit}, forward and backward); the block
 * maxima it expands to float32 first (n / 64 floats, about 3% of the copy) are left out.
 * Under LoRA an adapter's hidden gradient adds B*T*r (under experts with adapters on the MLP's
 * matrices, one expert's hidden rows B*T*r more), and each forward output no adapter keeps
 * ({@link KeptActivation#readUnderLora}) is written into one scratch row of its size, shared by the
 * blocks: B*T*d for the norms' outputs, B*T*h*d_k for the heads' output, B*T*d_ff for the MLP's
 * activation; with no norm before each sublayer ({@link NormPlacement#POST}) the residual stream no
 * gradient reads is written into one B*T*d row between blocks and one for x_mid.
 * Under experts ({@link Experts}) the MLP's gradient rows hold every token's k routed rows
 * (B*T*k*d_ff each, in the experts' order, as a grouped matmul's permuted rows); each expert's
 * matmuls run over at most N rows (a token's k experts are distinct), gathered into one input and one
 * output scratch of B*T*max(d, d_ff) each and copied out, with its input gradient (B*T*d) before it is
 * scatter-added; the router's logits and then their gradient (B*T*E), the gates' gradient (B*T*k), the
 * dispatch order (B*T*k int32) and the experts' counts (E int32) are added.
 * Convention: gradients of the logits are written over the kept probabilities (no B*T*V buffer);
 * weight gradients accumulate straight into the gradient tensors (no scratch).
 * Source: DESIGN.md "complete" (workspace). Pinned by {@code CompleteAccountingTest}.
 */
public enum WorkspaceBuffer implements TensorSpec {
    RESIDUAL_GRADIENT("grad.residual", List.of(B, T, D), "every backward step: the gradient along the residual stream"),
    /** The gradient of a norm's output before a sublayer (summed over the projections reading it) or the LM head. */
    NORM_OUTPUT_GRADIENT("grad.norm_output", List.of(B, T, D), "RMSNorm backward: gradient of its output"),
    /** A norm after each sublayer only: the gradient of its input, the output projection's or W2's output. */
    POST_NORM_INPUT_GRADIENT("grad.post_norm_input", List.of(B, T, D),
            "the post-sublayer RMSNorm backward, then the output projection's or W2's backward"),
    ATTENTION_OUTPUT_GRADIENT("grad.attention_output", List.of(B, T, D_Q),
            "attention backward: gradient of the output before the projection"),
    QUERY_GRADIENT("grad.query", List.of(B, T, D_Q), "Q projection backward"),
    KEY_GRADIENT("grad.key", List.of(B, T, D_KV), "K projection backward"),
    /** QK-norm only: the queries' gradient before the norm, what the Q projection's backward reads. */
    QUERY_PRE_NORM_GRADIENT("grad.query_norm_input", List.of(B, T, D_Q), "QK-norm backward, then the Q projection's"),
    /** QK-norm only: the keys' gradient before the norm. */
    KEY_PRE_NORM_GRADIENT("grad.key_norm_input", List.of(B, T, D_KV), "QK-norm backward, then the K projection's"),
    VALUE_GRADIENT("grad.value", List.of(B, T, D_KV), "V projection backward"),
    PRODUCT_GRADIENT("grad.ffn_product", List.of(B, T, Dim.K, D_FF),
            "FFN backward: dG, then d SiLU, then d W1x, in place"),
    W3_OUTPUT_GRADIENT("grad.ffn_w3_output", List.of(B, T, Dim.K, D_FF), "W3 backward: d W3x"),
    HEAD_QUERY("head.query", List.of(T, D_K), "attention forward and backward: one head's Q"),
    HEAD_KEY("head.key", List.of(T, D_K), "attention forward and backward: one head's K"),
    HEAD_VALUE("head.value", List.of(T, D_K), "attention forward and backward: one head's V"),
    HEAD_OUTPUT("head.output", List.of(T, D_K), "attention forward: one head's output; backward: its gradient"),
    HEAD_QUERY_GRADIENT("head.grad_query", List.of(T, D_K), "attention backward: one head's dQ"),
    HEAD_KEY_GRADIENT("head.grad_key", List.of(T, D_K), "attention backward: one head's dK"),
    HEAD_VALUE_GRADIENT("head.grad_value", List.of(T, D_K), "attention backward: one head's dV"),
    HEAD_PROBABILITY_GRADIENT("head.grad_probabilities", List.of(T, T),
            "attention backward: one head's dP, then dS in place"),
    HEAD_PROBABILITIES("head.probabilities", List.of(T, T),
            "selective recomputation, eager: one head's recomputed probabilities"),
    /** Soft-capped scores only ({@link SoftCap}): one head's recomputed tanh(s / c) (selective, eager). */
    HEAD_SOFTCAP("head.softcap_tanh", List.of(T, T),
            "selective recomputation, eager: one head's recomputed tanh of its capped scores"),
    TILE_QUERY("flash.tile_query", List.of(TILE, D_K), "flash forward and backward: one query tile of a head's Q"),
    TILE_KEY("flash.tile_key", List.of(TILE, D_K), "flash forward and backward: one key tile of a head's K"),
    TILE_VALUE("flash.tile_value", List.of(TILE, D_K), "flash forward and backward: one key tile of a head's V"),
    TILE_OUTPUT_GRADIENT("flash.tile_grad_output", List.of(TILE, D_K), "flash backward: one query tile of dO"),
    TILE_PRODUCT("flash.tile_product", List.of(TILE, D_K),
            "flash forward: P V of one tile; backward: its dV, dQ and dK, each added into the head's"),
    TILE_SCORES("flash.tile_scores", List.of(TILE, TILE),
            "flash forward and backward: one tile's scores, then probabilities"),
    TILE_GRADIENT("flash.tile_grad", List.of(TILE, TILE), "flash backward: one tile's dP, then dS"),
    /** Soft-capped scores only ({@link SoftCap}): one tile's tanh(s / c), recomputed in flash's backward. */
    TILE_SOFTCAP("flash.tile_softcap", List.of(TILE, TILE),
            "flash backward: one tile's tanh of its capped scores, for dS through the cap"),
    ROW_MAX("flash.row_max", List.of(T), "flash forward: one head's running row maximum"),
    ROW_SCALE("flash.row_scale", List.of(TILE), "flash forward: one tile's row rescale factors exp(m - m')"),
    HEAD_LOGSUMEXP("flash.head_logsumexp", List.of(T),
            "selective recomputation under flash: one head's log-sum-exp, written forward, recomputed backward"),
    ROW_SUM("flash.row_sum", List.of(T),
            "flash forward: one head's running row sum; backward: D = rowsum(dO * O)"),
    /** LoRA only: an adapter's gradient of its N x r hidden values. */
    LORA_HIDDEN_GRADIENT("grad.lora_hidden", List.of(B, T, Dim.R),
            "LoRA backward: d(x A), then A's and the input's gradients"),
    /** Experts with an adapter on the MLP's matrices: one expert's adapter hidden rows (at most N: its tokens). */
    EXPERT_LORA_HIDDEN("moe.lora_hidden", List.of(B, T, Dim.R),
            "experts' adapters forward: s * (x A) of one expert's rows, then copied out; backward: those rows"),
    /** LoRA or --freeze: a norm's output no gradient reads, written for the frozen projections and then dropped. */
    FROZEN_NORM_OUTPUT("scratch.norm_output", List.of(B, T, D),
            "forward: a norm's output no gradient reads (frozen projections without an adapter read it)"),
    /** LoRA or --freeze: the heads' output where the frozen output projection has no adapter (eager only). */
    FROZEN_ATTENTION_OUTPUT("scratch.attention_output", List.of(B, T, D_Q),
            "forward: the heads' output, read by the frozen output projection"),
    /** QLoRA only: one NF4 projection weight dequantized for its matmul, forward or backward, the largest. */
    DEQUANTIZED_WEIGHT("qlora.dequantized_weight", List.of(D, Dim.PROJECTION_WIDTH),
            "QLoRA forward and backward: an NF4 weight dequantized into the compute type for one matmul"),
    /** LoRA or --freeze: the MLP's activation where the frozen W2 has no adapter. */
    FROZEN_PRODUCT("scratch.ffn_product", List.of(B, T, Dim.K, D_FF),
            "forward: the MLP's activation, read by the frozen W2"),
    /** Experts only: the router's logits, then their gradient (nonzero at the k chosen of each token). */
    ROUTER_LOGITS("moe.router_logits", List.of(B, T, Dim.E), "router forward: x W_r; backward: d(x W_r)"),
    /** Experts only: one expert's rows gathered as a matmul's input (at most N rows: its tokens). */
    EXPERT_ROWS_IN("moe.rows_in", List.of(B, T, Dim.MLP_WIDTH),
            "experts forward and backward: one expert's input rows (its tokens' x, its product, d of its output)"),
    /** Experts only: one expert's matmul output rows, before they are copied into the routed rows. */
    EXPERT_ROWS_OUT("moe.rows_out", List.of(B, T, Dim.MLP_WIDTH),
            "experts forward and backward: one expert's output rows, then copied out"),
    /** Experts only: one expert's input gradient, scatter-added into the FFN norm output's gradient. */
    EXPERT_INPUT_GRADIENT("moe.grad_expert_input", List.of(B, T, D),
            "expert backward: d of its gathered input, then scatter-added"),
    /** Experts only: the gates' gradient, one per token and chosen expert. */
    GATE_GRADIENT("moe.grad_gates", List.of(B, T, Dim.K), "combine backward: dg = dOut . y; gate softmax backward"),
    /** Experts only: the token and choice of each routed row, in the experts' order (rebuilt from the kept choices in backward). */
    DISPATCH("moe.dispatch", DataType.INT32, List.of(B, T, Dim.K),
            "dispatch and combine: the token and choice (t*k + j) of each routed row, in the experts' order"),
    /** Experts only: the tokens each expert takes, where its rows start. */
    EXPERT_COUNTS("moe.expert_counts", DataType.INT32, List.of(Dim.E),
            "dispatch: each expert's token count"),
    /** A shared expert's activation gradient rows, then its W1 output's. */
    SHARED_PRODUCT_GRADIENT("moe.grad_shared_product", List.of(B, T, Dim.D_SH),
            "shared expert backward: d of its product, then of its W1 output"),
    /** A shared expert's W3 output gradient (a gated MLP only). */
    SHARED_W3_OUTPUT_GRADIENT("moe.grad_shared_w3_output", List.of(B, T, Dim.D_SH),
            "shared expert backward: d of its W3 output"),
    /** The shared expert's gate gradient: d of its logit, one a token. */
    SHARED_GATE_GRADIENT("moe.grad_shared_gate", List.of(B, T),
            "shared gate backward: dOut . y_sh, then the sigmoid's backward"),
    /**
     * Norms after each sublayer only, frozen attention without an adapter on Q, K or V: the residual stream
     * between blocks (block 0's input, each block's output but the last), read by no gradient.
     */
    FROZEN_BLOCK_INPUT("scratch.block_input", List.of(B, T, D),
            "forward: a block's input no gradient reads, the frozen Q, K and V projections' and the residual add's"),
    /** Norms after each sublayer only, a frozen MLP without an adapter on W1 or W3: each x_mid, read by no gradient. */
    FROZEN_ATTENTION_RESIDUAL("scratch.attention_residual", List.of(B, T, D),
            "forward: x_mid where no gradient reads it, the frozen MLP's input and the residual add's"),
    /** LoRA or --freeze: the shared expert's activation where its frozen W2 needs no gradient. */
    FROZEN_SHARED_PRODUCT("scratch.shared_product", List.of(B, T, Dim.D_SH),
            "forward: the shared expert's activation, read by its frozen W2");

    private final Row row;

    /**
     * Held under {@code shape}'s settings: the QK-norm rows under QK-norm only; a row no attention
     * kernel claims always; a kernel's row
     * where it is that kernel's {@link AttentionKernel#workspace()}, or its
     * {@link AttentionKernel#rebuildWorkspace()} under a mode that rebuilds the kernel's kept rows.
     */
    @Override
    public long instances(Shape shape) {
        if (shape.mixedBlocks()) {
            // one buffer serves every block: held where some kind of block needs it (a --freeze-layers range,
            // dense layers among experts)
            return shape.maxOverBlocks(this::blockInstances);
        }
        return blockInstances(shape);
    }

    /** Bytes of the one buffer: the largest any kind of block needs. */
    @Override
    public long totalBytes(Shape shape) {
        return shape.maxOverBlocks(view -> bytes(view, blockInstances(view)));
    }

    /** Elements of the one buffer: the largest any kind of block needs. */
    @Override
    public long totalElements(Shape shape) {
        return shape.maxOverBlocks(view -> Math.multiplyExact(elements(view), blockInstances(view)));
    }

    /** {@link #instances} at a shape whose blocks are alike. */
    private long blockInstances(Shape shape) {
        switch (this) {
            case LORA_HIDDEN_GRADIENT:
                return shape.settings().lora().active() ? 1 : 0;
            case EXPERT_LORA_HIDDEN:
                return shape.architecture().experts().active()
                        && shape.settings().lora().targets().stream().anyMatch(LoraTarget::mlp) ? 1 : 0;
            case DEQUANTIZED_WEIGHT:
                return shape.settings().lora().nf4Base() ? 1 : 0;
            case ROUTER_LOGITS, EXPERT_ROWS_IN, EXPERT_ROWS_OUT, EXPERT_INPUT_GRADIENT, GATE_GRADIENT, DISPATCH,
                    EXPERT_COUNTS:
                return shape.architecture().experts().active() ? 1 : 0;
            case SHARED_PRODUCT_GRADIENT, SHARED_GATE_GRADIENT:
                return shape.architecture().experts().shared() ? 1 : 0;
            case SHARED_W3_OUTPUT_GRADIENT:
                return shape.architecture().experts().shared() && shape.architecture().mlp().gated() ? 1 : 0;
            case FROZEN_SHARED_PRODUCT, FROZEN_NORM_OUTPUT, FROZEN_ATTENTION_OUTPUT, FROZEN_PRODUCT,
                    FROZEN_BLOCK_INPUT, FROZEN_ATTENTION_RESIDUAL:
                return frozenScratch(shape);
            default:
                break;
        }
        if (this == QUERY_PRE_NORM_GRADIENT || this == KEY_PRE_NORM_GRADIENT) {
            return shape.architecture().qkNorm().active() ? 1 : 0;
        }
        if (this == POST_NORM_INPUT_GRADIENT) {
            return shape.architecture().placement().after() ? 1 : 0;
        }
        boolean capped = shape.architecture().softCap().capsAttention();
        if (this == HEAD_SOFTCAP) {
            // beside the probabilities a mode rebuilds one head at a time
            return capped && shape.recompute().rebuildsKernelCore()
                    && shape.attention().rebuildWorkspace().contains(HEAD_PROBABILITIES) ? 1 : 0;
        }
        if (this == TILE_SOFTCAP) {
            return capped && shape.attention().tiled() ? 1 : 0;
        }
        if (this == W3_OUTPUT_GRADIENT) {
            return shape.architecture().mlp().gated() ? 1 : 0;
        }
        AttentionKernel kernel = shape.attention();
        boolean held = !AttentionKernel.claims(this) || kernel.workspace().contains(this)
                || shape.recompute().rebuildsKernelCore() && kernel.rebuildWorkspace().contains(this);
        return held ? 1 : 0;
    }

    /** 1 where a forward output this row scratches is read by no gradient at {@code shape}, whose blocks train alike. */
    private long frozenScratch(Shape shape) {
        if (this == FROZEN_SHARED_PRODUCT) {
            return shape.architecture().experts().shared()
                    && !KeptActivation.SHARED_PRODUCT.readUnderLora(shape) ? 1 : 0;
        }
        for (KeptActivation row : KeptActivation.values()) {
            // every such row is written by each forward: kept, or full recomputation's buffer
            if (frozenInput(row) == this && !row.readUnderLora(shape)) {
                return 1;
            }
        }
        return 0;
    }

    /**
     * The attention kernel's per-head scratch (the rows without a B axis: head slices, tiles, row
     * statistics) stays float32 under a bf16 policy, as a GPU kernel holds it in float32 registers
     * and shared memory; the activation gradients ([B, T, ...]) follow the policy, as does QLoRA's
     * dequantized weight (the compute type).
     */
    @Override
    public boolean float32UnderEveryPolicy() {
        return !perBatchElement() && this != DEQUANTIZED_WEIGHT;
    }

    /**
     * The scratch row a forward output is written into where {@link Lora} leaves it unkept
     * ({@link KeptActivation#readUnderLora}); null for a row that is never scratch.
     */
    public static WorkspaceBuffer frozenInput(KeptActivation row) {
        return switch (row) {
            case ATTENTION_NORM_OUTPUT, FFN_NORM_OUTPUT, FINAL_NORM_OUTPUT -> FROZEN_NORM_OUTPUT;
            case ATTENTION_OUTPUT -> FROZEN_ATTENTION_OUTPUT;
            case GATED_PRODUCT -> FROZEN_PRODUCT;
            case SHARED_PRODUCT -> FROZEN_SHARED_PRODUCT;
            case EMBEDDING_OUTPUT -> FROZEN_BLOCK_INPUT;
            case ATTENTION_RESIDUAL -> FROZEN_ATTENTION_RESIDUAL;
            default -> null;
        };
    }

    WorkspaceBuffer(String tensorName, List<Dim> dims, String reader) {
        this(tensorName, DataType.FLOAT32, dims, reader);
    }

    WorkspaceBuffer(String tensorName, DataType dataType, List<Dim> dims, String reader) {
        row = new Row(tensorName, null, Scope.ONCE, dataType, dims, reader);
    }

    @Override
    public Row row() {
        return row;
    }
}
