package flopcast.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flopcast.analytic.Architecture;
import flopcast.analytic.DenseLayers;
import flopcast.analytic.Excerpt;
import flopcast.analytic.Experts;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.LinearBias;
import flopcast.analytic.MlpKind;
import flopcast.analytic.NormKind;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import flopcast.analytic.SoftCap;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face {@code config.json} read into a {@link Shape}, by its {@code model_type}
 * ({@link HfModelType}): a type flopcast models (llama, mistral, phi3, qwen2, qwen3: the Llama layout,
 * Qwen2's with biases on Q, K and V, Qwen3's with QK-norm; gpt2: OpenAI's GPT-2 under its own key
 * names, {@link #gpt2}; gemma: the Llama layout with GeGLU; mixtral, qwen2_moe and qwen3_moe: Mistral's,
 * Qwen2's and Qwen3's layouts with a mixture of experts) is read; a type it knows and does not model
 * yet (gemma2, olmo2, DeepSeek's latent attention) is refused with what it would need; an encoder or an unknown type is refused by name.
 * Within a modelled type every key is read, known to change nothing flopcast counts, or accepted
 * only at the value flopcast models; every other key, and every value not modelled, is named in one
 * line that points at the type's table in docs/hf-config.md. A feature flopcast does not model is
 * never ignored.
 *
 * <p>Read, the Llama layout: {@code vocab_size}, {@code hidden_size}, {@code num_hidden_layers},
 * {@code num_attention_heads}, {@code num_key_value_heads} (default: the attention heads, where the
 * type's class defaults to them), {@code intermediate_size}, {@code max_position_embeddings} (the context, unless {@code --context}
 * gives another), {@code tie_word_embeddings} (default false; Gemma's true), {@code hidden_act} (silu or
 * swiglu: the gated MLP flopcast executes; Gemma's gelu or gelu_pytorch_tanh, GeGLU), {@code head_dim} (d_k;
 * default hidden_size / heads where the type's class defaults to it, else required: {@link HfModelType#required}),
 * {@code attention_bias}
 * and {@code mlp_bias} (both false or absent: the type's own biases; both true: every projection of
 * the block), {@code sliding_window} and {@code use_sliding_window} (the window, which masks the
 * keys before it where it is shorter than the context); for a mixture of experts the experts a block and a
 * token ({@link HfModelType#expertKeys}) and, for qwen2_moe and qwen3_moe, {@code moe_intermediate_size} as
 * each expert's d_ff and {@code norm_topk_prob} (the gates renormalized or not), for qwen2_moe
 * {@code shared_expert_intermediate_size}, the shared expert's width. GPT-2: {@code vocab_size}, {@code n_embd}, {@code n_layer},
 * {@code n_head}, {@code n_positions}, {@code n_inner}, {@code activation_function} and
 * {@code tie_word_embeddings} ({@link #gpt2}).
 * <p>Source: Hugging Face config classes; analytic/SOURCES.md.
 */
final class HfConfig {
    private static final Map<String, ShapeKey> READ = Map.of("vocab_size", ShapeKey.VOCAB_SIZE, "hidden_size",
            ShapeKey.D_MODEL, "num_hidden_layers", ShapeKey.NUM_LAYERS, "num_attention_heads", ShapeKey.NUM_HEADS,
            "intermediate_size", ShapeKey.D_FF, "max_position_embeddings", ShapeKey.CONTEXT_LENGTH);
    private static final String KV_HEADS = "num_key_value_heads";
    private static final String TIED = "tie_word_embeddings";
    private static final String ACTIVATION = "hidden_act";
    private static final String HEAD_DIM = "head_dim";
    private static final String ATTENTION_BIAS = "attention_bias";
    private static final String WINDOW = Shape.SLIDING_WINDOW_KEY;
    private static final String USE_WINDOW = "use_sliding_window";
    /** Gemma 2's soft-caps of the attention scores and of the logits. */
    static final String ATTENTION_CAP = "attn_logit_softcapping";
    static final String LOGIT_CAP = "final_logit_softcapping";
    /** Gemma 2's global layers: every second (Gemma2Attention windows layer_idx % 2 == 0, the even layers). */
    private static final long GEMMA2_WINDOW_PATTERN = 2;
    /** Gemma2Config's defaults for them. */
    private static final double GEMMA2_ATTENTION_CAP = 50;
    private static final double GEMMA2_LOGIT_CAP = 30;
    private static final String MLP_BIAS = "mlp_bias";
    private static final String MAX_WINDOW_LAYERS = "max_window_layers";
    /** MixtralConfig's experts a block and a token. */
    static final List<String> MIXTRAL_EXPERTS = List.of("num_local_experts", "num_experts_per_tok");
    /** Qwen3MoeConfig's (and Qwen2MoeConfig's) experts a block and a token. */
    static final List<String> QWEN3_MOE_EXPERTS = List.of("num_experts", "num_experts_per_tok");
    /** Whether the top k gates are renormalized (Qwen2-MoE's and Qwen3-MoE's). */
    static final String NORM_TOP_K = "norm_topk_prob";
    /** Qwen2-MoE's shared expert's width. */
    static final String SHARED_EXPERT_WIDTH = "shared_expert_intermediate_size";
    /** Qwen's MoE configs: a layer is sparse where (layer + 1) % decoder_sparse_step == 0. */
    static final String SPARSE_STEP = "decoder_sparse_step";
    /** Qwen's MoE configs: the layers whose MLP stays dense whatever the step. */
    static final String MLP_ONLY_LAYERS = "mlp_only_layers";
    private static final List<String> GATED_ACTIVATIONS = List.of("silu", "swiglu");
    /** Gemma's hidden_act values: GemmaMLP runs either as GELU's tanh form unless hidden_activation says otherwise. */
    private static final List<String> GEGLU_ACTIVATIONS = List.of("gelu", "gelu_pytorch_tanh");
    /** GPT2Config's names for the dimensions; n_positions is the context and the position table's rows. */
    private static final Map<String, ShapeKey> GPT2_READ = Map.of("vocab_size", ShapeKey.VOCAB_SIZE, "n_embd",
            ShapeKey.D_MODEL, "n_layer", ShapeKey.NUM_LAYERS, "n_head", ShapeKey.NUM_HEADS);
    private static final String POSITIONS = "n_positions";
    private static final String INNER = "n_inner";
    private static final String GPT2_ACTIVATION = "activation_function";
    /** The tanh form of GELU that flopcast executes, under transformers' two names for it. */
    private static final List<String> TANH_GELU = List.of("gelu_new", "gelu_pytorch_tanh");

    /** The most bytes read: a model's config.json is a few kilobytes. */
    static final int MAX_BYTES = 1 << 20;
    /** The deepest nesting read: configs nest two or three levels. */
    static final int MAX_DEPTH = 32;
    /** The longest key or string read. */
    static final int MAX_CHARS = 1 << 16;
    /** The longest number read: a double written in full is 24 characters. */
    static final int MAX_NUMBER_CHARS = 100;
    /** Bytes of the file read to quote from where the reading stopped: UTF-8 takes up to 4 a character. */
    private static final int EXCERPT_BYTES = 4 * Excerpt.SHOWN;
    /**
     * Jackson within those limits; a key given twice is refused (the later value would otherwise
     * replace the first unseen).
     */
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxDocumentLength(MAX_BYTES)
                    .maxNestingDepth(MAX_DEPTH).maxStringLength(MAX_CHARS).maxNameLength(MAX_CHARS)
                    .maxNumberLength(MAX_NUMBER_CHARS).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    private HfConfig() {
    }

    /** Every key {@link #read} reads into the shape: the table of each modelled type starts from them. */
    static String[] readKeys() {
        List<String> keys = new ArrayList<>(READ.keySet());
        keys.addAll(List.of(KV_HEADS, TIED, ACTIVATION, HEAD_DIM, WINDOW, USE_WINDOW));
        return keys.toArray(String[]::new);
    }

    /** Every key {@link #read} reads into a GPT-2 shape. */
    static String[] gpt2ReadKeys() {
        List<String> keys = new ArrayList<>(GPT2_READ.keySet());
        keys.addAll(List.of(POSITIONS, INNER, GPT2_ACTIVATION, TIED));
        return keys.toArray(String[]::new);
    }

    /** The shape {@code path} describes, at batch 1, at its max_position_embeddings; a one-line error for anything else. */
    static Shape read(Path path) {
        return read(path, null);
    }

    /**
     * The shape {@code path} describes, at batch 1 and {@code context} ({@code --context}; null: its
     * max_position_embeddings); a one-line error for anything else.
     */
    static Shape read(Path path, Long context) {
        JsonNode root = parse(path);
        String where = "--hf-config " + path;
        HfModelType type = requireModelled(root, where);
        if (type.layout() == HfModelType.Layout.GPT2) {
            return gpt2(root, where, context);
        }
        List<String> lacking = type.required().stream().filter(key -> !root.has(key) || root.get(key).isNull())
                .toList();
        if (!lacking.isEmpty()) {
            throw new InvalidInputException(where + " lacks " + String.join(" and ", lacking) + ": for model_type "
                    + type.typeName() + " transformers takes a constant default where it is absent, not d / h or the"
                    + " attention heads, and flopcast does not guess it (allowed: the model card's value in the file)");
        }
        long[] values = new long[ShapeKey.values().length];
        values[ShapeKey.BATCH_SIZE.ordinal()] = 1;
        READ.forEach((name, key) -> values[key.ordinal()] = key == ShapeKey.D_FF && type.expertWidthKey().isPresent()
                ? 0 : positive(root, name, where));
        long heads = values[ShapeKey.NUM_HEADS.ordinal()];
        long kvHeads = root.has(KV_HEADS) ? positive(root, KV_HEADS, where) : heads;
        Shape.requireKvHeads(kvHeads, heads, where + ": " + KV_HEADS, "num_attention_heads");
        boolean tied = root.has(TIED) ? bool(root, TIED, where) : type.tiedByDefault();
        JsonNode headDimValue = root.get(HEAD_DIM);
        long headDim = headDimValue == null || headDimValue.isNull() ? Architecture.HEAD_DIM_FROM_WIDTH
                : positive(root, HEAD_DIM, where);
        LinearBias bias = flag(root, ATTENTION_BIAS) && flag(root, MLP_BIAS) ? LinearBias.ALL : type.bias();
        if (context != null) {
            values[ShapeKey.CONTEXT_LENGTH.ordinal()] = context;
        }
        long window = window(root, where, type);
        SoftCap caps = type == HfModelType.GEMMA2 ? new SoftCap(cap(root, ATTENTION_CAP, where, GEMMA2_ATTENTION_CAP),
                cap(root, LOGIT_CAP, where, GEMMA2_LOGIT_CAP)) : SoftCap.OFF;
        Experts experts = Experts.NONE;
        if (!type.expertKeys().isEmpty()) {
            long count = positive(root, type.expertKeys().get(0), where);
            long topK = positive(root, type.expertKeys().get(1), where);
            if (topK > count) {
                throw new InvalidInputException(where + ": " + type.expertKeys().get(1) + " " + topK + " is more than "
                        + type.expertKeys().get(0) + " " + count + " (allowed: 1 to " + count + " experts a token)");
            }
            // absent, norm_topk_prob takes Qwen2MoeConfig's default, false (Qwen3-MoE's is required)
            boolean normalized = !type.readsNormTopK() || root.has(NORM_TOP_K) && !root.get(NORM_TOP_K).isNull()
                    && bool(root, NORM_TOP_K, where);
            experts = new Experts(count, topK, normalized,
                    type.readsSharedExpert() ? positive(root, SHARED_EXPERT_WIDTH, where) : 0,
                    type.readsDenseLayers() ? denseLayers(root, where, values[ShapeKey.NUM_LAYERS.ordinal()])
                            : DenseLayers.NONE);
            type.expertWidthKey().ifPresent(key -> values[ShapeKey.D_FF.ordinal()] = positive(root, key, where));
        }
        return ShapeKey.shape(key -> values[key.ordinal()], new Architecture(kvHeads, tied, bias, headDim,
                type.qkNorm(), window, NormKind.RMS, Architecture.NO_POSITIONS, type.mlp(), experts,
                type.placement(), caps, type == HfModelType.GEMMA2 && window != Architecture.NO_WINDOW
                        ? GEMMA2_WINDOW_PATTERN : Architecture.WINDOW_EVERY_LAYER));
    }

    /**
     * The layers of a Qwen MoE config whose MLP stays dense, intermediate_size wide: those in mlp_only_layers
     * (absent or null: none) and those decoder_sparse_step skips, (layer + 1) % step != 0 (absent or null: 1,
     * every layer sparse), as Qwen2MoeDecoderLayer and Qwen3MoeDecoderLayer choose.
     */
    private static DenseLayers denseLayers(JsonNode root, String where, long layers) {
        JsonNode stepValue = root.get(SPARSE_STEP);
        long step = stepValue == null || stepValue.isNull() ? 1 : positive(root, SPARSE_STEP, where);
        java.util.TreeSet<Long> dense = new java.util.TreeSet<>();
        JsonNode only = root.get(MLP_ONLY_LAYERS);
        if (only != null && !only.isNull()) {
            if (!only.isArray()) {
                throw new InvalidInputException(where + ": " + MLP_ONLY_LAYERS + " " + Excerpt.of(only.toString())
                        + " is not a list of layers (allowed: [] or layer numbers 0 to " + (layers - 1) + ")");
            }
            for (JsonNode layer : only) {
                if (!layer.isIntegralNumber() || layer.asLong() < 0 || layer.asLong() >= layers) {
                    throw new InvalidInputException(where + ": " + MLP_ONLY_LAYERS + " holds "
                            + Excerpt.of(layer.toString()) + " (allowed: layer numbers 0 to " + (layers - 1) + ")");
                }
                dense.add(layer.asLong());
            }
        }
        for (long layer = 0; layer < layers; layer++) {
            if ((layer + 1) % step != 0) {
                dense.add(layer);
            }
        }
        return dense.isEmpty() ? DenseLayers.NONE
                : new DenseLayers(List.copyOf(dense), positive(root, "intermediate_size", where));
    }

    /**
     * OpenAI's GPT-2 layout from GPT2Config's keys: n_positions learned positions and the context
     * (unless {@code context} gives another, at most n_positions), d_ff = n_inner (absent or null:
     * 4 x n_embd, GPT2MLP's), the head tied unless tie_word_embeddings is false (PretrainedConfig's
     * default is true).
     */
    private static Shape gpt2(JsonNode root, String where, Long context) {
        long[] values = new long[ShapeKey.values().length];
        values[ShapeKey.BATCH_SIZE.ordinal()] = 1;
        GPT2_READ.forEach((name, key) -> values[key.ordinal()] = positive(root, name, where));
        long positions = positive(root, POSITIONS, where);
        values[ShapeKey.CONTEXT_LENGTH.ordinal()] = context != null ? context : positions;
        JsonNode inner = root.get(INNER);
        values[ShapeKey.D_FF.ordinal()] = inner == null || inner.isNull()
                ? Math.multiplyExact(4, values[ShapeKey.D_MODEL.ordinal()]) : positive(root, INNER, where);
        boolean tied = !root.has(TIED) || bool(root, TIED, where);
        long heads = values[ShapeKey.NUM_HEADS.ordinal()];
        return ShapeKey.shape(key -> values[key.ordinal()], new Architecture(heads, tied, LinearBias.ALL,
                Architecture.HEAD_DIM_FROM_WIDTH, false, Architecture.NO_WINDOW, NormKind.LAYER, positions,
                MlpKind.GELU));
    }

    /**
     * The sliding window: sliding_window where it is a positive integer and use_sliding_window is absent
     * or true; none where sliding_window is absent or null, or use_sliding_window is false.
     */
    private static long window(JsonNode root, String where, HfModelType type) {
        if (root.has(USE_WINDOW)) {
            bool(root, USE_WINDOW, where);
        }
        JsonNode value = root.get(WINDOW);
        if (value == null || value.isNull() || !windowUsed(root, type)) {
            return Architecture.NO_WINDOW;
        }
        long window = positive(root, WINDOW, where);
        // Qwen2 and Qwen3 window the layers from max_window_layers on: none where it is at least the layers
        JsonNode from = root.get(MAX_WINDOW_LAYERS);
        return from != null && from.isIntegralNumber() && from.asLong() >= positive(root, "num_hidden_layers", where)
                ? Architecture.NO_WINDOW : window;
    }

    /** A soft-cap: {@code whenAbsent} where the key is absent (its config class's default), none where null. */
    private static double cap(JsonNode root, String name, String where, double whenAbsent) {
        JsonNode value = root.get(name);
        if (value == null) {
            return whenAbsent;
        }
        if (value.isNull()) {
            return SoftCap.NONE;
        }
        if (!value.isNumber() || !(value.asDouble() > 0) || Double.isInfinite(value.asDouble())) {
            throw new InvalidInputException(where + ": " + name + " must be a positive number or null, got "
                    + shown(value) + " (allowed: the cap c of c * tanh(x / c), or null for none)");
        }
        return value.asDouble();
    }

    /**
     * Whether the type uses its sliding_window: use_sliding_window where given (a boolean, checked when
     * the keys were), else the type's class default (Qwen2Config's and Qwen3Config's false; Mistral and
     * Phi-3 have no such switch).
     */
    private static boolean windowUsed(JsonNode root, HfModelType type) {
        JsonNode used = root.get(USE_WINDOW);
        return used != null ? used.asBoolean() : !type.windowOffByDefault();
    }

    /** A boolean key's value, false where it is absent (requireModelled has checked its type). */
    private static boolean flag(JsonNode root, String name) {
        JsonNode value = root.get(name);
        return value != null && value.asBoolean(false);
    }

    /**
     * The JSON object in {@code path}, read within the limits above; a file that is missing, a
     * directory, not UTF-8 JSON, not one object, or past a limit is one line naming the value.
     */
    private static JsonNode parse(Path path) {
        String file = "--hf-config " + path;
        if (Files.isDirectory(path)) {
            throw new InvalidInputException(file + " is a directory; give the config.json file in it");
        }
        try (InputStream in = Files.newInputStream(path); JsonParser parser = MAPPER.createParser(in)) {
            JsonNode root;
            try {
                root = MAPPER.readTree(parser);
            } catch (StreamConstraintsException e) {
                throw new InvalidInputException(file + beyondLimit(e, parser, path));
            }
            if (root == null || root.isMissingNode()) {
                throw new InvalidInputException(file + " is empty; allowed is a JSON object of config keys");
            }
            if (!root.isObject()) {
                throw new InvalidInputException(file + " holds a JSON " + root.getNodeType().name().toLowerCase(
                        Locale.ROOT) + ", " + Excerpt.of(root.toString()) + "; allowed is a JSON object of config keys");
            }
            if (parser.nextToken() != null) {
                JsonLocation at = parser.currentTokenLocation();
                throw new InvalidInputException(file + " holds more after its object, at line " + at.getLineNr()
                        + ", column " + at.getColumnNr() + ": " + excerpt(path, at) + "; allowed is one JSON object");
            }
            return root;
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + ": no such file");
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new InvalidInputException(file + " is not valid JSON" + (at == null ? "" : " (line " + at.getLineNr()
                    + ", column " + at.getColumnNr() + ")") + ": " + Excerpt.of(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new InvalidInputException(file + " cannot be read: " + e.getMessage());
        }
    }

    /** Which of the limits above the file passed, where, and the first characters of the value there. */
    private static String beyondLimit(StreamConstraintsException e, JsonParser parser, Path path) {
        String message = e.getOriginalMessage();
        if (message.startsWith("Document length")) {
            return " is longer than " + MAX_BYTES + " bytes (allowed: at most " + MAX_BYTES
                    + "; a model's config.json is a few kilobytes)";
        }
        String what;
        String allowed;
        if (message.startsWith("Document nesting depth")) {
            what = topLevelKey(parser) + " nests arrays and objects more than " + MAX_DEPTH + " deep";
            allowed = "at most " + MAX_DEPTH + " levels";
        } else if (message.startsWith("String value length")) {
            what = topLevelKey(parser) + " holds a string longer than " + MAX_CHARS + " characters";
            allowed = "strings of at most " + MAX_CHARS + " characters";
        } else if (message.startsWith("Number value length")) {
            what = topLevelKey(parser) + " holds a number longer than " + MAX_NUMBER_CHARS + " characters";
            allowed = "numbers of at most " + MAX_NUMBER_CHARS + " characters";
        } else if (message.startsWith("Name length")) {
            what = "a key longer than " + MAX_CHARS + " characters follows the value";
            allowed = "keys of at most " + MAX_CHARS + " characters";
        } else {
            return ": " + Excerpt.of(message);
        }
        JsonLocation at = parser.currentTokenLocation();
        return ": " + what + " at line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " + excerpt(path, at)
                + " (allowed: " + allowed + ")";
    }

    /** The key of the top-level object under which the parser stands, or "the document" outside one. */
    private static String topLevelKey(JsonParser parser) {
        JsonStreamContext context = parser.getParsingContext();
        while (context.getParent() != null && context.getParent().getParent() != null) {
            context = context.getParent();
        }
        return context.inObject() && context.getCurrentName() != null
                ? "key '" + Excerpt.of(context.getCurrentName()) + "'" : "the document";
    }

    /** The file's first characters from {@code at}; empty where they cannot be read again. */
    private static String excerpt(Path path, JsonLocation at) {
        if (at.getByteOffset() < 0) {
            return "";
        }
        try (SeekableByteChannel channel = Files.newByteChannel(path)) {
            ByteBuffer bytes = ByteBuffer.allocate(EXCERPT_BYTES);
            channel.position(at.getByteOffset());
            while (bytes.hasRemaining() && channel.read(bytes) > 0) {
                // until the buffer is full or the file ends
            }
            String text = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8);
            return Excerpt.start(text.replaceAll("\\p{Cntrl}", " "), bytes.hasRemaining());
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The model type, where the config names one flopcast models and each key is read, known to
     * change no count, or at the value flopcast models; otherwise one line naming every key that is
     * not, with the allowed values and where the type's table is documented.
     */
    private static HfModelType requireModelled(JsonNode root, String where) {
        JsonNode typeNode = root.get("model_type");
        String allowed = "allowed: " + String.join(", ", HfModelType.modelled());
        if (typeNode == null || !typeNode.isTextual()) {
            throw new InvalidInputException(where + (typeNode == null ? " lacks model_type" : ": model_type "
                    + shown(typeNode) + " is not a string") + " (" + allowed + "; docs/hf-config.md)");
        }
        String typeName = typeNode.asText();
        if (HfModelType.ENCODERS.contains(typeName)) {
            throw new InvalidInputException(where + ": model_type " + shown(typeNode) + " is an encoder or an"
                    + " encoder-decoder; flopcast models decoders trained on the next token (" + allowed + ")");
        }
        HfModelType type = HfModelType.byName(typeName).orElseThrow(() -> new InvalidInputException(where
                + ": model_type " + shown(typeNode) + " is not one flopcast knows (" + allowed + "; known and refused: "
                + String.join(", ", Arrays.stream(HfModelType.values()).filter(t -> t.refusal().isPresent())
                        .map(HfModelType::typeName).toList()) + ")"));
        if (type.refusal().isPresent()) {
            throw new InvalidInputException(where + ": model_type " + shown(typeNode) + " is refused: "
                    + type.refusal().get() + " (" + allowed + "; docs/hf-config.md)");
        }
        JsonNode architectures = root.get("architectures");
        if (architectures != null) {
            for (JsonNode architecture : architectures.isArray() ? architectures : List.of(architectures)) {
                if (!architecture.isTextual() || !(architecture.asText().endsWith("ForCausalLM")
                        || architecture.asText().endsWith("LMHeadModel"))) {
                    throw new InvalidInputException(where + ": architectures names " + shown(architecture)
                            + ", not a causal language model; flopcast models decoders trained on the next token"
                            + " (allowed: a name ending in ForCausalLM, or LMHeadModel as GPT2LMHeadModel)");
                }
            }
        }
        List<String> unknown = new ArrayList<>();
        // values not modelled, grouped by what is allowed, so that three dropouts read as one problem
        Map<String, List<String>> notModelled = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            if (!type.knows(name)) {
                unknown.add("'" + Excerpt.of(name) + "'");
            } else if (type.checksValue(name) || name.equals(ACTIVATION) || name.equals(GPT2_ACTIVATION)) {
                allowedFor(type, name, field.getValue(), root).ifPresent(rule -> notModelled
                        .computeIfAbsent(rule, r -> new ArrayList<>()).add(name + " " + shown(field.getValue())));
            }
        }
        List<String> problems = new ArrayList<>();
        notModelled.forEach((rule, values) -> problems.add(String.join(", ", values)
                + (values.size() == 1 ? " is" : " are") + " not modelled (allowed: " + rule + ")"));
        if (!unknown.isEmpty()) {
            problems.add(0, (unknown.size() == 1 ? "key " : unknown.size() + " keys ") + String.join(", ", unknown)
                    + (unknown.size() == 1 ? " is" : " are") + " not one flopcast reads or knows to change nothing it"
                    + " counts (refused rather than ignored)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidInputException(where + " (model_type " + typeName + "): " + String.join("; ", problems)
                    + "; its keys: " + type.documented());
        }
        return type;
    }

    /** What a value-checked key allows, where its value is not the one flopcast models; empty where it is. */
    private static Optional<String> allowedFor(HfModelType type, String name, JsonNode value, JsonNode root) {
        boolean modelled;
        String allowed;
        switch (name) {
            case ACTIVATION -> {
                if (type.mlp() == MlpKind.GEGLU) {
                    // GemmaMLP runs "gelu" as the tanh form where hidden_activation is not set
                    modelled = GEGLU_ACTIVATIONS.contains(value.asText());
                    allowed = "gelu or gelu_pytorch_tanh, both run as the tanh form of GELU by Gemma's MLP";
                } else {
                    modelled = GATED_ACTIVATIONS.contains(value.asText());
                    allowed = "silu or swiglu, the gated SiLU MLP flopcast executes";
                }
            }
            case MAX_WINDOW_LAYERS -> {
                JsonNode layers = root.get("num_hidden_layers");
                JsonNode window = root.get(WINDOW);
                modelled = value.isIntegralNumber() && (window == null || window.isNull() || !windowUsed(root, type)
                        || value.asLong() == 0 || layers != null && value.asLong() >= layers.asLong());
                allowed = "0 (the window on every layer) or at least num_hidden_layers (on none), where"
                        + " use_sliding_window is on: transformers windows the layers from max_window_layers on, and a"
                        + " window on some layers only is not modelled";
            }
            case "output_router_logits" -> {
                modelled = value.isBoolean() && !value.asBoolean();
                allowed = "false: true adds the auxiliary load-balancing loss over every layer's router logits,"
                        + " which flopcast does not count";
            }
            case "router_jitter_noise" -> {
                modelled = value.isNumber() && value.asDouble() == 0;
                allowed = "0: jitter multiplies the router's input by noise, which flopcast does not count";
            }
            case "qkv_bias" -> {
                modelled = value.isBoolean() && value.asBoolean();
                allowed = "true: biases on Q, K and V, which Qwen2-MoE's attention adds (before this key, always)";
            }
            case "hidden_activation" -> {
                modelled = value.isNull() || value.asText().equals("gelu_pytorch_tanh");
                allowed = "null or gelu_pytorch_tanh, the tanh form of GELU flopcast executes";
            }
            case ATTENTION_BIAS, MLP_BIAS -> {
                String other = name.equals(ATTENTION_BIAS) ? MLP_BIAS : ATTENTION_BIAS;
                JsonNode otherValue = root.get(other);
                modelled = value.isBoolean() && (otherValue == null ? !value.asBoolean()
                        : otherValue.isBoolean() && otherValue.asBoolean() == value.asBoolean());
                allowed = "true or false as " + other + " is (absent: false): biases on every projection of the"
                        + " block, or none beyond the type's own";
            }

            case GPT2_ACTIVATION -> {
                modelled = TANH_GELU.contains(value.asText());
                allowed = "gelu_new or gelu_pytorch_tanh, the tanh form of GELU flopcast executes";
            }
            case "attention_dropout", "attn_pdrop", "embd_pdrop", "resid_pdrop" -> {
                modelled = value.isNumber() && value.asDouble() == 0;
                allowed = "0; dropout keeps a mask flopcast does not count: set it to 0 to count a run without"
                        + " dropout";
            }
            case "n_ctx" -> {
                JsonNode positions = root.get(POSITIONS);
                modelled = positions != null && positions.equals(value);
                allowed = "n_positions, of which it is an older name";
            }
            case "scale_attn_weights" -> {
                modelled = value.isBoolean() && value.asBoolean();
                allowed = "true: scores divided by sqrt(d_k), as GPT-2 trained and flopcast counts";
            }
            case "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "add_cross_attention" -> {
                modelled = value.isBoolean() && !value.asBoolean();
                allowed = "false, as GPT-2 trained: flopcast counts no extra scaling, upcast or cross-attention";
            }
            default -> {
                modelled = value.isNull() || (value.isIntegralNumber() && value.asLong() == 0);
                allowed = type.expertKeys().isEmpty() ? "absent, null or 0: this model_type's MLP is dense"
                        + " (flopcast reads experts under model_type mixtral, qwen2_moe or qwen3_moe)"
                        : "absent, null or 0: model_type " + type.typeName() + " gives its experts as "
                        + type.expertKeys().get(0);
            }
        }
        return modelled ? Optional.empty() : Optional.of(allowed);
    }

    private static long positive(JsonNode root, String name, String where) {
        JsonNode value = root.get(name);
        if (value == null) {
            throw new InvalidInputException(where + " lacks " + name);
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 1) {
            throw new InvalidInputException(where + ": " + name + " must be a positive integer, got " + shown(value)
                    + " (allowed: 1 to " + Long.MAX_VALUE + ")");
        }
        return value.asLong();
    }

    /** A value as JSON, cut to an excerpt. */
    private static String shown(JsonNode value) {
        return Excerpt.of(value.toString());
    }

    private static boolean bool(JsonNode root, String name, String where) {
        JsonNode value = root.get(name);
        if (!value.isBoolean()) {
            throw new InvalidInputException(where + ": " + name + " must be true or false, got " + shown(value));
        }
        return value.asBoolean();
    }
}
