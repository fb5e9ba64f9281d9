package flopcast.analytic;

import static flopcast.analytic.Dim.B;
import static flopcast.analytic.Dim.D;
import static flopcast.analytic.Dim.D_FF;
import static flopcast.analytic.Dim.D_KV;
import static flopcast.analytic.Dim.D_Q;
import static flopcast.analytic.Dim.H;
import static flopcast.analytic.Dim.T;
import static flopcast.analytic.Dim.V;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What Megatron-Core and torchtitan keep for backward, row by row, as read from their code: a Llama
 * block (RMSNorm before each sublayer, SwiGLU, no biases) under flash attention in bfloat16, one
 * data-parallel rank with no tensor parallelism. Each row says under which recomputation modes it is
 * kept between its block's forward and backward ({@code none}, {@code selective}, {@code full}); rows
 * are in the compute type unless declared float32 (the norms' statistics, the attention's log-sum-exp,
 * torchtitan's float32 RMSNorm rows) or integer.
 * <pre>
 *   megatron (Megatron-Core, Transformer Engine layer spec; selective = --recompute-modules core_attn,
 *   the default; full = --recompute-method uniform, one layer a chunk)
 *     per layer, none       x, ln1 out, q, k, v (a contiguous copy), attention out, x2, ln2 out: 4d + 2 h*d_k + 2 h_kv*d_k
 *                           fc1 out (2 d_ff) and fc2 in (d_ff); fp32 rsigma of both norms (2 of B*T), fp32 LSE (B*h*T)
 *     per layer, selective  the core's inputs kept by the checkpoint: q, k and v as a view of the whole QKV
 *                           output (h*d_k + 2 h_kv*d_k); no v copy and no LSE
 *     per layer, full       x only
 *     once                  token ids (int64), the final norm's input and fp32 rsigma, the output layer's input,
 *                           the loss's float32 softmax (B*T*V), its target mask (bool) and indices (int64)
 *   torchtitan (v0.2.2; selective = its op-level policy, "op": each block's odd matmuls (wq, wv, w1, w2),
 *   SDPA's output and log-sum-exp saved, the rest recomputed)
 *     per layer, none       each RMSNorm's fp32 input, fp32 normalized rows, fp32 rstd and output; q, k, v after
 *                           RoPE; SDPA's output and fp32 LSE; the attention output made contiguous; SwiGLU's
 *                           four B*T*d_ff rows (w1 out, silu, w3 out, their product)
 *     per layer, selective  x (the checkpoint's input), wq out, wv out, SDPA out, LSE, w1 out, w2 out
 *     per layer, full       x only
 *     once                  token ids (int64), the final norm's fp32 rows and output, the float32
 *                           log-probabilities (B*T*V), the labels (int64)
 * </pre>
 * A block's input x is the block before it's output (the embedding's for block 0): it is written by that
 * phase and read last by its own block's backward. A recomputed block (selective or full) holds its whole
 * {@code none} set again while its backward runs. The loss's B*T*V row is in the loss's type
 * ({@link LossPrecision}). Both tables cover the settings above; elsewhere the frameworks keep the
 * complete accounting's rows ({@link Framework#keptSet}).
 * <p>Source: Megatron-Core kept set; torchtitan kept set. Pinned by {@code StepTimelineTest} (Megatron's
 * 34 s*b*h of Korthikanti et al. less the s*s terms, torchtitan's 63,616 bytes a token a layer of Llama 3
 * 8B under op-level recomputation).
 */
public enum FrameworkKept implements TensorSpec {
    MEGATRON_INPUT(Framework.MEGATRON, "layer.input", DataType.FLOAT32, List.of(B, T, D), allModes()),
    MEGATRON_LN1_OUTPUT(Framework.MEGATRON, "input_layernorm.output", DataType.FLOAT32, List.of(B, T, D), withoutFull()),
    MEGATRON_LN1_RSIGMA(Framework.MEGATRON, "input_layernorm.rsigma", DataType.FLOAT32, List.of(B, T), withoutFull(), true),
    MEGATRON_QUERY(Framework.MEGATRON, "attention.query", DataType.FLOAT32, List.of(B, T, D_Q), withoutFull()),
    MEGATRON_KEY(Framework.MEGATRON, "attention.key", DataType.FLOAT32, List.of(B, T, D_KV), withoutFull()),
    MEGATRON_VALUE(Framework.MEGATRON, "attention.value", DataType.FLOAT32, List.of(B, T, D_KV), noneOnly()),
    MEGATRON_QKV_QUERY(Framework.MEGATRON, "attention.linear_qkv.output.query", DataType.FLOAT32, List.of(B, T, D_Q),
            selectiveOnly()),
    MEGATRON_QKV_KEY(Framework.MEGATRON, "attention.linear_qkv.output.key", DataType.FLOAT32, List.of(B, T, D_KV),
            selectiveOnly()),
    MEGATRON_QKV_VALUE(Framework.MEGATRON, "attention.linear_qkv.output.value", DataType.FLOAT32, List.of(B, T, D_KV),
            selectiveOnly()),
    MEGATRON_ATTENTION_OUTPUT(Framework.MEGATRON, "attention.output", DataType.FLOAT32, List.of(B, T, D_Q), withoutFull()),
    MEGATRON_LSE(Framework.MEGATRON, "attention.softmax_stats", DataType.FLOAT32, List.of(B, H, T), noneOnly(), true),
    MEGATRON_RESIDUAL(Framework.MEGATRON, "attention.residual_output", DataType.FLOAT32, List.of(B, T, D), withoutFull()),
    MEGATRON_LN2_OUTPUT(Framework.MEGATRON, "pre_mlp_layernorm.output", DataType.FLOAT32, List.of(B, T, D), withoutFull()),
    MEGATRON_LN2_RSIGMA(Framework.MEGATRON, "pre_mlp_layernorm.rsigma", DataType.FLOAT32, List.of(B, T), withoutFull(), true),
    MEGATRON_FC1_GATE(Framework.MEGATRON, "mlp.linear_fc1.output.gate", DataType.FLOAT32, List.of(B, T, D_FF), withoutFull()),
    MEGATRON_FC1_UP(Framework.MEGATRON, "mlp.linear_fc1.output.up", DataType.FLOAT32, List.of(B, T, D_FF), withoutFull()),
    MEGATRON_FC2_INPUT(Framework.MEGATRON, "mlp.linear_fc2.input", DataType.FLOAT32, List.of(B, T, D_FF), withoutFull()),
    MEGATRON_TOKEN_IDS(Framework.MEGATRON, "embedding.input_ids", DataType.INT64, List.of(B, T)),
    MEGATRON_FINAL_INPUT(Framework.MEGATRON, "final_layernorm.input", DataType.FLOAT32, List.of(B, T, D)),
    MEGATRON_FINAL_RSIGMA(Framework.MEGATRON, "final_layernorm.rsigma", DataType.FLOAT32, List.of(B, T), true),
    MEGATRON_HEAD_INPUT(Framework.MEGATRON, "output_layer.input", DataType.FLOAT32, List.of(B, T, D)),
    MEGATRON_SOFTMAX(Framework.MEGATRON, "loss.probabilities", DataType.FLOAT32, List.of(B, T, V), true),
    MEGATRON_TARGET_MASK(Framework.MEGATRON, "loss.target_mask", DataType.BOOL, List.of(B, T)),
    MEGATRON_TARGETS(Framework.MEGATRON, "loss.masked_target", DataType.INT64, List.of(B, T)),

    TITAN_INPUT(Framework.TORCHTITAN, "layer.input", DataType.FLOAT32, List.of(B, T, D), checkpointed()),
    TITAN_NORM1_INPUT(Framework.TORCHTITAN, "attention_norm.input_float32", DataType.FLOAT32, List.of(B, T, D),
            noneOnly(), true),
    TITAN_NORM1_NORMALIZED(Framework.TORCHTITAN, "attention_norm.normalized_float32", DataType.FLOAT32,
            List.of(B, T, D), noneOnly(), true),
    TITAN_NORM1_RSTD(Framework.TORCHTITAN, "attention_norm.rstd", DataType.FLOAT32, List.of(B, T), noneOnly(), true),
    TITAN_NORM1_OUTPUT(Framework.TORCHTITAN, "attention_norm.output", DataType.FLOAT32, List.of(B, T, D), noneOnly()),
    TITAN_QUERY(Framework.TORCHTITAN, "attention.query", DataType.FLOAT32, List.of(B, T, D_Q), noneOnly()),
    TITAN_KEY(Framework.TORCHTITAN, "attention.key", DataType.FLOAT32, List.of(B, T, D_KV), noneOnly()),
    TITAN_VALUE(Framework.TORCHTITAN, "attention.value", DataType.FLOAT32, List.of(B, T, D_KV), noneOnly()),
    TITAN_WQ_OUTPUT(Framework.TORCHTITAN, "attention.wq.output", DataType.FLOAT32, List.of(B, T, D_Q), selectiveOnly()),
    TITAN_WV_OUTPUT(Framework.TORCHTITAN, "attention.wv.output", DataType.FLOAT32, List.of(B, T, D_KV), selectiveOnly()),
    TITAN_SDPA_OUTPUT(Framework.TORCHTITAN, "attention.sdpa.output", DataType.FLOAT32, List.of(B, T, D_Q), withoutFull()),
    TITAN_SDPA_LSE(Framework.TORCHTITAN, "attention.sdpa.logsumexp", DataType.FLOAT32, List.of(B, H, T), withoutFull(), true),
    TITAN_WO_INPUT(Framework.TORCHTITAN, "attention.wo.input", DataType.FLOAT32, List.of(B, T, D_Q), noneOnly()),
    TITAN_NORM2_INPUT(Framework.TORCHTITAN, "ffn_norm.input_float32", DataType.FLOAT32, List.of(B, T, D), noneOnly(), true),
    TITAN_NORM2_NORMALIZED(Framework.TORCHTITAN, "ffn_norm.normalized_float32", DataType.FLOAT32, List.of(B, T, D),
            noneOnly(), true),
    TITAN_NORM2_RSTD(Framework.TORCHTITAN, "ffn_norm.rstd", DataType.FLOAT32, List.of(B, T), noneOnly(), true),
    TITAN_NORM2_OUTPUT(Framework.TORCHTITAN, "ffn_norm.output", DataType.FLOAT32, List.of(B, T, D), noneOnly()),
    TITAN_W1_OUTPUT(Framework.TORCHTITAN, "feed_forward.w1.output", DataType.FLOAT32, List.of(B, T, D_FF), withoutFull()),
    TITAN_SILU_OUTPUT(Framework.TORCHTITAN, "feed_forward.silu.output", DataType.FLOAT32, List.of(B, T, D_FF), noneOnly()),
    TITAN_W3_OUTPUT(Framework.TORCHTITAN, "feed_forward.w3.output", DataType.FLOAT32, List.of(B, T, D_FF), noneOnly()),
    TITAN_PRODUCT(Framework.TORCHTITAN, "feed_forward.product", DataType.FLOAT32, List.of(B, T, D_FF), noneOnly()),
    TITAN_W2_OUTPUT(Framework.TORCHTITAN, "feed_forward.w2.output", DataType.FLOAT32, List.of(B, T, D), selectiveOnly()),
    TITAN_TOKEN_IDS(Framework.TORCHTITAN, "tok_embeddings.input_ids", DataType.INT64, List.of(B, T)),
    TITAN_FINAL_INPUT(Framework.TORCHTITAN, "norm.input_float32", DataType.FLOAT32, List.of(B, T, D), true),
    TITAN_FINAL_NORMALIZED(Framework.TORCHTITAN, "norm.normalized_float32", DataType.FLOAT32, List.of(B, T, D), true),
    TITAN_FINAL_RSTD(Framework.TORCHTITAN, "norm.rstd", DataType.FLOAT32, List.of(B, T), true),
    TITAN_HEAD_INPUT(Framework.TORCHTITAN, "output.input", DataType.FLOAT32, List.of(B, T, D)),
    TITAN_LOG_PROBABILITIES(Framework.TORCHTITAN, "loss.probabilities", DataType.FLOAT32, List.of(B, T, V), true),
    TITAN_TARGETS(Framework.TORCHTITAN, "loss.labels", DataType.INT64, List.of(B, T));

    private final Framework framework;
    private final Row row;
    /** Where a block's row is kept between its forward and backward; null for a row outside the blocks. */
    private final Set<Recompute> modes;
    private final boolean float32;

    /** A block's row kept under {@code modes}, or, where {@code modes} is null, a row outside the blocks. */
    FrameworkKept(Framework framework, String name, DataType type, List<Dim> dims, Set<Recompute> modes,
            boolean float32) {
        this.framework = framework;
        this.row = new Row(name, null, modes == null ? Scope.ONCE : Scope.PER_LAYER, type, dims,
                framework.cliName() + " backward");
        this.modes = modes;
        this.float32 = float32;
    }

    FrameworkKept(Framework framework, String name, DataType type, List<Dim> dims, Set<Recompute> modes) {
        this(framework, name, type, dims, modes, false);
    }

    /** A row outside the blocks, kept under every mode. */
    FrameworkKept(Framework framework, String name, DataType type, List<Dim> dims, boolean float32) {
        this(framework, name, type, dims, null, float32);
    }

    FrameworkKept(Framework framework, String name, DataType type, List<Dim> dims) {
        this(framework, name, type, dims, false);
    }

    private static Set<Recompute> allModes() {
        return EnumSet.allOf(Recompute.class);
    }

    private static Set<Recompute> withoutFull() {
        return EnumSet.of(Recompute.NONE, Recompute.SELECTIVE);
    }

    private static Set<Recompute> noneOnly() {
        return EnumSet.of(Recompute.NONE);
    }

    private static Set<Recompute> selectiveOnly() {
        return EnumSet.of(Recompute.SELECTIVE);
    }

    private static Set<Recompute> checkpointed() {
        return EnumSet.of(Recompute.SELECTIVE, Recompute.FULL);
    }

    @Override
    public Row row() {
        return row;
    }

    public Framework framework() {
        return framework;
    }

    /** True for a block's row: kept from the block's forward (its input: the phase before) to its backward. */
    public boolean inBlock() {
        return modes != null;
    }

    /** Whether a block keeps this row between forward and backward under {@code mode}. */
    public boolean keptUnder(Recompute mode) {
        return modes == null || modes.contains(mode);
    }

    /** True for a block's input, written by the phase before the block's forward. */
    public boolean blockInput() {
        return this == MEGATRON_INPUT || this == TITAN_INPUT;
    }

    /** True for the last block's output, which the final norm keeps (Megatron's; torchtitan's norm keeps a float32 copy). */
    public boolean blockOutput() {
        return this == MEGATRON_FINAL_INPUT;
    }

    /** True for the row the loss keeps over the logits, B*T*V in the loss's type. */
    public boolean lossRow() {
        return this == MEGATRON_SOFTMAX || this == TITAN_LOG_PROBABILITIES;
    }

    /** True for the token ids, kept from the embedding's forward to its backward. */
    public boolean tokenIds() {
        return this == MEGATRON_TOKEN_IDS || this == TITAN_TOKEN_IDS;
    }

    @Override
    public boolean float32UnderEveryPolicy() {
        return float32;
    }

    /**
     * True where {@code framework}'s table describes {@code shape}'s run: flash attention, RMSNorm before each
     * sublayer, a dense SwiGLU MLP, no biases, QK-norm, soft-caps or positions, every layer trained.
     */
    public static boolean covers(Framework framework, Shape shape) {
        Architecture a = shape.architecture();
        return (framework == Framework.MEGATRON || framework == Framework.TORCHTITAN)
                && shape.attention() == AttentionKernel.FLASH && a.norm() == NormKind.RMS
                && a.placement() == NormPlacement.PRE && a.mlp() == MlpKind.SWIGLU && !a.experts().active()
                && a.bias() == LinearBias.NONE && !a.qkNorm().active() && !a.softCap().capsAttention()
                && !a.softCap().capsLogits() && a.positions() == 0 && !shape.settings().freezes();
    }
}
