package flopcast.cli;

import flopcast.analytic.LinearBias;
import flopcast.analytic.MlpKind;
import flopcast.analytic.NormPlacement;
import flopcast.analytic.QkNorm;
import flopcast.analytic.Shape;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code --hf-config} does with each {@code model_type}: the ones flopcast models (the Llama
 * layout: RMSNorm, a gated SiLU MLP, rotary positions; no biases but where the type always adds them,
 * as Qwen2 does to Q, K and V, or the config's attention_bias and mlp_bias ask; QK-norm where the type
 * always has it, as Qwen3; GeGLU and a tied head by default, as Gemma; OpenAI's GPT-2 under its own
 * key names; the mixtures of experts Mixtral, Qwen2-MoE and Qwen3-MoE), each with the keys it reads, the
 * keys it knows change no count and the keys it accepts only at the value flopcast models; and the
 * ones it knows and refuses, each with what it would need. Every table is printed in
 * docs/hf-config.md, whose sections {@code HfModelTypeTest} holds to these.
 * <p>Sources (analytic/SOURCES.md, "Hugging Face configs"): the configuration classes of
 * transformers (LlamaConfig, MistralConfig, Phi3Config, Qwen2Config, Qwen3Config, GemmaConfig,
 * Gemma2Config, Olmo2Config, MixtralConfig, Qwen2MoeConfig, Qwen3MoeConfig, DeepseekV2Config, GPT2Config;
 * MixtralSparseMoeBlock, Qwen2MoeSparseMoeBlock, Qwen3MoeSparseMoeBlock) and the
 * model cards' config.json files.
 */
