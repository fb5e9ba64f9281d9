package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.Architecture;
import flopcast.analytic.Component;
import flopcast.analytic.DenseLayers;
import flopcast.analytic.Excerpt;
import flopcast.analytic.Experts;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.LinearBias;
import flopcast.analytic.NormPlacement;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Preset;
import flopcast.analytic.QkNorm;
import flopcast.analytic.Shape;
import flopcast.analytic.SoftCap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code --hf-config}: the shipped examples read as the presets; every unmodelled feature refused by name. */
class HfConfigTest {
    /** The example configs, written from the model cards' numbers (analytic's test resources). */
    static final Path EXAMPLES = Path.of("..", "analytic", "src", "test", "resources", "hf");
    static final Path LLAMA3_8B = EXAMPLES.resolve("Meta-Llama-3-8B.config.json");
    static final Path LLAMA32_1B = EXAMPLES.resolve("Llama-3.2-1B.config.json");

    @TempDir
    Path dir;

    @Test
    void shippedConfigsReadAsThePresets() {
        assertEquals(Preset.LLAMA3_8B.shape(1), HfConfig.read(LLAMA3_8B));
        assertEquals(Preset.LLAMA3_2_1B.shape(1), HfConfig.read(LLAMA32_1B));
    }

    /** Each preset of a published decoder is its model card's config.json, context included. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama2-7b, Llama-2-7b-hf", "llama3.1-8b, Llama-3.1-8B", "tinyllama-1.1b, TinyLlama-1.1B",
            "mistral-7b, Mistral-7B-v0.3", "smollm2-1.7b, SmolLM2-1.7B", "qwen2.5-7b, Qwen2.5-7B",
            "qwen2.5-0.5b, Qwen2.5-0.5B", "qwen3-0.6b, Qwen3-0.6B", "qwen3-8b, Qwen3-8B", "gemma-2b, gemma-2b",
            "gemma-7b, gemma-7b", "mistral-7b-v0.1, Mistral-7B-v0.1", "mistral-nemo-12b, Mistral-Nemo-Base-2407",
            "phi3-mini, Phi-3-mini-4k-instruct", "olmo2-7b, OLMo-2-1124-7B"})
    void presetsAreTheirShippedConfigs(String preset, String config) {
        assertEquals(Preset.byName(preset).shape(1), HfConfig.read(EXAMPLES.resolve(config + ".config.json")));
    }

    /**
     * OpenAI's config.json for GPT-2 (openai-community/gpt2) with its three dropouts at 0 is the gpt2
     * preset, context and positions from n_positions; n_inner gives d_ff where it is set, and
     * tie_word_embeddings false unties the head; an activation other than GELU's tanh form, an n_ctx
     * other than n_positions and the attention options GPT-2 did not train with are refused together.
     */
    @Test
    void gpt2ConfigReadsAsTheGpt2PresetWithoutDropout() throws IOException {
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(EXAMPLES.resolve("gpt2.config.json").toFile());
        for (String dropout : new String[] {"attn_pdrop", "embd_pdrop", "resid_pdrop"}) {
            root.put(dropout, 0.0);
        }
        assertEquals(Preset.GPT2.shape(1), HfConfig.read(written(root)));
        Shape gpt2 = Preset.GPT2.shape(1);
        assertEquals(new Shape(gpt2.vocabSize(), 256, gpt2.layers(), gpt2.dModel(), gpt2.heads(), gpt2.dFf(), 1,
                gpt2.architecture()), HfConfig.read(written(root), 256L));
        root.put("n_inner", 1000);
        root.put("tie_word_embeddings", false);
        Shape untied = HfConfig.read(written(root));
        assertEquals(1000, untied.dFf());
        assertFalse(untied.architecture().tiedEmbeddings());
        root.put("activation_function", "gelu");
        root.put("n_ctx", 2048);
        root.put("reorder_and_upcast_attn", true);
        root.put("scale_attn_by_inverse_layer_idx", true);
        BadInputTest.assertRefused("activation_function \"gelu\" is not modelled (allowed: gelu_new or"
                + " gelu_pytorch_tanh, the tanh form of GELU flopcast executes); n_ctx 2048 is not modelled (allowed:"
                + " n_positions, of which it is an older name); reorder_and_upcast_attn true,"
                + " scale_attn_by_inverse_layer_idx true are not modelled (allowed: false, as GPT-2 trained",
                "predict", "--hf-config", written(root).toString());
    }

