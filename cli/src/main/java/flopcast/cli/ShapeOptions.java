package flopcast.cli;

import flopcast.analytic.Architecture;
import flopcast.analytic.AttentionKernel;
import flopcast.analytic.FrozenKind;
import flopcast.analytic.FrozenLayers;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.LinearBias;
import flopcast.analytic.Lora;
import flopcast.analytic.LoraTarget;
import flopcast.analytic.DenseLayers;
import flopcast.analytic.Excerpt;
import flopcast.analytic.Experts;
import flopcast.analytic.MlpKind;
import flopcast.analytic.NormKind;
import flopcast.analytic.NormPlacement;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Preset;
import flopcast.analytic.QkNorm;
import flopcast.analytic.Recompute;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import flopcast.analytic.SoftCap;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The model and batch, from {@code --preset}, {@code --hf-config} or every dimension. Each
 * dimension's option is named by {@link ShapeKey} and lands in one map by its key; positivity is
 * {@link ShapeKey}'s rule, named by the option. With a preset or a config, a dimension given again
 * must agree with it, except the context (a training choice: {@code --context} overrides the
 * published one) and the batch.
 */
final class ShapeOptions {
    static final String KV_HEADS = "--kv-heads";
    static final String TIE = "--tie-embeddings";
    static final String HF_CONFIG = "--hf-config";
    static final String POLICY = "--precision-policy";
    static final String ATTENTION = "--attention";
    static final String RECOMPUTE = "--recompute";
    static final String PAD_VOCAB = "--pad-vocab";
    static final String BIAS = "--bias";
    static final String HEAD_DIM = "--head-dim";
    static final String QK_NORM = "--qk-norm";
    static final String NORM_PLACEMENT = "--norm-placement";
    static final String ATTENTION_CAP = "--attention-softcap";
    static final String WINDOW_PATTERN = "--window-pattern";
    static final String LOGIT_CAP = "--logit-softcap";
    static final String WINDOW = "--sliding-window";
    static final String NORM = "--norm";
    static final String POSITIONS = "--positions";
    static final String MLP = "--mlp";
    static final String LORA_RANK = "--lora-rank";
    static final String LORA_ALPHA = "--lora-alpha";
    static final String LORA_TARGETS = "--lora-targets";
    static final String QUANTIZED_BASE = "--quantized-base";
    static final String FREEZE = "--freeze";

    private final Map<ShapeKey, Long> given = new EnumMap<>(ShapeKey.class);

    @Option(names = "--preset", paramLabel = "NAME",
            description = "gpt2, gpt2-medium, gpt2-large, gpt2-xl (OpenAI's GPT-2), seed-gpt2, seed-gpt2-medium,"
                    + " seed-gpt2-large, seed-gpt2-xl (the seed's model at GPT-2's sizes: RMSNorm, SwiGLU at d_ff=4d,"
                    + " untied, no biases or positions; seed-gpt2-xl is the seed's scenario), llama3-8b, "
                    + "llama3-70b, llama3.1-8b, llama3.1-70b, llama3.2-1b, llama3.2-3b, llama2-7b, llama2-13b, "
                    + "tinyllama-1.1b, mistral-7b (v0.3), smollm2-360m, smollm2-1.7b, qwen2.5-0.5b, qwen2.5-7b, qwen3-0.6b,"
                    + " qwen3-8b, mistral-7b-v0.1, mistral-nemo-12b, phi3-mini, gemma-2b or gemma-7b (as published).")
    String preset;

    @Option(names = HF_CONFIG, paramLabel = "PATH",
            description = "A Hugging Face config.json whose model_type flopcast models (llama, mistral, phi3, qwen2, qwen3, gpt2, gemma, mixtral, qwen2_moe, qwen3_moe); every key it does not read or know to change no count is refused, all in one line (docs/hf-config.md).")
    Path hfConfig;

    @Option(names = KV_HEADS, paramLabel = "H_kv",
            description = "Key and value heads (grouped-query attention); must divide h (default: h).")
    Long kvHeads;

    @Option(names = POLICY, paramLabel = "POLICY", defaultValue = "fp32",
            description = "fp32, bf16-mixed, bf16-mixed-fp32-grads or bf16: bytes per parameter 16, 16, 18 or 8,"
                    + " activations in the compute type (default: ${DEFAULT-VALUE}; train stores bf16 tensors as 16-bit values).")
    String policy;