enum HfModelType {
    LLAMA("llama", null, keys("is_llama_config", "rope_interleaved"), keys()),
    /** MistralConfig's num_key_value_heads defaults to 8, whatever the heads. */
    MISTRAL("mistral", null, keys(), keys()),
    PHI3("phi3", null, keys("original_max_position_embeddings"), keys("embd_pdrop", "resid_pdrop")),
    /**
     * Biases on Q, K and V always (Qwen2Attention), which no key says; the window off unless
     * use_sliding_window says so, and on the layers from max_window_layers on; Qwen2Config's
     * num_key_value_heads defaults to 32.
     */
    QWEN2("qwen2", null, keys(), keys("max_window_layers"), LinearBias.QKV, false),
    /** QK-norm always (Qwen3Attention's q_norm and k_norm), which no key says; head_dim its own (128 by default); the window as Qwen2's. */
    QWEN3("qwen3", null, keys(), keys("max_window_layers"), LinearBias.NONE, true),
    /**
     * OpenAI's GPT-2 layout ({@link Layout#GPT2}): its own key names; the summary_* keys configure the
     * sequence-summary head of GPT2DoubleHeadsModel and GPT2ForSequenceClassification, which a causal LM
     * has not.
     */
    GPT2("gpt2", Layout.GPT2),
    /**
     * Gemma: the Llama layout with a GeGLU MLP (GemmaMLP) and a head tied unless tie_word_embeddings is
     * false (GemmaConfig's default is true); hidden_activation, where set, names its activation.
     */
    GEMMA("gemma", null, Layout.LLAMA, keys(), keys("hidden_activation"), LinearBias.NONE, false, MlpKind.GEGLU,
            true),
    /**
     * Gemma 2: Gemma's layout (GeGLU, heads of head_dim, a head tied unless tie_word_embeddings is false)
     * with four norms a block (Gemma2DecoderLayer: before and after attention and the MLP), the scores
     * soft-capped at attn_logit_softcapping and the logits at final_logit_softcapping (absent: Gemma2Config's
     * 50.0 and 30.0; null: none), and sliding_window on every other layer (layer_idx % 2 == 0: a window
     * pattern of 2, the odd layers global); query_pre_attn_scalar sets the scores' scale, sliding_window_size repeats the window (the modelling code reads sliding_window), and
     * cache_implementation is inference's.
     */
    GEMMA2("gemma2", keys("query_pre_attn_scalar", "cache_implementation", "sliding_window_size"),
            keys("hidden_activation"), keys(HfConfig.ATTENTION_CAP, HfConfig.LOGIT_CAP), MlpKind.GEGLU),
    /**
     * OLMo 2: the Llama layout with its norms after attention and the MLP, not before
     * (Olmo2DecoderLayer's post_attention_layernorm and post_feedforward_layernorm), and QK-norm over
     * each whole projection (Olmo2Attention's q_norm over h*d_k values, k_norm over h_kv*d_k), which no
     * key says; Olmo2Config's num_key_value_heads defaults to the heads.
     */
    OLMO2("olmo2", null, keys(), keys()),
    /**
     * Mixtral: the Mistral layout with num_local_experts experts a block, num_experts_per_tok a token,
     * each intermediate_size wide (MixtralSparseMoeBlock: softmax over the experts, the top k
     * renormalized); no auxiliary loss unless output_router_logits, no jitter unless router_jitter_noise.
     */
    MIXTRAL("mixtral", keys("router_aux_loss_coef"), keys("output_router_logits", "router_jitter_noise"),
            false, LinearBias.NONE, HfConfig.MIXTRAL_EXPERTS, null, keys()),
    /**
     * Qwen2-MoE: Qwen2's attention (biases on Q, K and V) with num_experts experts a block,
     * num_experts_per_tok a token, each moe_intermediate_size wide, and a shared expert
     * shared_expert_intermediate_size wide under its sigmoid gate (Qwen2MoeSparseMoeBlock); the gates
     * renormalized where norm_topk_prob is true, else (Qwen2MoeConfig's default) the softmax over every
     * expert; a layer in mlp_only_layers, or one that decoder_sparse_step skips ((layer + 1) % step != 0),
     * is dense, an MLP intermediate_size wide (Qwen2MoeDecoderLayer).
     */
    QWEN2_MOE("qwen2_moe", keys("router_aux_loss_coef"), keys("max_window_layers",
            "output_router_logits", "qkv_bias"), false, LinearBias.QKV,
            HfConfig.QWEN3_MOE_EXPERTS, "moe_intermediate_size", keys(HfConfig.NORM_TOP_K,
                    HfConfig.SHARED_EXPERT_WIDTH, HfConfig.SPARSE_STEP, HfConfig.MLP_ONLY_LAYERS)),
    /**
     * Qwen3-MoE: Qwen3's attention (QK-norm, its own head_dim) with num_experts experts a block,
     * num_experts_per_tok a token, each moe_intermediate_size wide (Qwen3MoeSparseMoeBlock); a layer in
     * mlp_only_layers, or one that decoder_sparse_step skips, dense and intermediate_size wide
     * (Qwen3MoeDecoderLayer); the top k renormalized where norm_topk_prob is true, else the softmax over every
     * expert (required: Qwen3MoeConfig's default false is not what its published models use).
     */
    QWEN3_MOE("qwen3_moe", keys("router_aux_loss_coef"), keys("max_window_layers",
            "output_router_logits"), true, LinearBias.NONE,
            HfConfig.QWEN3_MOE_EXPERTS, "moe_intermediate_size", keys(HfConfig.NORM_TOP_K, HfConfig.SPARSE_STEP,
                    HfConfig.MLP_ONLY_LAYERS)),
    DEEPSEEK_V2("deepseek_v2", "multi-head latent attention and n_shared_experts shared experts without a gate"
            + " are not modelled yet (a shared expert under a sigmoid gate is, as qwen2_moe's, and dense first layers"
            + " are, as --dense-layers)"),
    DEEPSEEK_V3("deepseek_v3", "multi-head latent attention and n_shared_experts shared experts without a gate"
            + " are not modelled yet (a shared expert under a sigmoid gate is, as qwen2_moe's, and dense first layers"
            + " are, as --dense-layers)");

    /** Keys whose config-class default is a constant for some types (see {@link #required}). */
    static final String KV_HEADS = "num_key_value_heads";
    static final String HEAD_DIM = "head_dim";