    /**
     * Where a config leaves head_dim or num_key_value_heads out, transformers takes its class's constant
     * default (Gemma's 256 and 16, Qwen3's 128 and 32, Mistral's 8 and Qwen2's 32 heads): refused by name,
     * not filled in with d / h or the attention heads; Llama's defaults are d / h and the heads, read as such.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "gemma-7b | lacks head_dim and num_key_value_heads: for model_type gemma transformers takes a constant default",
        "Qwen3-8B | lacks head_dim and num_key_value_heads: for model_type qwen3",
        "Mistral-7B-v0.3 | lacks num_key_value_heads: for model_type mistral",
        "Qwen2.5-7B | lacks num_key_value_heads: for model_type qwen2",
        "Llama-2-7b-hf | 6738415616"})
    void aDefaultThatIsAConstantIsNotGuessed(String model, String expected) throws Exception {
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(EXAMPLES.resolve(model + ".config.json").toFile());
        root.remove("head_dim");
        root.remove("num_key_value_heads");
        assertCountedOrRefused(model, written(root), expected);
    }

    /** predict --hf-config {@code config}: {@code expected} parameters where it is a number, else refused saying it. */
    private static void assertCountedOrRefused(String model, Path config, String expected) throws Exception {
        if (expected.chars().allMatch(Character::isDigit)) {
            assertEquals(Long.parseLong(expected), PredictCommandTest.json("predict", "--hf-config", config.toString(),
                    "--format", "json").get("parameters").asLong(), model + " parameters");
        } else {
            BadInputTest.assertRefused(expected, "predict", "--hf-config", config.toString());
        }
    }

    @Test
    void predictFromAConfigEqualsThePresetsPrediction() throws Exception {
        JsonNode fromConfig = PredictCommandTest.json("predict", "--hf-config", LLAMA32_1B.toString(), "--context",
                "8192", "--batch", "2", "--format", "json");
        JsonNode fromPreset = PredictCommandTest.json("predict", "--preset", "llama3.2-1b", "--context", "8192",
                "--batch", "2", "--format", "json");
        assertEquals(fromPreset, fromConfig);
        assertEquals(1_235_814_400L, fromConfig.get("parameters").asLong());
        assertEquals(8192, fromConfig.get("shape").get("context_length").asLong());
        assertEquals(8, fromConfig.get("settings").get("kv_heads").asLong());
        assertTrue(fromConfig.get("settings").get("tie_embeddings").asBoolean());
    }

    /**
     * The published configs people try first (written from the model cards' numbers, analytic's test
     * resources): each modelled one read to its published parameter count, each other one refused
     * in one line that says why.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "Llama-2-7b-hf | 6738415616",
        "Llama-3.1-8B | 8030261248",
        "TinyLlama-1.1B | 1100048384",
        "SmolLM2-1.7B | 1711376384",
        "Mistral-7B-v0.3 | 7248023552",
        "Mistral-7B-v0.1 | 7241732096",
        "Phi-3-mini-4k-instruct | 3821079552",
        "Qwen2.5-7B | 7615616512",
        "Qwen2.5-0.5B | 494032768",
        "Mistral-Nemo-Base-2407 | 12247782400",
        "Qwen3-0.6B | 596049920",
        "Qwen3-8B | 8190735360",
        "gemma-2-9b | 9241705984",
        "gemma-7b | 8537680896",
        "gemma-2b | 2506172416",
        "OLMo-2-1124-7B | 7298617344",
        "Mixtral-8x7B-v0.1 | 46702792704",
        "Qwen3-30B-A3B | 30532122624",
        "Qwen1.5-MoE-A2.7B | 14315784192",
        "DeepSeek-V2-Lite | model_type \"deepseek_v2\" is refused: multi-head latent attention and n_shared_experts"
                + " shared experts without a gate are not modelled yet",
        "gpt2 | attn_pdrop 0.1, embd_pdrop 0.1, resid_pdrop 0.1 are not modelled (allowed: 0; dropout keeps a mask"
                + " flopcast does not count: set it to 0 to count a run without dropout); its keys: docs/hf-config.md,"
                + " \"gpt2\"",
        "bert-base-uncased | model_type \"bert\" is an encoder"})
    void publishedConfigsAreReadToTheirCountOrRefusedWithTheReason(String model, String expected) throws Exception {
        assertCountedOrRefused(model, EXAMPLES.resolve(model + ".config.json"), expected);
    }

    /**
     * OLMo 2: norms after attention and the MLP and QK-norm over each whole projection, which no key
     * says: 7,298,617,344 parameters (the model card's 7.3B): 2 x 100352 x 4096 untied embedding and head,
     * 32 blocks of 4 x 4096^2 + 3 x 4096 x 11008 + 4 x 4096 (two post-norm gains, the 4096-wide query
     * and key gains), and the final norm's 4096.
     */
    @Test
    void olmo2ReadsItsNormsAfterEachSublayerAndItsWholeProjectionQkNorm() throws Exception {
        Shape olmo = HfConfig.read(EXAMPLES.resolve("OLMo-2-1124-7B.config.json"));
        assertEquals(NormPlacement.POST, olmo.architecture().placement());
        assertEquals(QkNorm.PROJECTION, olmo.architecture().qkNorm());
        assertEquals(2L * 100_352 * 4096 + 32L * (4L * 4096 * 4096 + 3L * 4096 * 11_008 + 4 * 4096) + 4096,
                ParameterTensor.total(olmo));
        JsonNode json = PredictCommandTest.json("predict", "--hf-config",
                EXAMPLES.resolve("OLMo-2-1124-7B.config.json").toString(), "--format", "json");
        assertEquals("post", json.get("settings").get("norm_placement").asText());
        assertEquals("projection", json.get("settings").get("qk_norm").asText());
    }

