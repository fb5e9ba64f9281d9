package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Preset;
import flopcast.analytic.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "attention_bias | true | attention_bias true is not modelled",
        "mlp_bias | true | mlp_bias true is not modelled",
        "num_local_experts | 8 | num_local_experts 8 is not modelled",
        "n_routed_experts | 64 | n_routed_experts 64 is not modelled",
        "sliding_window | 4096 | sliding_window 4096 is not modelled",
        "use_sliding_window | true | use_sliding_window true is not modelled",
        "hidden_act | \"gelu\" | hidden_act \"gelu\" is not modelled",
        "attention_dropout | 0.1 | attention_dropout 0.1 is not modelled",
        "head_dim | 128 | head_dim 128 is not hidden_size / num_attention_heads = 64",
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

    @Test
    void modelledValuesOfTheSameKeysAreAccepted() throws IOException {
        ObjectNode root = example();
        root.put("sliding_window", (String) null);
        root.put("num_local_experts", 0);
        root.put("hidden_act", "swiglu");
        Path config = dir.resolve("config.json");
        Files.writeString(config, root.toString());
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
        BadInputTest.assertRefused("is not a JSON object", "predict", "--hf-config", array.toString());

        BadInputTest.assertRefused("--layers 12 contradicts --hf-config " + LLAMA3_8B + ", which has 32", "predict",
                "--hf-config", LLAMA3_8B.toString(), "--layers", "12");
        BadInputTest.assertRefused("--kv-heads 32 contradicts --hf-config", "train", "--hf-config",
                LLAMA3_8B.toString(), "--kv-heads", "32");
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
        Path config = dir.resolve("config.json");
        Files.writeString(config, root.toString());
        return config;
    }
}