    /** Keys every modelled type accepts as changing no count: ids, initialization, dtype, caching. */
    static final Set<String> NO_COUNT = keys("architectures", "model_type", "torch_dtype", "dtype",
            "transformers_version", "bos_token_id", "eos_token_id", "pad_token_id", "initializer_range", "use_cache",
            "_name_or_path");

    /** Encoders and encoder-decoders people try: refused by name (flopcast models next-token decoders). */
    static final Set<String> ENCODERS = keys("bert", "roberta", "xlm-roberta", "distilbert", "deberta",
            "deberta-v2", "electra", "albert", "modernbert", "t5", "bart");

    /** The key names and the architecture a modelled type's config describes. */
    enum Layout {
        /**
         * The Llama layout (RMSNorm, a gated SiLU MLP, rotary positions) under Llama's key names; the
         * epsilons and RoPE keys change no count; biases, dropout and experts only at the modelled value.
         */
        LLAMA(keys(HfConfig.readKeys()), keys("rms_norm_eps", "rope_theta", "rope_scaling", "pretraining_tp"),
                keys("attention_bias", "mlp_bias", "attention_dropout", "num_local_experts", "num_experts",
                        "n_routed_experts")),
        /**
         * OpenAI's GPT-2 (LayerNorm with a bias, a GELU MLP, biases on every projection, learned
         * positions, a tied head by default) under GPT2Config's names; dropout only at 0, n_ctx only
         * as n_positions, and the attention's scaling and upcasting only as GPT-2 trained.
         */
        GPT2(keys(HfConfig.gpt2ReadKeys()), keys("layer_norm_epsilon", "summary_activation",
                "summary_first_dropout", "summary_proj_to_labels", "summary_type", "summary_use_proj",
                "task_specific_params"), keys("attn_pdrop", "embd_pdrop", "resid_pdrop", "n_ctx",
                        "scale_attn_weights", "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn",
                        "add_cross_attention"));

        private final Set<String> read;
        private final Set<String> noCount;
        private final Set<String> atAValue;

        Layout(Set<String> read, Set<String> noCount, Set<String> atAValue) {
            this.read = read;
            this.noCount = noCount;
            this.atAValue = atAValue;
        }
    }

    private final String name;
    private final String refusal;
    private final Layout layout;
    private final Set<String> noCount;
    private final Set<String> atAValue;
    private final LinearBias bias;
    private final boolean qkNorm;
    private final MlpKind mlp;
    private final boolean tiedByDefault;
    /** A mixture of experts' keys: E, then k; empty for a dense type. */
    private final List<String> expertKeys;
    /** The key that gives each expert's d_ff in place of intermediate_size; null where intermediate_size does. */
    private final String expertWidthKey;
    /**
     * Further keys of its own read: a mixture of experts' (how the gates are normalized, a shared expert's
     * width), Gemma 2's soft-caps.
     */
    private final Set<String> routerKeys;

    /** A mixture of experts on the Llama layout, Qwen3's attention where {@code qwen3}, the type's {@code bias}. */
    HfModelType(String name, Set<String> noCount, Set<String> atAValue, boolean qwen3, LinearBias bias,
            List<String> expertKeys, String expertWidthKey, Set<String> routerKeys) {
        this(name, null, Layout.LLAMA, noCount, atAValue, bias, qwen3, MlpKind.SWIGLU, false, expertKeys,
                expertWidthKey, routerKeys);
    }

    /** The Llama layout with {@code mlp}, tied by default, reading {@code ownKeys} besides: Gemma 2's. */
    HfModelType(String name, Set<String> noCount, Set<String> atAValue, Set<String> ownKeys, MlpKind mlp) {
        this(name, null, Layout.LLAMA, noCount, atAValue, LinearBias.NONE, false, mlp, true, List.of(), null,
                ownKeys);
    }

    HfModelType(String name, String refusal) {
        this(name, refusal, keys(), keys());
    }

    HfModelType(String name, Layout layout) {
        this(name, null, layout, keys(), keys(), LinearBias.NONE, false);
    }