    /**
     * Gemma 2: four norms a block, its scores capped at 50 and its logits at 30, its 4096-key window on the
     * even layers (every second layer global): 9,241,705,984 parameters (the model card's 9.24B): a tied
     * 256000 x 3584 embedding, 42 blocks of 3584 x (4096 + 2 x 2048) + 4096 x 3584 + 3 x 3584 x 14336 + 4 x 3584,
     * and the final norm's 3584; null caps are none.
     */
    @Test
    void gemma2ReadsItsSandwichSoftCapsAndWindowPattern() throws Exception {
        Path config = EXAMPLES.resolve("gemma-2-9b.config.json");
        Shape gemma = HfConfig.read(config);
        assertEquals(8192, gemma.contextLength());
        assertEquals(NormPlacement.SANDWICH, gemma.architecture().placement());
        assertEquals(new SoftCap(50, 30), gemma.architecture().softCap());
        assertEquals(4096, gemma.architecture().slidingWindow());
        assertEquals(2, gemma.architecture().windowPattern());
        assertEquals(21, Component.ATTENTION_SOFTMAX_GLOBAL.instances(gemma));
        assertEquals(256_000L * 3584 + 42L * (3584L * (4096 + 2 * 2048) + 4096L * 3584 + 3L * 3584 * 14_336
                + 4 * 3584) + 3584, ParameterTensor.total(gemma));
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(config.toFile());
        root.putNull("final_logit_softcapping");
        root.put("attn_logit_softcapping", -1);
        BadInputTest.assertRefused("attn_logit_softcapping must be a positive number or null, got -1", "predict",
                "--hf-config", written(root).toString(), "--context", "4096");
        root.remove("attn_logit_softcapping");
        assertEquals(new SoftCap(50, SoftCap.NONE), HfConfig.read(written(root), 4096L).architecture().softCap(),
                "absent: Gemma2Config's 50; null: none");
    }

    /**
     * Mixtral and Qwen3-MoE read their experts a block and a token (Qwen2-MoE's: below), Qwen3-MoE each
     * expert's width from moe_intermediate_size; the JSON gives the active parameters beside the total.
     */
    @Test
    void mixturesOfExpertsReadTheirExperts() throws Exception {
        Shape mixtral = HfConfig.read(EXAMPLES.resolve("Mixtral-8x7B-v0.1.config.json"));
        assertEquals(new Experts(8, 2), mixtral.architecture().experts());
        assertEquals(14_336, mixtral.dFf());
        Shape qwen = HfConfig.read(EXAMPLES.resolve("Qwen3-30B-A3B.config.json"));
        assertEquals(new Experts(128, 8), qwen.architecture().experts());
        assertEquals(768, qwen.dFf(), "moe_intermediate_size, not intermediate_size");
        assertEquals(QkNorm.HEAD, qwen.architecture().qkNorm());
        JsonNode json = PredictCommandTest.json("predict", "--hf-config",
                EXAMPLES.resolve("Mixtral-8x7B-v0.1.config.json").toString(), "--format", "json");
        assertEquals(12_879_925_248L, json.get("active_parameters").asLong());
        assertEquals(8, json.get("settings").get("experts").get("count").asLong());
        assertEquals(2, json.get("settings").get("experts").get("top_k").asLong());
        assertFalse(json.get("settings").get("experts").get("expert_parallelism").asBoolean());
        assertEquals(8, json.get("settings").get("experts").get("experts_per_rank").asLong());
        assertEquals("normalized", json.get("settings").get("experts").get("gates").asText());
        assertTrue(json.get("settings").get("experts").get("shared_expert_d_ff").isNull());
    }

