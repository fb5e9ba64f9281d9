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
import flopcast.analytic.Excerpt;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
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
            throw new InvalidInputException(where + ": head_dim " + shown(root.get("head_dim"))
                    + " is not hidden_size / num_attention_heads = " + mha.headDim()
                    + "; flopcast models only d_k = d / h");
        }
        return mha.withArchitecture(new Architecture(kvHeads, tied));
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

    /** A key's value is one flopcast models, or a one-line error naming the key. */
    private static void check(String name, JsonNode value, String where) {
        if (READ.containsKey(name) || name.equals(KV_HEADS) || name.equals(TIED) || name.equals("head_dim")
                || NO_COUNT.contains(name)) {
            return;
        }
        if (name.equals(ACTIVATION)) {
            if (!GATED_ACTIVATIONS.contains(value.asText())) {
                throw new InvalidInputException(where + ": hidden_act " + shown(value) + " is not modelled; flopcast "
                        + "executes a gated SiLU MLP (hidden_act silu or swiglu)");
            }
        } else if (MUST_BE_FALSE.contains(name)) {
            if (!value.isBoolean() || value.asBoolean()) {
                throw new InvalidInputException(where + ": " + name + " " + shown(value) + " is not modelled; flopcast "
                        + "models no biases and no sliding window (allowed: false)");
            }
        } else if (name.equals("attention_dropout")) {
            if (!value.isNumber() || value.asDouble() != 0) {
                throw new InvalidInputException(where + ": attention_dropout " + shown(value) + " is not modelled "
                        + "(allowed: 0)");
            }
        } else if (name.equals("sliding_window")) {
            if (!value.isNull()) {
                throw new InvalidInputException(where + ": sliding_window " + shown(value) + " is not modelled; flopcast "
                        + "attends over the full causal context (allowed: null)");
            }
        } else if (EXPERTS.contains(name)) {
            if (!value.isNull() && !(value.isIntegralNumber() && value.asLong() == 0)) {
                throw new InvalidInputException(where + ": " + name + " " + shown(value) + " is not modelled; flopcast "
                        + "models a dense MLP, no mixture of experts (allowed: absent, null or 0)");
            }
        } else {
            throw new InvalidInputException(where + ": key '" + Excerpt.of(name) + "' is not one flopcast reads or knows "
                    + "to change nothing it counts; refusing rather than ignoring it");
        }
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