    @Option(names = ATTENTION, paramLabel = "KERNEL", defaultValue = "eager",
            description = "eager (keeps B*h*T*T probabilities) or flash (keeps B*h*T log-sum-exp, recomputes the"
                    + " scores in backward) (default: ${DEFAULT-VALUE}).")
    String attention;

    @Option(names = RECOMPUTE, paramLabel = "MODE", defaultValue = "none",
            description = "none, selective (recompute the attention core) or full (keep each block's input,"
                    + " rerun its forward) (default: ${DEFAULT-VALUE}).")
    String recompute;

    @Option(names = TIE, description = "Tie the LM head to the token embedding (one V x d parameter).")
    boolean tie;

    @Option(names = BIAS, paramLabel = "WHICH",
            description = "Which projections add a bias: none, qkv (Q, K and V, as Qwen2) or all (every projection"
                    + " of the block, as GPT-2) (default: none, or the preset's or config's).")
    String bias;

    @Option(names = HEAD_DIM, paramLabel = "D_K",
            description = "Each attention head's width d_k, where it is not d / h (Mistral NeMo's 128 at d = 5120,"
                    + " h = 32): Q and the attention output are h x d_k wide and d need not be a multiple of h"
                    + " (default: d / h, or the config's head_dim).")
    Long headDim;

    @Option(names = QK_NORM, paramLabel = "SCOPE", arity = "0..1", fallbackValue = "head", description = "QK-norm:"
            + " an RMSNorm over the queries and keys after their projections, over each head's d_k values with one"
            + " d_k gain each (head, Qwen3's; the option alone) or over each whole projection with an h*d_k and an"
            + " h_kv*d_k gain (projection, OLMo 2's) (default: none, or the preset's or config's).")
    String qkNorm;

    @Option(names = NORM_PLACEMENT, paramLabel = "WHERE", description = "Where each block's norms sit: pre (before"
            + " attention and the MLP, Llama's), post (after each, before the residual add, OLMo 2's) or sandwich"
            + " (both, four a block, Gemma 2's) (default: pre, or the config's).")
    String normPlacement;

    @Option(names = WINDOW_PATTERN, paramLabel = "K", description = "The sliding window on the local layers only:"
            + " every K-th layer (layer i where (i + 1) %% K == 0) attends to every earlier key (Gemma 2's 2, Gemma 3's"
            + " 6); needs " + WINDOW + " (default: the window on every layer, or the config's).")
    Long windowPattern;

    @Option(names = ATTENTION_CAP, paramLabel = "C", description = "Soft-cap the attention scores to c * tanh(s / c)"
            + " before the softmax (Gemma 2's 50): eager keeps tanh of every score beside its probability, flash"
            + " recomputes it (default: none, or the config's).")
    Double attentionCap;

    @Option(names = LOGIT_CAP, paramLabel = "C", description = "Soft-cap the LM head's logits to c * tanh(z / c)"
            + " before the cross-entropy (Gemma 2's 30): tanh of every logit kept, B*T*V (default: none, or the"
            + " config's).")
    Double logitCap;

    @Option(names = WINDOW, paramLabel = "W", description = "A sliding window of W keys (Mistral 7B v0.1's 4096):"
            + " each query attends to itself and the W - 1 keys before it; at a context longer than W attention masks"
            + " the rest of the square it computes; at most W it changes no count (default: none, or the config's).")
    Long slidingWindow;

    @Option(names = NORM, paramLabel = "KIND", description = "The blocks' and the final norm: rmsnorm (Llama's) or"
            + " layernorm (with a bias: GPT-2's, GPT-NeoX's, OPT's) (default: rmsnorm, or the preset's or config's).")
    String norm;

    @Option(names = POSITIONS, paramLabel = "P", description = "Learned position embeddings of P rows (GPT-2's 1024):"
            + " a P x d table whose row t is added to each token at position t; the context must be at most P"
            + " (default: none, rotary positions with no parameters, or the preset's or config's).")
    Long positions;

    @Option(names = MLP, paramLabel = "KIND", description = "The blocks' MLP: swiglu (three matrices, Llama's), gelu"
            + " (two, W2 GELU(x W1) in its tanh form, GPT-2's) or geglu (three, W2 (GELU(x W1) * x W3), Gemma's)"
            + " (default: swiglu, or the preset's or config's).")
    String mlp;