    /**
     * Qwen2-MoE: Qwen1.5-MoE-A2.7B's 60 experts of moe_intermediate_size 1408, 4 a token, its gates the
     * softmax over every expert (norm_topk_prob false), its shared expert 5632 wide and Qwen2's biases on
     * Q, K and V: 14,315,784,192 parameters, 2,689,173,504 active (the card: 14.3B and 2.7B); with
     * norm_topk_prob true the gates are renormalized, as a Qwen3-MoE's may now be too.
     */
    @Test
    void qwen2MoeReadsItsSharedExpertAndItsGates() throws Exception {
        Path card = EXAMPLES.resolve("Qwen1.5-MoE-A2.7B.config.json");
        Shape qwen = HfConfig.read(card);
        assertEquals(new Experts(60, 4, false, 5632), qwen.architecture().experts());
        assertEquals(1408, qwen.dFf());
        assertEquals(LinearBias.QKV, qwen.architecture().bias());
        JsonNode json = PredictCommandTest.json("predict", "--hf-config", card.toString(), "--format", "json");
        assertEquals(2_689_173_504L, json.get("active_parameters").asLong());
        assertEquals("unnormalized", json.get("settings").get("experts").get("gates").asText());
        assertEquals(5632, json.get("settings").get("experts").get("shared_expert_d_ff").asLong());
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(card.toFile());
        root.put("norm_topk_prob", true);
        assertEquals(new Experts(60, 4, true, 5632), HfConfig.read(written(root)).architecture().experts());
        root.remove("norm_topk_prob");
        assertEquals(new Experts(60, 4, false, 5632), HfConfig.read(written(root)).architecture().experts(),
                "Qwen2MoeConfig's default: false");
        root.remove("shared_expert_intermediate_size");
        BadInputTest.assertRefused("lacks shared_expert_intermediate_size: for model_type qwen2_moe", "predict",
                "--hf-config", written(root).toString());
        root = (ObjectNode) new ObjectMapper().readTree(card.toFile());
        root.put("qkv_bias", false);
        BadInputTest.assertRefused("qkv_bias false is not modelled (allowed: true", "predict", "--hf-config",
                written(root).toString());
        ObjectNode qwen3 = (ObjectNode) new ObjectMapper().readTree(EXAMPLES.resolve("Qwen3-30B-A3B.config.json")
                .toFile());
        qwen3.put("norm_topk_prob", false);
        assertEquals(new Experts(128, 8, false, 0), HfConfig.read(written(qwen3)).architecture().experts());
        BadInputTest.assertRefused("--shared-expert-ffn 64 contradicts --hf-config", "predict", "--hf-config",
                card.toString(), "--shared-expert-ffn", "64");
        BadInputTest.assertRefused("--expert-gates normalized contradicts --hf-config", "predict", "--hf-config",
                card.toString(), "--expert-gates", "normalized");
    }

    /**
     * Qwen3-30B-A3B with every second layer dense (decoder_sparse_step 2: layers 1, 3, ... sparse) and layer 0
     * listed in mlp_only_layers too: 24 dense layers, each an MLP intermediate_size = 6144 wide (3*2048*6144
     * parameters) in place of 128 experts of 768 and a 2048 x 128 router.
     */
    @Test
    void qwenMoeDenseLayersAreRead() throws IOException {
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(EXAMPLES.resolve("Qwen3-30B-A3B.config.json")
                .toFile());
        root.put("decoder_sparse_step", 2);
        root.set("mlp_only_layers", new ObjectMapper().readTree("[0]"));
        Shape shape = HfConfig.read(written(root));
        DenseLayers dense = shape.architecture().experts().dense();
        assertEquals(24, dense.layers().size());
        assertEquals("0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44,46", dense.text());
        assertEquals(6144, dense.ffn());
        long sparse = 128L * 3 * 2048 * 768 + 2048L * 128;
        assertEquals(30_532_122_624L - 24 * (sparse - 3L * 2048 * 6144), ParameterTensor.total(shape));
        // absent or null, every layer is sparse
        root.remove("decoder_sparse_step");
        root.putNull("mlp_only_layers");
        assertEquals(DenseLayers.NONE, HfConfig.read(written(root)).architecture().experts().dense());
    }

    /** What a mixture of experts flopcast does not model is named, all in one line. */
    @Test
    void expertSettingsFlopcastDoesNotModelAreRefused() throws IOException {
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(EXAMPLES.resolve("Qwen3-30B-A3B.config.json")
                .toFile());
        root.put("output_router_logits", true);
        BadInputTest.assertRefused("output_router_logits true is not modelled (allowed: false: true adds the"
                + " auxiliary load-balancing loss", "predict", "--hf-config", written(root).toString());
        root.remove("output_router_logits");
        root.set("mlp_only_layers", new ObjectMapper().readTree("[0, 48]"));
        BadInputTest.assertRefused("mlp_only_layers holds 48 (allowed: layer numbers 0 to 47)", "predict",
                "--hf-config", written(root).toString());
        root.put("decoder_sparse_step", 48 + 1);
        root.set("mlp_only_layers", new ObjectMapper().readTree("[]"));
        BadInputTest.assertRefused("make every layer dense", "predict", "--hf-config", written(root).toString());
        root = (ObjectNode) new ObjectMapper().readTree(EXAMPLES.resolve("Mixtral-8x7B-v0.1.config.json").toFile());
        root.remove("num_local_experts");
        BadInputTest.assertRefused("lacks num_local_experts: for model_type mixtral transformers takes a constant"
                + " default", "predict", "--hf-config", written(root).toString());
        root.put("num_local_experts", 2);
        root.put("num_experts_per_tok", 3);
        BadInputTest.assertRefused("num_experts_per_tok 3 is more than num_local_experts 2", "predict",
                "--hf-config", written(root).toString());
        root.put("num_experts_per_tok", 2);
        root.put("router_jitter_noise", 0.1);
        BadInputTest.assertRefused("router_jitter_noise 0.1 is not modelled (allowed: 0: jitter", "predict",
                "--hf-config", written(root).toString());
        root.remove("router_jitter_noise");
        root.put("num_experts", 8);
        BadInputTest.assertRefused("num_experts 8 is not modelled (allowed: absent, null or 0: model_type mixtral"
                + " gives its experts as num_local_experts)", "predict", "--hf-config", written(root).toString());
        root.remove("num_experts");
        BadInputTest.assertRefused("--top-k 3 contradicts --hf-config", "predict", "--hf-config",
                written(root).toString(), "--experts", "2", "--top-k", "3");
        // Qwen3MoeConfig takes a null mlp_only_layers as []
        ObjectNode qwen = (ObjectNode) new ObjectMapper().readTree(EXAMPLES.resolve("Qwen3-30B-A3B.config.json")
                .toFile());
        qwen.putNull("mlp_only_layers");
        assertEquals(new Experts(128, 8), HfConfig.read(written(qwen)).architecture().experts());
    }

