package flopcast.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flopcast.analytic.Architecture;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face {@code config.json} of a Llama-style decoder, read into a {@link Shape}. Every key
 * is either read, known to change nothing flopcast counts, or refused with one line naming it: a
 * feature flopcast does not model is never ignored.
 *
 * <p>Read: {@code vocab_size}, {@code hidden_size}, {@code num_hidden_layers},
 * {@code num_attention_heads}, {@code num_key_value_heads} (default: the attention heads),
 * {@code intermediate_size}, {@code max_position_embeddings} (the context, unless {@code --context}
 * gives another), {@code tie_word_embeddings} (default false), {@code hidden_act} (silu or swiglu:
 * the gated MLP flopcast executes). Accepted only at the value flopcast models: {@code head_dim}
 * (hidden_size / heads), {@code attention_bias} and {@code mlp_bias} (false),
 * {@code attention_dropout} (0), {@code sliding_window} (null), {@code use_sliding_window} (false),
 * {@code num_local_experts}, {@code num_experts} and {@code n_routed_experts} (absent, null or 0).
 * Accepted as changing no count: tokenizer ids, initialization, norm epsilon, RoPE settings (RoPE has
 * no parameters; flopcast leaves its elementwise FLOPs out), dtype and bookkeeping keys. Any other
 * key is refused.
 * <p>Source: Hugging Face config.
 */
final class HfConfig {
    private static final Map<String, ShapeKey> READ = Map.of("vocab_size", ShapeKey.VOCAB_SIZE, "hidden_size",
            ShapeKey.D_MODEL, "num_hidden_layers", ShapeKey.NUM_LAYERS, "num_attention_heads", ShapeKey.NUM_HEADS,
            "intermediate_size", ShapeKey.D_FF, "max_position_embeddings", ShapeKey.CONTEXT_LENGTH);
    private static final String KV_HEADS = "num_key_value_heads";
    private static final String TIED = "tie_word_embeddings";
    private static final String ACTIVATION = "hidden_act";
    private static final List<String> GATED_ACTIVATIONS = List.of("silu", "swiglu");
    private static final Set<String> NO_COUNT = Set.of("architectures", "model_type", "torch_dtype",
            "transformers_version", "bos_token_id", "eos_token_id", "pad_token_id", "initializer_range",
            "rms_norm_eps", "rope_theta", "rope_scaling", "use_cache", "pretraining_tp", "_name_or_path");
    private static final Set<String> MUST_BE_FALSE = Set.of("attention_bias", "mlp_bias", "use_sliding_window");
    private static final Set<String> EXPERTS = Set.of("num_local_experts", "num_experts", "n_routed_experts");

    private HfConfig() {
    }

    /** The shape {@code path} describes, at batch 1; a one-line error for anything else. */
    static Shape read(Path path) {
        JsonNode root = parse(path);
        String where = "--hf-config " + path;
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            check(field.getKey(), field.getValue(), where);
        }
        long[] values = new long[ShapeKey.values().length];
        values[ShapeKey.BATCH_SIZE.ordinal()] = 1;
        READ.forEach((name, key) -> values[key.ordinal()] = positive(root, name, where));
        Shape mha = ShapeKey.shape(key -> values[key.ordinal()]);
        long kvHeads = root.has(KV_HEADS) ? positive(root, KV_HEADS, where) : mha.heads();
        Shape.requireKvHeads(kvHeads, mha.heads(), where + ": " + KV_HEADS, "num_attention_heads");
        boolean tied = root.has(TIED) && bool(root, TIED, where);
        if (root.has("head_dim") && positive(root, "head_dim", where) != mha.headDim()) {
            throw new InvalidInputException(where + ": head_dim " + root.get("head_dim").asText()
                    + " is not hidden_size / num_attention_heads = " + mha.headDim()
                    + "; flopcast models only d_k = d / h");
        }
        return mha.withArchitecture(new Architecture(kvHeads, tied));
    }

    private static JsonNode parse(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException("--hf-config " + path + ": no such file");
        } catch (IOException e) {
            throw new InvalidInputException("--hf-config " + path + " cannot be read: " + e.getMessage());
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("--hf-config " + path + " is not valid JSON (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidInputException("--hf-config " + path + " is not a JSON object of config keys");
        }
        return root;
    }

    /** A key's value is one flopcast models, or a one-line error naming the key. */
    private static void check(String name, JsonNode value, String where) {
        if (READ.containsKey(name) || name.equals(KV_HEADS) || name.equals(TIED) || name.equals("head_dim")
                || NO_COUNT.contains(name)) {
            return;
        }
        if (name.equals(ACTIVATION)) {
            if (!GATED_ACTIVATIONS.contains(value.asText())) {
                throw new InvalidInputException(where + ": hidden_act " + value + " is not modelled; flopcast "
                        + "executes a gated SiLU MLP (hidden_act silu or swiglu)");
            }
        } else if (MUST_BE_FALSE.contains(name)) {
            if (!value.isBoolean() || value.asBoolean()) {
                throw new InvalidInputException(where + ": " + name + " " + value + " is not modelled; flopcast "
                        + "models no biases and no sliding window (allowed: false)");
            }
        } else if (name.equals("attention_dropout")) {
            if (!value.isNumber() || value.asDouble() != 0) {
                throw new InvalidInputException(where + ": attention_dropout " + value + " is not modelled "
                        + "(allowed: 0)");
            }
        } else if (name.equals("sliding_window")) {
            if (!value.isNull()) {
                throw new InvalidInputException(where + ": sliding_window " + value + " is not modelled; flopcast "
                        + "attends over the full causal context (allowed: null)");
            }
        } else if (EXPERTS.contains(name)) {
            if (!value.isNull() && !(value.isIntegralNumber() && value.asLong() == 0)) {
                throw new InvalidInputException(where + ": " + name + " " + value + " is not modelled; flopcast "
                        + "models a dense MLP, no mixture of experts (allowed: absent, null or 0)");
            }
        } else {
            throw new InvalidInputException(where + ": key '" + name + "' is not one flopcast reads or knows "
                    + "to change nothing it counts; refusing rather than ignoring it");
        }
    }

    private static long positive(JsonNode root, String name, String where) {
        JsonNode value = root.get(name);
        if (value == null) {
            throw new InvalidInputException(where + " lacks " + name);
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 1) {
            throw new InvalidInputException(where + ": " + name + " must be a positive integer, got " + value);
        }
        return value.asLong();
    }

    private static boolean bool(JsonNode root, String name, String where) {
        JsonNode value = root.get(name);
        if (!value.isBoolean()) {
            throw new InvalidInputException(where + ": " + name + " must be true or false, got " + value);
        }
        return value.asBoolean();
    }
}