    HfModelType(String name, String refusal, Set<String> noCount, Set<String> atAValue) {
        this(name, refusal, noCount, atAValue, LinearBias.NONE, false);
    }

    HfModelType(String name, String refusal, Set<String> noCount, Set<String> atAValue, LinearBias bias,
            boolean qkNorm) {
        this(name, refusal, Layout.LLAMA, noCount, atAValue, bias, qkNorm);
    }

    HfModelType(String name, String refusal, Layout layout, Set<String> noCount, Set<String> atAValue,
            LinearBias bias, boolean qkNorm) {
        this(name, refusal, layout, noCount, atAValue, bias, qkNorm, MlpKind.SWIGLU, false);
    }

    HfModelType(String name, String refusal, Layout layout, Set<String> noCount, Set<String> atAValue,
            LinearBias bias, boolean qkNorm, MlpKind mlp, boolean tiedByDefault) {
        this(name, refusal, layout, noCount, atAValue, bias, qkNorm, mlp, tiedByDefault, List.of(), null, keys());
    }

    /** Every field. */
    HfModelType(String name, String refusal, Layout layout, Set<String> noCount, Set<String> atAValue,
            LinearBias bias, boolean qkNorm, MlpKind mlp, boolean tiedByDefault, List<String> expertKeys,
            String expertWidthKey, Set<String> routerKeys) {
        this.name = name;
        this.refusal = refusal;
        this.layout = layout;
        this.noCount = noCount;
        this.atAValue = atAValue;
        this.bias = bias;
        this.qkNorm = qkNorm;
        this.mlp = mlp;
        this.tiedByDefault = tiedByDefault;
        this.expertKeys = expertKeys;
        this.expertWidthKey = expertWidthKey;
        this.routerKeys = routerKeys;
    }

    /**
     * Read keys a config must give: where they are absent, transformers takes its config class's
     * constant default (GemmaConfig's head_dim 256 and num_key_value_heads 16, Qwen3Config's 128 and 32,
     * MistralConfig's and Qwen2Config's 8 and 32 key and value heads), not d / h or the attention
     * heads, and flopcast does not guess it.
     */
    Set<String> required() {
        return switch (this) {
            case MISTRAL, QWEN2 -> keys(KV_HEADS);
            case QWEN3, GEMMA -> keys(KV_HEADS, HEAD_DIM);
            // Gemma2Config's defaults: 16 key and value heads, head_dim 256, a window of 4096
            case GEMMA2 -> keys(KV_HEADS, HEAD_DIM, Shape.SLIDING_WINDOW_KEY);
            // MixtralConfig's defaults are 8 experts and 2 a token; Qwen3MoeConfig's 128, 8 and 768 wide
            case MIXTRAL -> union(keys(KV_HEADS), keys(expertKeys.toArray(String[]::new)));
            case QWEN3_MOE -> union(keys(KV_HEADS, HEAD_DIM, expertWidthKey, HfConfig.NORM_TOP_K),
                    keys(expertKeys.toArray(String[]::new)));
            // Qwen2MoeConfig's defaults: 16 key and value heads, 60 experts, 4 a token, 1408 and 5632 wide
            case QWEN2_MOE -> union(keys(KV_HEADS, expertWidthKey, HfConfig.SHARED_EXPERT_WIDTH),
                    keys(expertKeys.toArray(String[]::new)));
            default -> keys();
        };
    }

    /** The MLP its model class builds: SwiGLU for the Llama layout, GeGLU for Gemma. */
    MlpKind mlp() {
        return mlp;
    }

    /** Whether its sliding window is off where use_sliding_window is absent: Qwen2Config's and Qwen3Config's default. */
    boolean windowOffByDefault() {
        return this == QWEN2 || this == QWEN3 || this == QWEN2_MOE || this == QWEN3_MOE;
    }

    /** Whether it reads a shared expert's width ({@link HfConfig#SHARED_EXPERT_WIDTH}). */
    boolean readsSharedExpert() {
        return routerKeys.contains(HfConfig.SHARED_EXPERT_WIDTH);
    }