    @Option(names = Experts.COUNT_OPTION, paramLabel = "E", description = "A mixture of E experts in place of each"
            + " block's MLP, each of the --mlp kind and --d-ff wide (the expert's width), with a d x E router"
            + " (Mixtral's 8); memory holds every expert, FLOPs count the --top-k each token runs (default: a dense"
            + " MLP, or the config's).")
    Long experts;

    @Option(names = Experts.TOP_K_OPTION, paramLabel = "k", description = "The experts each token is routed to,"
            + " 1 to E (Mixtral's 2); needs " + Experts.COUNT_OPTION + " (default: the config's).")
    Long topK;

    @Option(names = Experts.GATES_OPTION, paramLabel = "KIND", description = "How the --top-k gates weight the"
            + " experts: normalized (a softmax over the k chosen logits, summing to 1: Mixtral's, Qwen's"
            + " norm_topk_prob true) or unnormalized (the softmax over all E logits at the k chosen: Qwen2-MoE's"
            + " norm_topk_prob false); needs " + Experts.COUNT_OPTION + " (default: normalized, or the config's).")
    String expertGates;

    @Option(names = Experts.SHARED_OPTION, paramLabel = "N", description = "A shared expert beside the routed"
            + " ones, of the --mlp kind and N wide, that every token runs, scaled by a sigmoid gate of its own"
            + " (Qwen2-MoE's shared_expert_intermediate_size); needs " + Experts.COUNT_OPTION
            + " (default: none, or the config's).")
    Long sharedExpertFfn;

    @Option(names = DenseLayers.OPTION, paramLabel = "LIST", description = "Layers whose MLP stays dense among"
            + " the experts, 0-based, comma-separated, with FIRST-LAST ranges (DeepSeek's first_k_dense_replace"
            + " first layers, Qwen's mlp_only_layers): one MLP of the --mlp kind, " + DenseLayers.FFN_OPTION
            + " wide, in place of the router and experts; needs " + Experts.COUNT_OPTION + " (default: none, or the"
            + " config's).")
    String denseLayers;

    @Option(names = DenseLayers.FFN_OPTION, paramLabel = "N", description = "The width of the dense layers' MLP"
            + " (a config's intermediate_size); needs " + DenseLayers.OPTION + ".")
    Long denseFfn;

    @Option(names = LORA_RANK, paramLabel = "R", description = "Train LoRA adapters of rank R on the frozen model:"
            + " only the adapters have gradients and optimizer state; a frozen projection's backward computes its"
            + " input's gradient alone (default: none, every parameter trains).")
    Long loraRank;

    @Option(names = LORA_ALPHA, paramLabel = "A", description = "LoRA's alpha: the adapters' output is scaled by"
            + " A / R; it changes no count (default: 8, PEFT's; needs " + LORA_RANK + ").")
    Double loraAlpha;

    @Option(names = LORA_TARGETS, paramLabel = "LIST", split = ",", description = "The projections that carry an"
            + " adapter in every block, comma-separated: query, key, value, output, w1, w3, w2, or PEFT's q_proj,"
            + " k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or all (default: query,value, PEFT's for"
            + " Llama; needs " + LORA_RANK + ").")
    List<String> loraTargets;

    @Option(names = FREEZE, paramLabel = "KINDS", split = ",", description = "Parameters that do not train,"
            + " comma-separated: embeddings, norms, attention, mlp, head (a tied head is the embedding: both or"
            + " neither); they keep their weights alone, and no weight-gradient work is done for them; not with "
            + LORA_RANK + ", which freezes every parameter (default: none).")
    List<String> freeze;

    @Option(names = FrozenLayers.OPTION, paramLabel = "FIRST-LAST", description = "Blocks that train nothing,"
            + " 0-based and inclusive (0-15, or one block: 3): their norms, attention and MLP keep their weights"
            + " alone, and their backward computes input gradients only; the other blocks train as the other options"
            + " say; not with " + LORA_RANK + ", nor with norms after each sublayer (default: none).")
    String freezeLayers;

    @Option(names = QUANTIZED_BASE, paramLabel = "KIND", description = "none, or nf4 (QLoRA): the blocks' projection"
            + " weights stored as bitsandbytes' 4-bit NF4 with double-quantized block maxima (about 0.516 bytes a"
            + " weight), each dequantized into the compute type for its matmul, as train executes it; needs "
            + LORA_RANK + " and a bf16 policy (default: none).")
    String quantizedBase;

