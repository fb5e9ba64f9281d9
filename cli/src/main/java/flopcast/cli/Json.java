package flopcast.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.Architecture;
import flopcast.analytic.DenseLayers;
import flopcast.analytic.Experts;
import flopcast.analytic.FrozenKind;
import flopcast.analytic.FrozenLayers;
import flopcast.analytic.LinearBias;
import flopcast.analytic.Lora;
import flopcast.analytic.MlpKind;
import flopcast.analytic.NormKind;
import flopcast.analytic.NormPlacement;
import flopcast.analytic.Shape;
import flopcast.analytic.SoftCap;
import flopcast.analytic.ShapeKey;
import java.io.UncheckedIOException;

/** The one JSON configuration: pretty, integers exact and plain. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static String write(Object tree) {
        try {
            return MAPPER.writeValueAsString(tree) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The {@code settings} object: every training setting the numbers are for, echoed (the
     * architecture's grouped-query heads, head tying, biases, head width d_k, QK-norm, norm and its placement, soft-caps (null for none), MLP, experts, learned
     * positions and sliding window (null for none), the precision policy, attention kernel and recomputation mode).
     */
    static ObjectNode settings(Shape shape) {
        ObjectNode node = object();
        node.put(Shape.KV_HEADS_KEY, shape.architecture().kvHeads());
        node.put(Shape.TIE_EMBEDDINGS_KEY, shape.architecture().tiedEmbeddings());
        node.put(LinearBias.KEY, shape.architecture().bias().cliName());
        node.put(Shape.HEAD_DIM_KEY, shape.headDim());
        node.put(Shape.QK_NORM_KEY, shape.architecture().qkNorm().cliName());
        node.put(NormKind.KEY, shape.architecture().norm().cliName());
        node.put(NormPlacement.KEY, shape.architecture().placement().cliName());
        // null where there is none (Jackson writes a null boxed value as null)
        long pattern = shape.architecture().windowPattern();
        node.put(Architecture.WINDOW_PATTERN_KEY, pattern == Architecture.WINDOW_EVERY_LAYER ? null : pattern);
        SoftCap caps = shape.architecture().softCap();
        node.put(SoftCap.ATTENTION_KEY, caps.capsAttention() ? caps.attention() : null);
        node.put(SoftCap.LOGITS_KEY, caps.capsLogits() ? caps.logits() : null);
        node.put(MlpKind.KEY, shape.architecture().mlp().cliName());
        Experts experts = shape.architecture().experts();
        if (experts.active()) {
            ObjectNode mixture = node.putObject(Experts.KEY);
            mixture.put("count", experts.count());
            mixture.put("top_k", experts.topK());
            mixture.put("gates", experts.gates());
            if (experts.shared()) {
                mixture.put("shared_expert_d_ff", experts.sharedFfn());
            } else {
                mixture.putNull("shared_expert_d_ff");
            }
            // the layers whose MLP stays dense, and its width (null: every layer sparse)
            ArrayNode dense = mixture.putArray(DenseLayers.KEY);
            experts.dense().layers().forEach(dense::add);
            if (experts.dense().active()) {
                mixture.put("dense_d_ff", experts.dense().ffn());
            } else {
                mixture.putNull("dense_d_ff");
            }
            // expert parallelism (E / ranks experts a rank) is not modelled: each rank holds and runs every expert
            mixture.put("expert_parallelism", false);
            mixture.put("experts_per_rank", experts.count());
        } else {
            node.putNull(Experts.KEY);
        }
        long positions = shape.architecture().positions();
        if (positions == Architecture.NO_POSITIONS) {
            node.putNull(Shape.POSITIONS_KEY);
        } else {
            node.put(Shape.POSITIONS_KEY, positions);
        }
        long window = shape.architecture().slidingWindow();
        if (window == Architecture.NO_WINDOW) {
            node.putNull(Shape.SLIDING_WINDOW_KEY);
        } else {
            node.put(Shape.SLIDING_WINDOW_KEY, window);
        }
        node.put(Shape.PRECISION_POLICY_KEY, shape.policy().cliName());
        node.put(Shape.ATTENTION_KEY, shape.attention().cliName());
        node.put(Shape.RECOMPUTE_KEY, shape.recompute().cliName());
        ArrayNode frozen = node.putArray(FrozenKind.KEY);
        shape.settings().frozen().forEach(kind -> frozen.add(kind.cliName()));
        FrozenLayers range = shape.settings().frozenLayers();
        if (range.active()) {
            node.put(FrozenLayers.KEY, range.text());
        } else {
            node.putNull(FrozenLayers.KEY);
        }
        Lora lora = shape.settings().lora();
        if (lora.active()) {
            ObjectNode adapters = node.putObject(Lora.KEY);
            adapters.put("rank", lora.rank());
            adapters.put("alpha", lora.alpha());
            ArrayNode targets = adapters.putArray("targets");
            lora.targets().forEach(t -> targets.add(t.cliName()));
            adapters.put("base", lora.nf4Base() ? Lora.NF4 : shape.policy().weightType().label());
        } else {
            node.putNull(Lora.KEY);
        }
        return node;
    }

    /** The {@code shape} object every command writes. */
    static ObjectNode shape(Shape shape) {
        ObjectNode node = object();
        for (ShapeKey key : ShapeKey.values()) {
            node.put(key.key(), key.of(shape));
        }
        return node;
    }
}