    /** Whether it reads which layers stay dense ({@link HfConfig#SPARSE_STEP}, {@link HfConfig#MLP_ONLY_LAYERS}). */
    boolean readsDenseLayers() {
        return routerKeys.contains(HfConfig.SPARSE_STEP);
    }

    /** Whether it reads norm_topk_prob ({@link HfConfig#NORM_TOP_K}); Mixtral's gates are always normalized. */
    boolean readsNormTopK() {
        return routerKeys.contains(HfConfig.NORM_TOP_K);
    }

    /** A mixture of experts' keys, E's then k's; empty for a dense type. */
    List<String> expertKeys() {
        return expertKeys;
    }

    /** The key of each expert's d_ff where it is not intermediate_size; empty where it is. */
    Optional<String> expertWidthKey() {
        return Optional.ofNullable(expertWidthKey);
    }

    /** Whether its head is tied where tie_word_embeddings is absent (its config class's default). */
    boolean tiedByDefault() {
        return tiedByDefault;
    }

    /** Its key names and architecture. */
    Layout layout() {
        return layout;
    }

    /** The QK-norm the type always has, which no key says: Qwen3's over each head, OLMo 2's over each projection. */
    QkNorm qkNorm() {
        return this == OLMO2 ? QkNorm.PROJECTION : qkNorm ? QkNorm.HEAD : QkNorm.NONE;
    }

    /** Where the type's blocks have their norms, which no key says: after each sublayer for OLMo 2, both for Gemma 2. */
    NormPlacement placement() {
        return switch (this) {
            case OLMO2 -> NormPlacement.POST;
            case GEMMA2 -> NormPlacement.SANDWICH;
            default -> NormPlacement.PRE;
        };
    }

    /** The biases the type always adds, whatever its keys say: Qwen2's on Q, K and V. */
    LinearBias bias() {
        return bias;
    }

    /** The {@code model_type} string. */
    String typeName() {
        return name;
    }

    /** Why it is refused; empty where flopcast models it. */
    Optional<String> refusal() {
        return Optional.ofNullable(refusal);
    }

    /** Every key it reads, knows to change no count, or accepts at one value, by kind, in order. */
    Map<String, Set<String>> table() {
        Map<String, Set<String>> table = new LinkedHashMap<>();
        Set<String> moe = keys(expertKeys.toArray(String[]::new));
        if (expertWidthKey != null) {
            moe = union(moe, keys(expertWidthKey));
        }
        moe = union(moe, routerKeys);
        table.put("read", without(union(layout.read, moe), noCount));
        table.put("changes no count", union(union(NO_COUNT, layout.noCount), noCount));
        table.put("accepted at the modelled value only", without(union(layout.atAValue, atAValue), moe));
        return table;
    }

    /** Whether it reads the key, knows it changes no count, or checks its value. */
    boolean knows(String key) {
        return table().values().stream().anyMatch(keys -> keys.contains(key));
    }

    /** Whether the key is one it accepts at a value only. */
    boolean checksValue(String key) {
        return table().get("accepted at the modelled value only").contains(key);
    }

    /** The type named {@code name}; empty where flopcast knows none. */
    static Optional<HfModelType> byName(String name) {
        return Arrays.stream(values()).filter(type -> type.name.equals(name)).findFirst();
    }

    /** The modelled types' names, for an error's "allowed". */
    static List<String> modelled() {
        return Arrays.stream(values()).filter(type -> type.refusal == null).map(HfModelType::typeName).toList();
    }

    /** Where the type's table is documented, for an error line. */
    String documented() {
        return "docs/hf-config.md, \"" + name + "\"";
    }

    private static Set<String> keys(String... names) {
        return Collections.unmodifiableSet(new TreeSet<>(Arrays.asList(names)));
    }

    private static Set<String> without(Set<String> a, Set<String> b) {
        TreeSet<String> rest = new TreeSet<>(a);
        rest.removeAll(b);
        return Collections.unmodifiableSet(rest);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        TreeSet<String> all = new TreeSet<>(a);
        all.addAll(b);
        return Collections.unmodifiableSet(all);
    }
}