    @Option(names = PAD_VOCAB, paramLabel = "M",
            description = "Pad the vocabulary to a multiple of M, as trainers do for fast matmuls (Megatron's"
                    + " --make-vocab-size-divisible-by, default 128; nanoGPT's GPT-2 50257 -> 50304 = 64 x 786): the"
                    + " embedding and LM head have ceil(V / M) x M rows, and every count follows.")
    Long padVocab;

    @Option(names = ShapeKey.Cli.VOCAB, paramLabel = "V", description = "Vocabulary size.")
    void vocab(long value) {
        given.put(ShapeKey.VOCAB_SIZE, value);
    }

    @Option(names = ShapeKey.Cli.CONTEXT, paramLabel = "T", description = "Context length in tokens.")
    void context(long value) {
        given.put(ShapeKey.CONTEXT_LENGTH, value);
    }

    @Option(names = ShapeKey.Cli.LAYERS, paramLabel = "L", description = "Transformer blocks.")
    void layers(long value) {
        given.put(ShapeKey.NUM_LAYERS, value);
    }

    @Option(names = ShapeKey.Cli.D_MODEL, paramLabel = "d", description = "Model width.")
    void dModel(long value) {
        given.put(ShapeKey.D_MODEL, value);
    }

    @Option(names = ShapeKey.Cli.HEADS, paramLabel = "h", description = "Attention heads; must divide d unless --head-dim gives d_k.")
    void heads(long value) {
        given.put(ShapeKey.NUM_HEADS, value);
    }

    @Option(names = ShapeKey.Cli.D_FF, paramLabel = "d_ff", description = "FFN width.")
    void dFf(long value) {
        given.put(ShapeKey.D_FF, value);
    }

    @Option(names = ShapeKey.Cli.BATCH, paramLabel = "B", defaultValue = "1",
            description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    void batch(long value) {
        given.put(ShapeKey.BATCH_SIZE, value);
    }

    /** The shape asked for, or a one-line error naming what is missing, wrong or contradictory. */
    Shape shape() {
        Shape model = padded(model());
        Set<FrozenKind> frozen = EnumSet.noneOf(FrozenKind.class);
        if (freeze != null) {
            for (String name : freeze) {
                frozen.add(FrozenKind.byName(name.trim()));
            }
        }
        return model.withSettings(new Settings(PrecisionPolicy.byName(policy), AttentionKernel.byName(attention),
                Recompute.byName(recompute), lora(model), frozen,
                freezeLayers == null ? FrozenLayers.NONE : FrozenLayers.parse(freezeLayers)));
    }

    /**
     * The adapters asked for on {@code model} ({@code all}: each projection it has), {@link Lora#NONE}
     * without {@code --lora-rank}; one line for alpha or targets alone.
     */
    private Lora lora(Shape model) {
        boolean nf4 = quantizedBase != null && !quantizedBase.equals("none");
        if (nf4 && !quantizedBase.equals(Lora.NF4)) {
            throw new InvalidInputException(QUANTIZED_BASE + " '" + quantizedBase + "' is not a base quantization"
                    + " (allowed: none, nf4)");
        }
        if (nf4 && loraRank == null) {
            throw new InvalidInputException(QUANTIZED_BASE + " nf4 needs " + LORA_RANK + ": a 4-bit base is frozen,"
                    + " so only adapters can train (allowed: add " + LORA_RANK + ", or no " + QUANTIZED_BASE + ")");
        }
        if (loraRank == null) {
            if (loraAlpha != null || loraTargets != null) {
                throw new InvalidInputException((loraAlpha != null ? LORA_ALPHA : LORA_TARGETS) + " needs "
                        + LORA_RANK + " (allowed: give the adapters' rank, or neither)");
            }
            return Lora.NONE;
        }
        if (loraRank < 1) {
            throw new InvalidInputException(LORA_RANK + " " + loraRank + " must be a positive integer");
        }
        Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
        if (loraTargets == null) {
            targets.addAll(Lora.DEFAULT_TARGETS);
        } else {
            for (String name : loraTargets) {
                if (name.equals("all")) {
                    EnumSet.allOf(LoraTarget.class).stream().filter(t -> t.heldBy(model)).forEach(targets::add);
                } else {
                    targets.add(LoraTarget.byName(name.trim()));
                }
            }
        }
        double alpha = loraAlpha == null ? Lora.DEFAULT_ALPHA : loraAlpha;
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new InvalidInputException(LORA_ALPHA + " " + loraAlpha + " must be a positive number");
        }
        return new Lora(loraRank, alpha, targets, nf4);
    }