    @Test
    void everyUnknownKeyAndUnmodelledValueIsNamedInOneLineWithTheTypesTable() throws IOException {
        ObjectNode root = example();
        root.put("rope_interleaved_extra", 1);
        root.put("qkv_bias", false);
        root.put("attention_bias", true);
        root.put("attention_dropout", 0.1);
        Path config = written(root);
        BadInputTest.assertRefused("(model_type llama): 2 keys 'rope_interleaved_extra', 'qkv_bias' are not one"
                + " flopcast reads or knows to change nothing it counts (refused rather than ignored); attention_bias"
                + " true is not modelled (allowed: true or false as mlp_bias is (absent: false): biases on every"
                + " projection of the block, or none beyond the type's own);"
                + " attention_dropout 0.1 is not modelled (allowed: 0; dropout keeps a mask flopcast does not count: set"
                + " it to 0 to count a run without dropout);"
                + " mlp_bias false is not modelled (allowed: true or false as attention_bias is (absent: false): biases"
                + " on every projection of the block, or none beyond the type's own); its keys: docs/hf-config.md,"
                + " \"llama\"", "predict", "--hf-config", config.toString());
    }

    @ParameterizedTest(name = "model_type {0}")
    @CsvSource(delimiter = '|', value = {
        "\"falcon\" | model_type \"falcon\" is not one flopcast knows (allowed: llama, mistral, phi3, qwen2, qwen3,"
                + " gpt2, gemma, gemma2, olmo2, mixtral, qwen2_moe, qwen3_moe; known and refused: deepseek_v2",
        "7 | model_type 7 is not a string (allowed: llama, mistral, phi3, qwen2, qwen3, gpt2, gemma, gemma2,"
                + " olmo2, mixtral, qwen2_moe, qwen3_moe",
        "\"roberta\" | model_type \"roberta\" is an encoder"})
    void aTypeFlopcastDoesNotModelIsRefusedByName(String type, String expected) throws IOException {
        ObjectNode root = example();
        root.set("model_type", new ObjectMapper().readTree(type));
        Path config = written(root);
        BadInputTest.assertRefused(expected, "predict", "--hf-config", config.toString());
        root.remove("model_type");
        written(root);
        BadInputTest.assertRefused("lacks model_type (allowed: llama, mistral, phi3, qwen2, qwen3, gpt2, gemma,"
                + " gemma2, olmo2, mixtral, qwen2_moe, qwen3_moe; docs/hf-config.md)",
                "predict",
                "--hf-config", config.toString());
        root.put("model_type", "llama");
        root.set("architectures", new ObjectMapper().readTree("[\"LlamaForSequenceClassification\"]"));
        written(root);
        BadInputTest.assertRefused("architectures names \"LlamaForSequenceClassification\", not a causal language"
                + " model", "predict", "--hf-config", config.toString());
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "attention_bias | true | attention_bias true is not modelled",
        "mlp_bias | true | mlp_bias true is not modelled",
        "num_local_experts | 8 | num_local_experts 8 is not modelled",
        "n_routed_experts | 64 | n_routed_experts 64 is not modelled",
        "sliding_window | 0 | sliding_window must be a positive integer, got 0",
        "use_sliding_window | \"yes\" | use_sliding_window must be true or false",
        "hidden_act | \"gelu\" | hidden_act \"gelu\" is not modelled",
        "attention_dropout | 0.1 | attention_dropout 0.1 is not modelled",
        "num_key_value_heads | 5 | num_key_value_heads 5 must divide num_attention_heads 32",
        "tie_word_embeddings | \"yes\" | tie_word_embeddings must be true or false",
        "hidden_size | 0 | hidden_size must be a positive integer, got 0",
        "vocab_size | 1.5 | vocab_size must be a positive integer, got 1.5",
        "qkv_bias | false | key 'qkv_bias' is not one flopcast reads"})
    void unmodelledOrWrongKeysAreRefusedByName(String key, String json, String expected) throws IOException {
        Path config = edited(key, json);
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> HfConfig.read(config));
        assertTrue(error.getMessage().contains(expected), error.getMessage());
        BadInputTest.assertRefused(expected, "predict", "--hf-config", config.toString());
    }

    /**
     * Biases: Qwen2's Q, K and V ones with no key saying so; a Llama config's attention_bias and
     * mlp_bias both true, every projection of the block; --bias contradicting a config, one line.
     */
    @Test
    void biasesComeFromTheTypeOrBothBiasKeys() throws IOException {
        assertEquals(LinearBias.QKV, HfConfig.read(EXAMPLES.resolve("Qwen2.5-0.5B.config.json")).architecture().bias());
        ObjectNode root = example();
        root.put("attention_bias", true);
        root.put("mlp_bias", true);
        Shape all = HfConfig.read(written(root));
        assertEquals(Preset.LLAMA3_2_1B.shape(1).withArchitecture(new Architecture(8, true, LinearBias.ALL)), all);
        root.put("mlp_bias", false);
        BadInputTest.assertRefused("mlp_bias false is not modelled (allowed: true or false as attention_bias is",
                "predict", "--hf-config", written(root).toString());
        BadInputTest.assertRefused("--bias none contradicts --hf-config", "predict", "--hf-config",
                EXAMPLES.resolve("Qwen2.5-7B.config.json").toString(), "--bias", "none", "--batch", "1");
    }

    /**
     * head_dim apart from hidden_size / heads is read: Llama 3.2 1B at d_k = 128 (twice its 64) has Q
     * and the output projection 2048 x 4096 and K, V 2048 x 1024, 10,485,760 more parameters a
     * layer; the same as d / h is the default's shape.
     */
    @Test
    void headDimIsRead() throws Exception {
        ObjectNode root = example();
        root.put("head_dim", 128);
        Shape wide = HfConfig.read(written(root));
        assertEquals(128, wide.headDim());
        assertEquals(4096, wide.queryWidth());
        assertEquals(1_235_814_400L + 16 * 10_485_760L, PredictCommandTest.json("predict", "--hf-config",
                written(root).toString(), "--format", "json").get("parameters").asLong());
        root.put("head_dim", 64);
        assertEquals(Preset.LLAMA3_2_1B.shape(1), HfConfig.read(written(root)));
    }

    /**
     * A sliding window is read whatever the context: Mistral 7B v0.1 at its window's 4096 to its
     * published 7,241,732,096 parameters (the window echoed), Phi-3 mini at 2047 to its 3,821,079,552;
     * past the window, attention masks the keys before it (Phi-3 at 2048: one entry fewer a head's
     * last row, 6 forward softmax FLOPs and 5 backward under eager attention; flash masks the same
     * entries); a window that use_sliding_window turns off declares none.
     */
    @Test
    void aSlidingWindowIsReadAndMasksTheKeysBeforeIt() throws Exception {
        JsonNode mistral = PredictCommandTest.json("predict", "--hf-config",
                EXAMPLES.resolve("Mistral-7B-v0.1.config.json").toString(), "--context", "4096", "--format", "json");
        assertEquals(7_241_732_096L, mistral.get("parameters").asLong());
        assertEquals(4096, mistral.get("settings").get("sliding_window").asLong());
        JsonNode phi = PredictCommandTest.json("predict", "--hf-config",
                EXAMPLES.resolve("Phi-3-mini-4k-instruct.config.json").toString(), "--context", "2047", "--format",
                "json");
        assertEquals(3_821_079_552L, phi.get("parameters").asLong());
        String phiConfig = EXAMPLES.resolve("Phi-3-mini-4k-instruct.config.json").toString();
        JsonNode cut = PredictCommandTest.json("predict", "--hf-config", phiConfig, "--context", "2048", "--format",
                "json");
        // per block, B*h = 32 heads: 6 FLOPs an entry forward, 5 backward, 1 a row; the last row has 2047 entries
        long full = 2048L * 2049 / 2;
        long windowed = 2047L * 2048 / 2 + 2047;
        assertEquals(32 * (11 * windowed + 2048), componentElementwise(cut, "attention_softmax"));
        assertEquals(32 * (11 * full + 2048) - 32 * 11, componentElementwise(cut, "attention_softmax"),
                "one entry fewer a head than the whole causal square");
        JsonNode flash = PredictCommandTest.json("predict", "--hf-config", phiConfig, "--context", "2048", "--attention",
                "flash", "--format", "json");
        assertEquals(cut.get("flops").get("step"), flash.get("flops").get("step"), "flash masks the same square");
        assertEquals(Architecture.NO_WINDOW,
                HfConfig.read(EXAMPLES.resolve("Qwen2.5-7B.config.json")).architecture().slidingWindow(),
                "use_sliding_window false");
        assertTrue(PredictCommandTest.json("predict", "--preset", "llama3-8b", "--format", "json").get("settings")
                .get("sliding_window").isNull());
    }

    /**
     * Qwen2's window is off unless use_sliding_window says so (Qwen2Config's default is false), and
     * transformers applies it to the layers from max_window_layers on: at least the 28 layers, none; 0,
     * every layer; 10, some layers only, which is refused by name.
     */
    @ParameterizedTest(name = "max_window_layers {0}, use_sliding_window {1}")
    @CsvSource({"28, true, 0", "0, true, 4096", "28, , 0", "0, false, 0", "0, , 0"})
    void qwensWindowIsOnTheLayersFromMaxWindowLayersOn(long from, Boolean used, long window) throws IOException {
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(EXAMPLES.resolve("Qwen2.5-7B.config.json").toFile());
        root.put("sliding_window", 4096);
        root.put("max_window_layers", from);
        if (used == null) {
            root.remove("use_sliding_window");
        } else {
            root.put("use_sliding_window", used);
        }
        assertEquals(window, HfConfig.read(written(root), 8192L).architecture().slidingWindow());
        root.put("use_sliding_window", true);
        root.put("max_window_layers", 10);
        BadInputTest.assertRefused("max_window_layers 10 is not modelled (allowed: 0 (the window on every layer) or at"
                + " least num_hidden_layers (on none)", "predict", "--hf-config", written(root).toString());
    }

    private static long componentElementwise(JsonNode prediction, String component) {
        for (JsonNode row : prediction.get("components")) {
            if (row.get("name").asText().equals(component)) {
                return row.get("elementwise_flops").asLong();
            }
        }
        throw new AssertionError("no component " + component);
    }

    @Test
    void modelledValuesOfTheSameKeysAreAccepted() throws IOException {
        ObjectNode root = example();
        root.put("sliding_window", (String) null);
        root.put("num_local_experts", 0);
        root.put("hidden_act", "swiglu");
        Path config = written(root);
        assertEquals(Preset.LLAMA3_2_1B.shape(1), HfConfig.read(config));
    }

    @Test
    void aMissingKeyMalformedJsonOrAContradictionIsOneLine() throws IOException {
        ObjectNode root = example();
        root.remove("intermediate_size");
        Path missing = dir.resolve("missing.json");
        Files.writeString(missing, root.toString());
        BadInputTest.assertRefused("lacks intermediate_size", "predict", "--hf-config", missing.toString());

        Path malformed = dir.resolve("malformed.json");
        Files.writeString(malformed, "{\"vocab_size\": 128256,\n  \"hidden_size\": }");
        BadInputTest.assertRefused("is not valid JSON (line 2", "predict", "--hf-config", malformed.toString());

        Path array = dir.resolve("array.json");
        Files.writeString(array, "[1, 2]");
        BadInputTest.assertRefused("holds a JSON array, [1,2]; allowed is a JSON object of config keys", "predict",
                "--hf-config", array.toString());

        BadInputTest.assertRefused("--layers 12 contradicts --hf-config " + LLAMA3_8B + ", which has 32", "predict",
                "--hf-config", LLAMA3_8B.toString(), "--layers", "12");
        BadInputTest.assertRefused("--kv-heads 32 contradicts --hf-config", "train", "--hf-config",
                LLAMA3_8B.toString(), "--kv-heads", "32");
    }

    /**
     * Pathological files: each ended in a NullPointerException at HfConfig.parse (nesting, long
     * strings and numbers past Jackson's own limits), was read silently (a duplicate key, a second
     * object after the first), or echoed a value whole. Each is now one line naming the value by its
     * first characters, within {@value #SHORT_LINE} characters.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("pathologicalConfigs")
    void pathologicalConfigsAreOneShortLine(String name, byte[] content, String expected) throws IOException {
        Path config = Files.write(dir.resolve(name + ".json"), content);
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> HfConfig.read(config));
        assertTrue(error.getMessage().contains(expected), error.getMessage());
        BadInputTest.assertRefused(expected, "predict", "--hf-config", config.toString());
        CliRun run = CliRun.of("predict", "--hf-config", config.toString());
        assertTrue(run.err().length() <= SHORT_LINE, run.err().length() + " characters: " + run.err());
    }

    /** An error about a config fits in this many characters, the temporary path included. */
    static final int SHORT_LINE = 400;

    static Stream<Arguments> pathologicalConfigs() throws IOException {
        String llama = Files.readString(LLAMA32_1B).strip();
        String open = llama.substring(0, llama.length() - 1) + ", ";
        return Stream.of(
                config("nested-1000-deep", "{\"vocab_size\": " + "[".repeat(1000) + "]".repeat(1000) + "}",
                        "key 'vocab_size' nests arrays and objects more than 32 deep at line 1, column 47: [[[[[[[["),
                config("document-nested-1000-deep", "[".repeat(1000) + "]".repeat(1000),
                        "the document nests arrays and objects more than 32 deep"),
                config("objects-nested-33-deep", open + "\"quantization_config\": " + "{\"a\": ".repeat(33) + "1"
                        + "}".repeat(33) + "}", "key 'quantization_config' nests arrays and objects more than 32 deep"),
                config("string-of-20-million", open + "\"_name_or_path\": \"" + "a".repeat(20_000_001) + "\"}",
                        "key '_name_or_path' holds a string longer than 65536 characters at line"),
                config("string-value-of-a-count", "{\"vocab_size\": \"" + "7".repeat(70_000) + "\"}",
                        "key 'vocab_size' holds a string longer than 65536 characters at line 1, column 16: \""
                                + "7".repeat(Excerpt.SHOWN - 1) + "... (allowed: strings of at most 65536"),
                config("number-of-1000-digits", llama.replace("\"vocab_size\": 128256", "\"vocab_size\": "
                        + "9".repeat(1000)), "key 'vocab_size' holds a number longer than 100 characters at line"),
                config("decimal-of-1000-digits", llama.replace("\"vocab_size\": 128256", "\"vocab_size\": 1"
                        + "0".repeat(1000) + ".5"), "key 'vocab_size' holds a number longer than 100 characters"),
                config("number-of-99-digits", llama.replace("\"vocab_size\": 128256", "\"vocab_size\": "
                        + "9".repeat(99)), "vocab_size must be a positive integer, got " + "9".repeat(Excerpt.SHOWN)
                                + "... (99 characters) (allowed: 1 to 9223372036854775807)"),
                config("key-of-100000-characters", open + "\"" + "k".repeat(100_000) + "\": 1}",
                        "a key longer than 65536 characters follows the value at line"),
                config("unknown-key-of-1000-characters", open + "\"" + "k".repeat(1000) + "\": 1}",
                        "key '" + "k".repeat(Excerpt.SHOWN) + "... (1000 characters)' is not one flopcast reads"),
                config("longer-than-a-mebibyte", IntStream.range(0, 70_000).mapToObj(i -> "\"key_" + i + "\": 1")
                        .collect(Collectors.joining(", ", "{", "}")),
                        "is longer than 1048576 bytes (allowed: at most 1048576"),
                config("spaced-activation", llama.replace("\"hidden_act\": \"silu\"", "\"hidden_act\": \""
                        + "gelu ".repeat(100) + "\""), "hidden_act \"" + "gelu ".repeat(8).strip() + "... (502 characters) is"
                                + " not modelled"),
                config("empty", "", "is empty; allowed is a JSON object of config keys"),
                config("whitespace", " \n\t ", "is empty"),
                config("number", "42", "holds a JSON number, 42; allowed is a JSON object"),
                config("null", "null", "holds a JSON null"),
                config("string", "\"config\"", "holds a JSON string, \"config\""),
                config("two-objects", "{} {\"vocab_size\": 1}", "holds more after its object, at line 1, column 4:"
                        + " {\"vocab_size\": 1}; allowed is one JSON object"),
                config("duplicate-key", open + "\"vocab_size\": 1}", "Duplicate field 'vocab_size'"),
                new Object[] {"latin-1", ("{\"_name_or_path\": \"caf\u00e9\"}").getBytes(StandardCharsets.ISO_8859_1),
                    "is not valid JSON (line 1, column"},
                config("vocab-a-string", llama.replace("\"vocab_size\": 128256", "\"vocab_size\": \"128256\""),
                        "vocab_size must be a positive integer, got \"128256\""),
                config("layers-a-boolean", llama.replace("\"num_hidden_layers\": 16", "\"num_hidden_layers\": true"),
                        "num_hidden_layers must be a positive integer, got true"),
                config("width-1e30", llama.replace("\"hidden_size\": 2048", "\"hidden_size\": 1e30"),
                        "hidden_size must be a positive integer, got 1.0E30"),
                config("vocab-past-a-long", llama.replace("\"vocab_size\": 128256",
                        "\"vocab_size\": 9223372036854775808"), "vocab_size must be a positive integer, got "
                                + "9223372036854775808 (allowed: 1 to 9223372036854775807)"),
                config("kv-heads-negative", llama.replace("\"num_key_value_heads\": 8", "\"num_key_value_heads\": -1"),
                        "num_key_value_heads must be a positive integer, got -1"),
                config("tie-a-number", llama.replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": 1"),
                        "tie_word_embeddings must be true or false, got 1"))
                .map(Arguments::of);
    }

    private static Object[] config(String name, String json, String expected) {
        return new Object[] {name, json.getBytes(StandardCharsets.UTF_8), expected};
    }

    @Test
    void aDirectoryOrACountPastALongIsOneLine() throws IOException {
        BadInputTest.assertRefused("--hf-config " + dir + " is a directory; give the config.json file in it",
                "predict", "--hf-config", dir.toString());
        Path huge = Files.writeString(dir.resolve("huge.json"), Files.readString(LLAMA32_1B)
                .replace("\"vocab_size\": 128256", "\"vocab_size\": 9223372036854775807"));
        BadInputTest.assertRefused("the shape is too large: with --hf-config " + huge + " a count passes 2^63 - 1",
                "predict", "--hf-config", huge.toString());
    }

    @Test
    void theContextIsATrainingChoiceTheBatchToo() {
        Shape shape = Preset.LLAMA3_8B.shape(1);
        CliRun run = CliRun.of("predict", "--hf-config", LLAMA3_8B.toString(), "--context", "2048", "--batch", "3",
                "--detail");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("T=2048"), run.out());
        assertTrue(run.out().contains("B=3 h_kv=8"), run.out());
        assertEquals(8192, shape.contextLength());
    }

    private ObjectNode example() throws IOException {
        return (ObjectNode) new ObjectMapper().readTree(Files.readString(LLAMA32_1B));
    }

    private Path edited(String key, String json) throws IOException {
        ObjectNode root = example();
        root.set(key, new ObjectMapper().readTree(json));
        return written(root);
    }

    /** {@code root} written as this test's config.json, replacing any written before. */
    private Path written(ObjectNode root) throws IOException {
        return Files.writeString(dir.resolve("config.json"), root.toString());
    }
}
