package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TrainCommandTest {
    private static final String[] TINY = {"train", "--vocab", "13", "--context", "5", "--layers", "2", "--d-model",
        "12", "--heads", "3", "--d-ff", "20", "--batch", "2", "--steps", "3"};

    @Test
    void jsonKeysAreDesignMdsAndCountsEqualThePrediction() throws Exception {
        JsonNode json = PredictCommandTest.json(CliRun.concat(TINY, "--format", "json"));
        assertEquals(List.of("shape", "settings", "steps", "accumulation_steps", "seed", "backend", "threads", "loss",
                "counted", "predicted",
                "counted_equals_predicted", "heap_bytes", "allocated_bytes_per_step", "seconds_per_step", "timeline"),
                PredictCommandTest.keys(json));
        assertEquals(List.of("first", "last"), PredictCommandTest.keys(json.get("loss")));
        List<String> counts = List.of("forward_matmul_flops", "backward_matmul_flops", "recompute_matmul_flops",
                "hardware_flops", "elementwise_flops",
                "optimizer_flops", "parameters", "trainable_parameters", "activation_floats", "working_copy_floats",
                "nf4_bytes");
        assertEquals(counts, PredictCommandTest.keys(json.get("counted")));
        assertEquals(counts, PredictCommandTest.keys(json.get("predicted")));
        assertEquals(json.get("predicted"), json.get("counted"));
        assertTrue(json.get("counted_equals_predicted").asBoolean());
        assertEquals(List.of("predicted", "working_copies", "measured_live", "ratio"),
                PredictCommandTest.keys(json.get("heap_bytes")));
        assertEquals(3, json.get("steps").asInt());
        // the executed step's buffers alive phase by phase beside the predicted timeline: embedding, 2 blocks and the
        // head forward and backward, and the optimizer
        JsonNode timeline = json.get("timeline");
        assertTrue(timeline.get("counted_matches_predicted").asBoolean(), timeline.toString());
        assertEquals(9, timeline.get("phases").size());
        // steps 2 and 3 allocate and release their buffers as the timeline says: the pool's bytes, every kind
        assertEquals("pool", timeline.get("counted_from").asText());
        assertTrue(timeline.get("pool_events").asLong() > 0, timeline.toString());
        for (JsonNode phase : timeline.get("phases")) {
            for (String kind : List.of("weights", "optimizer_state", "gradients", "activations", "workspace")) {
                assertEquals(phase.get("predicted").get(kind), phase.get("counted").get(kind), phase.toString());
            }
        }
        assertEquals(List.of("micro_batch", "phase", "predicted", "measured_live", "ratio"),
                PredictCommandTest.keys(timeline.get("heap_at_peak")));
        assertEquals("forward: head", timeline.get("heap_at_peak").get("phase").asText());
        String summary = CliRun.of(TINY).out();
        assertTrue(summary.contains("\ntimeline  counted = predicted at all 9 phases, gradients zeroed (the pool's"),
                summary);
        assertTrue(summary.contains("\npeak heap ratio "), summary);
        // one step has no pooled step: its timeline is each buffer's uses, and no heap at the peak is taken
        JsonNode single = PredictCommandTest.json(CliRun.concat(
                Arrays.copyOf(TINY, TINY.length - 2), "--steps", "1", "--format", "json"))
                .get("timeline");
        assertEquals("uses", single.get("counted_from").asText());
        assertTrue(single.get("counted_matches_predicted").asBoolean(), single.toString());
        assertFalse(single.has("heap_at_peak"));
        // set to none, each gradient from the backward op that first accumulates into it: none before the head's
        JsonNode none = PredictCommandTest.json(CliRun.concat(TINY, "--gradients", "set-to-none", "--format", "json"))
                .get("timeline");
        assertEquals("set-to-none", none.get("gradients").asText());
        assertTrue(none.get("counted_matches_predicted").asBoolean(), none.toString());
        assertEquals(0, none.get("phases").get(3).get("counted").get("gradients").asLong(), "forward: head");
        assertTrue(none.get("phases").get(4).get("counted").get("gradients").asLong() > 0, "backward: head");
        // three micro-batches a step: every count a pass's times three (AdamW's once), the timeline 3 x 8 phases and
        // the optimizer, the gradients alive through the second and third
        JsonNode accumulated = PredictCommandTest.json(CliRun.concat(TINY, "--grad-accum", "3", "--gradients",
                "set-to-none", "--format", "json"));
        assertEquals(3, accumulated.get("accumulation_steps").asInt());
        assertTrue(accumulated.get("counted_equals_predicted").asBoolean(), accumulated.toString());
        assertEquals(3 * json.get("predicted").get("forward_matmul_flops").asLong(),
                accumulated.get("counted").get("forward_matmul_flops").asLong());
        assertEquals(json.get("predicted").get("optimizer_flops"), accumulated.get("counted").get("optimizer_flops"));
        JsonNode phases = accumulated.get("timeline").get("phases");
        assertTrue(accumulated.get("timeline").get("counted_matches_predicted").asBoolean(), phases.toString());
        assertEquals(25, phases.size());
        assertEquals(2, phases.get(8).get("micro_batch").asInt());
        assertEquals(phases.get(23).get("counted").get("gradients"), phases.get(8).get("counted").get("gradients"),
                "every gradient alive from the second micro-batch's first phase");
        CliRun bad = CliRun.of(CliRun.concat(TINY, "--gradients", "never"));
        assertEquals(2, bad.exitCode());
        assertEquals("flopcast: --gradients 'never' is not a gradient lifetime (allowed: zeroed, set-to-none)",
                bad.err().strip());
    }

    @Test
    void vectorBackendCountsTheSameAsThePrediction() throws Exception {
        JsonNode json = PredictCommandTest.json(CliRun.concat(TINY, "--backend", "vector", "--threads", "2", "--format",
                "json"));
        assertEquals("vector", json.get("backend").asText());
        assertEquals(2, json.get("threads").asInt());
        assertEquals(json.get("predicted"), json.get("counted"));
    }

    /** Grouped-query attention and a tied head, on both backends: the settings echoed, every count equal. */
    @ParameterizedTest
    @ValueSource(strings = {"ejml", "vector"})
    void groupedQueryAndTiedCountAsPredicted(String backend) throws Exception {
        JsonNode json = PredictCommandTest.json("train", "--vocab", "13", "--context", "5", "--layers", "2",
                "--d-model", "12", "--heads", "6", "--kv-heads", "2", "--tie-embeddings", "--d-ff", "20", "--batch",
                "2", "--steps", "2", "--backend", backend, "--threads", "2", "--format", "json");
        assertEquals(2, json.get("settings").get("kv_heads").asInt());
        assertTrue(json.get("settings").get("tie_embeddings").asBoolean());
        assertEquals(json.get("predicted"), json.get("counted"));
        assertTrue(json.get("counted_equals_predicted").asBoolean());
        // P = V*d + L*(2d^2 + 2*d*h_kv*d_k + 3*d*d_ff + 2d) + d = 156 + 2*(288 + 96 + 720 + 24) + 12
        assertEquals(156 + 2 * (288 + 96 + 720 + 24) + 12, json.get("counted").get("parameters").asLong());
    }

    /**
     * Biases on Q, K and V, and on every projection of the block, LayerNorm and learned positions, on
     * both backends, rerun by full recomputation: the settings echoed, every count equal (the biases'
     * parameters and their adds among the elementwise FLOPs, LayerNorm's means among the kept floats, the
     * position table among the parameters).
     */
    @ParameterizedTest
    @CsvSource({"ejml, qkv, rmsnorm, 0", "vector, all, rmsnorm, 0", "ejml, all, layernorm, 8",
            "vector, none, layernorm, 5"})
    void biasesLayerNormAndPositionsCountAsPredicted(String backend, String bias, String norm, long positions)
            throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--vocab", "13", "--context", "5", "--layers",
                "2", "--d-model", "12", "--heads", "6", "--kv-heads", "2", "--d-ff", "20", "--batch", "2", "--steps",
                "2", "--bias", bias, "--norm", norm, "--recompute", "full", "--backend", backend, "--threads", "2",
                "--format", "json"));
        if (positions > 0) {
            args.addAll(List.of("--positions", Long.toString(positions)));
        }
        JsonNode json = PredictCommandTest.json(args.toArray(String[]::new));
        assertEquals(bias, json.get("settings").get("bias").asText());
        assertEquals(norm, json.get("settings").get("norm").asText());
        assertEquals(json.get("predicted"), json.get("counted"));
        assertTrue(json.get("counted_equals_predicted").asBoolean());
        // P = 2*V*d + L*(2d^2 + 2*d*h_kv*d_k + 3*d*d_ff + 2d) + d + the biases: L*(d + 2*h_kv*d_k) for qkv,
        // L*(3d + 2*h_kv*d_k + 2*d_ff) for all; LayerNorm's d-wide bias on each of the 2L + 1 norms
        long plain = 2 * 156 + 2 * (288 + 96 + 720 + 24) + 12;
        long biases = switch (bias) {
            case "qkv" -> 2 * (12 + 8);
            case "all" -> 2 * (36 + 8 + 40);
            default -> 0;
        };
        long normBiases = norm.equals("layernorm") ? 5 * 12 : 0;
        assertEquals(plain + biases + normBiases + positions * 12, json.get("counted").get("parameters").asLong());
    }

    /**
     * A head width of its own, d_k = 3 at d = 10 and h = 4 (no multiple), under eager and flash, with and
     * without QK-norm: the settings echoed and every count equal. P = 2*V*d + L*(2*d*h*d_k + 2*d*h_kv*d_k
     * + 3*d*d_ff + 2d) + d = 260 + 2*(240 + 120 + 600 + 20) + 10, and QK-norm's two gains of 3 a block.
     */
    @ParameterizedTest
    @CsvSource({"ejml, eager, none", "vector, flash, head", "ejml, flash, head", "vector, eager, projection"})
    void anOwnHeadWidthAndQkNormCountAsPredicted(String backend, String attention, String qkNorm) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--vocab", "13", "--context", "5", "--layers",
                "2", "--d-model", "10", "--heads", "4", "--kv-heads", "2", "--head-dim", "3", "--d-ff", "20",
                "--batch", "2", "--steps", "2", "--attention", attention, "--backend", backend, "--threads", "2",
                "--format", "json"));
        if (qkNorm.equals("head")) {
            args.add("--qk-norm");
        } else if (qkNorm.equals("projection")) {
            args.addAll(List.of("--qk-norm", "projection"));
        }
        JsonNode json = PredictCommandTest.json(args.toArray(String[]::new));
        assertEquals(3, json.get("settings").get("head_dim").asInt());
        assertEquals(qkNorm, json.get("settings").get("qk_norm").asText());
        assertEquals(json.get("predicted"), json.get("counted"));
        assertTrue(json.get("counted_equals_predicted").asBoolean());
        // QK-norm's gains: d_k = 3 each per head, or h*d_k = 12 and h_kv*d_k = 6 over the projections
        assertEquals(260 + 2 * (240 + 120 + 600 + 20) + 10 + switch (qkNorm) {
            case "head" -> 2 * 6;
            case "projection" -> 2 * 18;
            default -> 0;
        }, json.get("counted").get("parameters").asLong());
    }

    /**
     * GPT-2's layout (LayerNorm with biases, every projection biased, learned positions, GELU's two
     * matrices, a tied head) trained on both backends: every count equal; and predict gives OpenAI's
     * GPT-2 small 124,439,808 parameters from the same options at its size.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ejml", "vector"})
    void gpt2sLayoutCountsAsPredicted(String backend) throws Exception {
        String[] layout = {"--tie-embeddings", "--norm", "layernorm", "--bias", "all", "--mlp", "gelu"};
        List<String> train = new java.util.ArrayList<>(List.of("train", "--vocab", "13", "--context", "5", "--layers",
                "2", "--d-model", "12", "--heads", "3", "--d-ff", "48", "--positions", "8", "--batch", "2", "--steps", "2",
                "--backend", backend, "--threads", "2", "--format", "json"));
        train.addAll(List.of(layout));
        JsonNode json = PredictCommandTest.json(train.toArray(String[]::new));
        assertEquals("gelu", json.get("settings").get("mlp").asText());
        assertEquals(json.get("predicted"), json.get("counted"));
        assertTrue(json.get("counted_equals_predicted").asBoolean());
        List<String> predict = new java.util.ArrayList<>(List.of("predict", "--vocab", "50257", "--context", "1024",
                "--layers", "12", "--d-model", "768", "--heads", "12", "--d-ff", "3072", "--positions", "1024",
                "--batch", "1", "--format", "json"));
        predict.addAll(List.of(layout));
        assertEquals(124_439_808L, PredictCommandTest.json(predict.toArray(String[]::new)).get("parameters").asLong());
    }

    /**
     * A sliding window of 3 keys at a context of 6, trained on both backends: the softmax masks the keys
     * before the window, and every count equals the prediction.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ejml", "vector"})
    void aSlidingWindowShorterThanTheContextCountsAsPredicted(String backend) throws Exception {
        JsonNode json = PredictCommandTest.json("train", "--vocab", "13", "--context", "6", "--layers", "2",
                "--d-model", "12", "--heads", "3", "--d-ff", "20", "--sliding-window", "3", "--batch", "2", "--steps",
                "2", "--backend", backend, "--threads", "2", "--format", "json");
        assertEquals(3, json.get("settings").get("sliding_window").asLong());
        assertEquals(json.get("predicted"), json.get("counted"));
        assertTrue(json.get("counted_equals_predicted").asBoolean());
    }

    /**
     * Gemma's layout (GeGLU, multi-query attention, heads wider than d / h, a tied head) trained on
     * both backends: every count equal; and predict gives Gemma 2B's and 7B's published parameter counts
     * from their presets.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ejml", "vector"})
    void gemmasLayoutCountsAsPredicted(String backend) throws Exception {
        JsonNode json = PredictCommandTest.json("train", "--vocab", "13", "--context", "5", "--layers", "2",
                "--d-model", "12", "--heads", "4", "--kv-heads", "1", "--head-dim", "6", "--d-ff", "24",
                "--tie-embeddings", "--mlp", "geglu", "--batch", "2", "--steps", "2", "--backend", backend,
                "--threads", "2", "--format", "json");
        assertEquals("geglu", json.get("settings").get("mlp").asText());
        assertEquals(json.get("predicted"), json.get("counted"));
        assertTrue(json.get("counted_equals_predicted").asBoolean());
        assertEquals(2_506_172_416L, PredictCommandTest.json("predict", "--preset", "gemma-2b", "--format", "json")
                .get("parameters").asLong());
        assertEquals(8_537_680_896L, PredictCommandTest.json("predict", "--preset", "gemma-7b", "--format", "json")
                .get("parameters").asLong());
    }

    /**
     * bf16 mixed precision with flash attention, selective recomputation, GQA and a tied head: every
     * count equal, the working copies counted beside the prediction and their bytes in the heap.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ejml", "vector"})
    void bf16MixedCountsAsPredicted(String backend) throws Exception {
        JsonNode json = PredictCommandTest.json("train", "--vocab", "13", "--context", "5", "--layers", "2",
                "--d-model", "12", "--heads", "6", "--kv-heads", "2", "--tie-embeddings", "--d-ff", "20", "--batch",
                "2", "--steps", "2", "--precision-policy", "bf16-mixed", "--attention", "flash", "--recompute",
                "selective", "--backend", backend, "--threads", "2", "--format", "json");
        assertEquals("bf16-mixed", json.get("settings").get("precision_policy").asText());
        assertEquals(json.get("predicted"), json.get("counted"));
        long copies = json.get("counted").get("working_copy_floats").asLong();
        assertTrue(copies > 0, "bfloat16 tensors have float32 working copies");
        assertEquals(4 * copies, json.get("heap_bytes").get("working_copies").asLong());
    }

    /** Two steps of rank-2 LoRA on every target, bf16-mixed, flash, full recomputation, on 2 threads of a backend. */
    private static String[] loraRun(String backend, String... more) {
        return CliRun.concat(new String[] {"train", "--vocab", "13", "--context", "5", "--layers", "2", "--d-model",
            "12", "--heads", "6", "--kv-heads", "2", "--d-ff", "20", "--batch", "2", "--steps", "2",
            "--precision-policy", "bf16-mixed", "--attention", "flash", "--recompute", "full", "--lora-rank", "2",
            "--lora-targets", "all", "--backend", backend, "--threads", "2"}, more);
    }

    /**
     * LoRA on the frozen model, every target, bf16-mixed under flash and full recomputation, on both
     * backends: every count equal, the trainable ones the adapters', and the table's row for them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ejml", "vector"})
    void loraAdaptersCountAsPredicted(String backend) throws Exception {
        String[] args = loraRun(backend);
        JsonNode json = PredictCommandTest.json(CliRun.concat(args, "--format", "json"));
        assertEquals(json.get("predicted"), json.get("counted"));
        assertTrue(json.get("counted_equals_predicted").asBoolean());
        // per block r*(12 + 12) for Q and O, r*(12 + 4) for K and V, r*(12 + 20) for W1, W3 and W2
        assertEquals(2L * 2 * (2 * 24 + 2 * 16 + 3 * 32), json.get("counted").get("trainable_parameters").asLong());
        String table = CliRun.of(CliRun.concat(args, "--detail")).out();
        assertTrue(table.contains("trainable parameters (LoRA)"), table);
    }

    /**
     * QLoRA: the same run on an NF4 base, on both backends: every count equal, the NF4 bytes worked out
     * by hand (two codes a byte, a maximum per 64 weights, a float32 constant per 256 maxima), and the
     * table's row for them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ejml", "vector"})
    void qloraNf4BaseCountsAsPredicted(String backend) throws Exception {
        String[] args = loraRun(backend, "--quantized-base", "nf4");
        JsonNode json = PredictCommandTest.json(CliRun.concat(args, "--format", "json"));
        assertEquals(json.get("predicted"), json.get("counted"));
        // per block Q and O 12 x 12 (72 code bytes, 3 maxima, one constant: 79), K and V 12 x 4 (24 + 1 + 4 = 29),
        // W1, W3 and W2 12 x 20 (120 + 4 + 4 = 128)
        assertEquals(2L * (2 * 79 + 2 * 29 + 3 * 128), json.get("counted").get("nf4_bytes").asLong());
        String table = CliRun.of(CliRun.concat(args, "--detail")).out();
        assertTrue(table.contains("NF4 weight bytes (QLoRA)"), table);
    }

    @Test
    void summarySaysCountedEqualsPredictedAndTheHeapRatio() throws Exception {
        CliRun run = CliRun.of(TINY);
        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = List.of(run.out().split("\n"));
        assertTrue(lines.size() <= Summary.MAX_LINES && lines.stream().allMatch(l -> l.length() <= Summary.WIDTH),
                run.out());
        assertEquals("counts    counted = predicted: all 6 counts of a step equal (FLOPs, parameters, kept floats)",
                lines.get(2));
        assertTrue(lines.get(3).startsWith("heap      ratio "), run.out());
        assertTrue(!run.out().contains("  equal\n"), "the per-count table is the detail's");
    }

    @Test
    void detailSaysEqualOnEveryRow() {
        CliRun run = CliRun.of(CliRun.concat(TINY, "--detail"));
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(6, run.out().split("  equal\n", -1).length - 1, run.out());
        assertTrue(run.out().contains("heap "), run.out());
        assertTrue(run.out().contains("allocated per step "), run.out());
    }

    /**
     * The profile follows the summary: a row per op class and pass, then the classes' sum, the
     * remainder and the step, within 100 columns, the remainder's ms the step's less the sum's.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ejml", "vector"})
    void profileTableEndsWithTheRemainderAndTheStep(String backend) {
        CliRun run = CliRun.of(CliRun.concat(TINY, "--profile", "--backend", backend, "--threads", "2"));
        assertEquals(0, run.exitCode(), run.err());
        String profile = run.out().substring(run.out().indexOf("\nprofile: mean per step of steps 2..3") + 1);
        List<String> lines = List.of(profile.split("\n"));
        assertTrue(lines.stream().allMatch(l -> l.length() <= Summary.WIDTH), profile);
        assertTrue(lines.get(1).startsWith("op class"), profile);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("qkv_projection          forward")), profile);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("adamw                   optimizer")), profile);
        int n = lines.size();
        assertTrue(lines.get(n - 3).startsWith("timed, all classes"), profile);
        assertTrue(lines.get(n - 2).startsWith("remainder, no class"), profile);
        assertTrue(lines.get(n - 1).startsWith("step "), profile);
        assertTrue(lines.get(n - 1).endsWith("100.0%"), profile);
        double timed = millis(lines.get(n - 3));
        double remainder = millis(lines.get(n - 2));
        double step = millis(lines.get(n - 1));
        assertEquals(step - timed, remainder, 0.0015, profile);
        assertTrue(timed <= step, profile);
    }

    /** The ms of a profile's closing line: the cell before its share, the last. */
    private static double millis(String line) {
        String[] parts = line.trim().split("\\s+");
        return Double.parseDouble(parts[parts.length - 2]);
    }

    @Test
    void profileIsAJsonObjectWithEveryClassAndTheRemainder() throws Exception {
        JsonNode json = PredictCommandTest.json(CliRun.concat(TINY, "--profile", "--format", "json"));
        JsonNode profile = json.get("profile");
        assertEquals(List.of("first_step", "steps", "statistic", "step_seconds", "timed_seconds", "remainder_seconds",
                "remainder_share", "ops"), PredictCommandTest.keys(profile));
        assertEquals(2, profile.get("first_step").asInt(), "step 1 warms up");
        assertEquals(2, profile.get("steps").asInt());
        assertEquals(profile.get("step_seconds").asDouble() - profile.get("timed_seconds").asDouble(),
                profile.get("remainder_seconds").asDouble(), 1e-12);
        double sum = 0;
        for (JsonNode op : profile.get("ops")) {
            sum += op.get("seconds_per_step").asDouble();
        }
        assertEquals(profile.get("timed_seconds").asDouble(), sum, 1e-12);
        assertTrue(profile.get("ops").size() >= 20, profile.toString());
    }

    @Test
    void csvIsTheJsonFlattened() {
        CliRun run = CliRun.of(CliRun.concat(TINY, "--format", "csv"));
        assertTrue(run.out().startsWith("quantity,value\n"), run.out());
        assertTrue(run.out().contains("\ncounted.parameters,"), run.out());
    }
}