    /**
     * The options that leave part of {@code shape}'s model frozen, as given: {@code --lora-rank 8}, or
     * {@code --freeze mlp} and {@code --freeze-layers 0-3}.
     */
    static String freezing(Shape shape) {
        if (shape.settings().lora().active()) {
            return LORA_RANK + " " + shape.settings().lora().rank();
        }
        List<String> given = new ArrayList<>();
        if (!shape.settings().frozen().isEmpty()) {
            given.add(FREEZE + " " + Settings.frozenNames(shape.settings().frozen()));
        }
        if (shape.settings().frozenLayers().active()) {
            given.add(FrozenLayers.OPTION + " " + shape.settings().frozenLayers().text());
        }
        return String.join(" ", given);
    }

    /** {@code shape} with its vocabulary rounded up to a multiple of {@code --pad-vocab}, where given. */
    private Shape padded(Shape shape) {
        if (padVocab == null) {
            return shape;
        }
        ShapeKey.VOCAB_SIZE.requirePositive(padVocab, PAD_VOCAB);
        // an overflow here is the CLI's one line for a shape too large to count
        long rows = Math.multiplyExact(shape.vocabSize() / padVocab + (shape.vocabSize() % padVocab == 0 ? 0 : 1),
                padVocab);
        return new Shape(rows, shape.contextLength(), shape.layers(), shape.dModel(), shape.heads(), shape.dFf(),
                shape.batchSize(), shape.architecture());
    }

    private Shape model() {
        given.forEach((key, value) -> key.requirePositive(value, key.option()));
        if (kvHeads != null) {
            ShapeKey.NUM_HEADS.requirePositive(kvHeads, KV_HEADS);
        }
        if (preset != null && hfConfig != null) {
            throw new InvalidInputException("--preset " + preset + " and " + HF_CONFIG + " " + hfConfig
                    + " both name the model; give one of them");
        }
        if (preset == null && hfConfig == null) {
            List<String> missing = modelKeys().stream().filter(key -> !given.containsKey(key)).map(ShapeKey::option)
                    .toList();
            if (!missing.isEmpty()) {
                throw new InvalidInputException("missing " + String.join(", ", missing)
                        + ": give every dimension, or --preset (" + Preset.names() + "), or " + HF_CONFIG);
            }
            long heads = given.get(ShapeKey.NUM_HEADS);
            long kv = kvHeads == null ? heads : Shape.requireKvHeads(kvHeads, heads, KV_HEADS, ShapeKey.Cli.HEADS);
            if (headDim != null) {
                ShapeKey.NUM_HEADS.requirePositive(headDim, HEAD_DIM);
            }
            return ShapeKey.shape(given::get, new Architecture(kv, tie, bias == null ? LinearBias.NONE
                    : LinearBias.byCliName(bias), headDim == null ? Architecture.HEAD_DIM_FROM_WIDTH : headDim,
                    qkNorm == null ? QkNorm.NONE : QkNorm.byCliName(qkNorm), window(),
                    norm == null ? NormKind.RMS : NormKind.byCliName(norm), positions(),
                    mlp == null ? MlpKind.SWIGLU : MlpKind.byCliName(mlp), experts(),
                    normPlacement == null ? NormPlacement.PRE : NormPlacement.byCliName(normPlacement), softCap(),
                    windowPattern == null ? Architecture.WINDOW_EVERY_LAYER : windowPattern));
        }
        String source = preset != null ? "--preset " + preset : HF_CONFIG + " " + hfConfig;
        Shape named = preset != null ? Preset.byName(preset).shape(1)
                : HfConfig.read(hfConfig, given.get(ShapeKey.CONTEXT_LENGTH));
        for (ShapeKey key : modelKeys()) {
            Long value = given.get(key);
            if (value != null && key != ShapeKey.CONTEXT_LENGTH && value != key.of(named)) {
                throw new InvalidInputException(key.option() + " " + value + " contradicts " + source
                        + ", which has " + key.of(named) + "; drop one of them");
            }
        }
        Architecture held = named.architecture();
        requireAgrees(KV_HEADS, kvHeads, Objects.equals(kvHeads, held.kvHeads()), held.kvHeads(), source);
        requireAgrees(BIAS, bias, bias != null && LinearBias.byCliName(bias) == held.bias(), held.bias().cliName(),
                source);
        requireAgrees(HEAD_DIM, headDim, Objects.equals(headDim, named.headDim()), named.headDim(), source);
        requireAgrees(MLP, mlp, mlp != null && MlpKind.byCliName(mlp) == held.mlp(), held.mlp().cliName(), source);
        requireAgrees(POSITIONS, positions, positions != null && positions() == held.positions(),
                held.positions() == Architecture.NO_POSITIONS ? "none" : held.positions(), source);
        Experts mixture = held.experts();
        String heldExperts = mixture.active() ? mixture.count() + " experts, top-" + mixture.topK() : "a dense MLP";
        requireAgrees(Experts.COUNT_OPTION, experts, experts != null && experts == mixture.count(), heldExperts, source);
        requireAgrees(Experts.TOP_K_OPTION, topK, topK != null && topK == mixture.topK(), heldExperts, source);
        requireAgrees(Experts.GATES_OPTION, expertGates, expertGates != null && expertGates.equals(mixture.gates())
                && mixture.active(), mixture.active() ? mixture.gates() + " gates" : "a dense MLP", source);
        requireAgrees(Experts.SHARED_OPTION, sharedExpertFfn, Objects.equals(sharedExpertFfn, mixture.sharedFfn())
                && mixture.shared(), mixture.shared() ? "a shared expert of " + mixture.sharedFfn() : "no shared expert",
                source);
        DenseLayers dense = mixture.dense();
        requireAgrees(DenseLayers.OPTION, denseLayers, denseLayers != null
                && DenseLayers.parse(denseLayers).equals(dense.layers()),
                dense.active() ? "dense layers " + dense.text() : "no dense layer", source);
        requireAgrees(DenseLayers.FFN_OPTION, denseFfn, Objects.equals(denseFfn, dense.ffn()) && dense.active(),
                dense.active() ? "dense layers " + dense.ffn() + " wide" : "no dense layer", source);
        requireAgrees(NORM, norm, norm != null && NormKind.byCliName(norm) == held.norm(), held.norm().cliName(),
                source);
        requireAgrees(WINDOW, slidingWindow, slidingWindow != null && window() == held.slidingWindow(),
                held.slidingWindow() == Architecture.NO_WINDOW ? "none" : held.slidingWindow(), source);
        requireAgrees(QK_NORM, qkNorm, qkNorm != null && QkNorm.byCliName(qkNorm) == held.qkNorm(),
                held.qkNorm().active() ? "QK-norm over each " + held.qkNorm().cliName() : "no QK-norm", source);
        requireAgrees(WINDOW_PATTERN, windowPattern, Objects.equals(windowPattern, held.windowPattern()),
                held.windowPattern() == Architecture.WINDOW_EVERY_LAYER ? "none" : held.windowPattern(), source);
        SoftCap caps = held.softCap();
        requireAgrees(ATTENTION_CAP, attentionCap, attentionCap != null && attentionCap == caps.attention(),
                caps.capsAttention() ? NumberText.plain(caps.attention()) : "none", source);
        requireAgrees(LOGIT_CAP, logitCap, logitCap != null && logitCap == caps.logits(),
                caps.capsLogits() ? NumberText.plain(caps.logits()) : "none", source);
        requireAgrees(NORM_PLACEMENT, normPlacement, normPlacement != null
                && NormPlacement.byCliName(normPlacement) == held.placement(), held.placement().cliName(), source);
        if (tie && !named.architecture().tiedEmbeddings()) {
            throw new InvalidInputException(TIE + " contradicts " + source
                    + ", whose LM head is untied; drop one of them");
        }
        long context = given.getOrDefault(ShapeKey.CONTEXT_LENGTH, named.contextLength());
        return new Shape(named.vocabSize(), context, named.layers(), named.dModel(), named.heads(), named.dFf(),
                given.get(ShapeKey.BATCH_SIZE), named.architecture());
    }

    /**
     * One line where {@code option}, given ({@code given} not null) beside a preset or a config, names
     * another value than the model's {@code held}.
     */
    private static void requireAgrees(String option, Object given, boolean agrees, Object held, String source) {
        if (given != null && !agrees) {
            throw new InvalidInputException(option + " " + given + " contradicts " + source + ", which has " + held
                    + "; drop one of them");
        }
    }

    /**
     * --experts, --top-k, --expert-gates and --shared-expert-ffn as the architecture holds them; a dense
     * MLP where none is given.
     */
    private Experts experts() {
        if (experts == null && (expertGates != null || sharedExpertFfn != null || denseLayers != null)) {
            throw new InvalidInputException((expertGates != null ? Experts.GATES_OPTION + " " + expertGates
                    : sharedExpertFfn != null ? Experts.SHARED_OPTION + " " + sharedExpertFfn
                    : DenseLayers.OPTION + " " + denseLayers) + " needs " + Experts.COUNT_OPTION
                    + " (allowed: give the experts per block, or neither)");
        }
        if (denseFfn != null && denseLayers == null) {
            throw new InvalidInputException(DenseLayers.FFN_OPTION + " " + denseFfn + " needs " + DenseLayers.OPTION
                    + " (allowed: give the dense layers and their width, or neither)");
        }
        if (experts == null && topK == null) {
            return Experts.NONE;
        }
        if (experts == null) {
            throw new InvalidInputException(Experts.TOP_K_OPTION + " " + topK + " needs " + Experts.COUNT_OPTION
                    + " (allowed: give the experts per block, or neither)");
        }
        if (experts < 1) {
            throw new InvalidInputException(Experts.COUNT_OPTION + " " + experts + " must be a positive integer");
        }
        if (topK == null) {
            throw new InvalidInputException(Experts.COUNT_OPTION + " " + experts + " needs " + Experts.TOP_K_OPTION
                    + " (allowed: 1 to " + experts + " experts a token)");
        }
        if (expertGates != null && !expertGates.equals(Experts.NORMALIZED)
                && !expertGates.equals(Experts.UNNORMALIZED)) {
            throw new InvalidInputException(Experts.GATES_OPTION + " '" + Excerpt.of(expertGates) + "' is not a kind"
                    + " of gates (allowed: " + Experts.NORMALIZED + ", " + Experts.UNNORMALIZED + ")");
        }
        if (sharedExpertFfn != null && sharedExpertFfn < 1) {
            throw new InvalidInputException(Experts.SHARED_OPTION + " " + sharedExpertFfn + " must be a positive"
                    + " integer");
        }
        if (denseFfn != null && denseFfn < 1) {
            throw new InvalidInputException(DenseLayers.FFN_OPTION + " " + denseFfn + " must be a positive integer");
        }
        return new Experts(experts, topK, !Experts.UNNORMALIZED.equals(expertGates),
                sharedExpertFfn == null ? 0 : sharedExpertFfn, denseLayers == null ? DenseLayers.NONE
                        : new DenseLayers(DenseLayers.parse(denseLayers), denseFfn == null ? 0 : denseFfn));
    }

    /** --attention-softcap and --logit-softcap as the architecture holds them; none where not given. */
    private SoftCap softCap() {
        for (Double cap : new Double[] {attentionCap, logitCap}) {
            if (cap != null && (!(cap > 0) || cap.isInfinite())) {
                throw new InvalidInputException((cap == attentionCap ? ATTENTION_CAP : LOGIT_CAP) + " "
                        + (cap.isNaN() || cap.isInfinite() ? cap.toString() : NumberText.plain(cap))
                        + " must be a positive number (the cap c of c * tanh(x / c))");
            }
        }
        return new SoftCap(attentionCap == null ? SoftCap.NONE : attentionCap, logitCap == null ? SoftCap.NONE
                : logitCap);
    }

    /** --positions as the architecture holds it, checked positive; none where not given. */
    private long positions() {
        return positiveOr(positions, POSITIONS, Architecture.NO_POSITIONS);
    }

    /** --sliding-window as the architecture holds it, checked positive; none where not given. */
    private long window() {
        return positiveOr(slidingWindow, WINDOW, Architecture.NO_WINDOW);
    }

    /** {@code value} checked positive as {@code option}, or {@code none} where it was not given. */
    private static long positiveOr(Long value, String option, long none) {
        return value == null ? none : ShapeKey.CONTEXT_LENGTH.requirePositive(value, option);
    }

    /** The dimensions a preset fixes: all but the batch. */
    private static List<ShapeKey> modelKeys() {
        return List.of(ShapeKey.values()).stream().filter(key -> key != ShapeKey.BATCH_SIZE).toList();
    }
}
