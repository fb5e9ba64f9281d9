package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class PredictCommandTest {
    private static final String[] SEED_SCENARIO = {"predict", "--preset", "seed-gpt2-xl", "--accounting", "seed",
        "--batch", "1024", "--device", "a100-80gb", "--steps", "400000"};
    /** Seconds and days are one double division away from exact integers: 1e-12 relative is ample. */
    private static final double RELATIVE = 1e-12;

    /**
     * Where blocks differ (a dense layer among experts, a frozen range), the tensor listings' bytes are every
     * instance's at its own kind of block's widths, so each listing sums to its total.
     */
    @Test
    void tensorListingsSumToTheirTotalsWhereBlocksDiffer() throws Exception {
        JsonNode json = json("predict", "--vocab", "64", "--context", "8", "--layers", "4", "--d-model", "16",
                "--heads", "4", "--d-ff", "8", "--experts", "4", "--top-k", "2", "--dense-layers", "0",
                "--dense-ffn", "24", "--freeze-layers", "1", "--recompute", "full", "--batch", "4", "--format", "json");
        long activations = 0;
        long workspace = 0;
        for (JsonNode tensor : json.get("tensors")) {
            if (tensor.get("kind").asText().equals("activation")) {
                activations += tensor.get("bytes").asLong();
            } else {
                workspace += tensor.get("bytes").asLong();
            }
        }
        assertEquals(json.get("memory_bytes").get("activations").asLong(), activations);
        assertEquals(json.get("memory_bytes").get("workspace").asLong(), workspace);
        long saved = 0;
        for (JsonNode tensor : json.get("pytorch_saved").get("tensors")) {
            saved += tensor.get("bytes").asLong();
        }
        assertEquals(json.get("pytorch_saved").get("bytes").asLong(), saved);
    }

    @Test
    void jsonKeysAreDesignMdsInItsOrder() throws Exception {
        JsonNode json = json("predict", "--preset", "seed-gpt2", "--device", "a100-40gb", "--steps", "10",
                "--format", "json");
        assertEquals(List.of("accounting", "answer", "shape", "settings", "parameters", "trainable_parameters", "active_parameters",
                "memory_bytes", "flops",
                "max_batch", "training", "components", "tensors", "pytorch_saved", "rank_peak", "timeline"), keys(json));
        assertEquals(List.of("devices", "global_batch_size", "batch_size_per_device", "memory_bytes_per_device", "fits",
                "max_batch_size_per_device", "max_global_batch_size", "max_batch_from", "accumulation_steps",
                "model_flops_per_step", "micro_batch_plan", "training_seconds", "training_days", "training_from", "no_training_reason", "note"),
                keys(json.get("answer")));
        assertEquals(List.of("profile", "bytes", "tensors", "torch_version"), keys(json.get("pytorch_saved")));
        assertEquals(List.of("framework", "gradients", "optimizer", "loss_precision", "ranks", "sharding", "micro_batches",
                "sum_bytes", "peak", "phases", "beyond_tensors"), keys(json.get("timeline")));
        assertEquals(List.of("device", "checked", "rows", "peak_allocated_bytes", "device_usage_at_least_bytes"),
                keys(json.get("timeline").get("beyond_tensors")));
        assertEquals(List.of("phase", "micro_batch", "weights", "optimizer_state", "gradients", "activations",
                "workspace", "temporaries", "total"), keys(json.get("timeline").get("peak")));
        assertEquals(List.of("kv_heads", "tie_embeddings", "bias", "head_dim", "qk_norm", "norm", "norm_placement",
                "window_pattern", "attention_softcap", "logit_softcap", "mlp", "experts", "positions", "sliding_window", "precision_policy",
                "attention", "recompute", "freeze", "freeze_layers", "lora"),
                keys(json.get("settings")));
        assertTrue(json.get("settings").get("freeze_layers").isNull(), "no block frozen by range");
        assertTrue(json.get("settings").get("lora").isNull(), "every parameter trains");
        assertEquals(0, json.get("settings").get("freeze").size(), "nothing frozen");
        assertEquals(json.get("parameters").asLong(), json.get("trainable_parameters").asLong());
        assertEquals(json.get("parameters").asLong(), json.get("active_parameters").asLong(), "a dense model");
        assertTrue(json.get("settings").get("experts").isNull(), "a dense MLP");
        assertEquals("fp32", json.get("settings").get("precision_policy").asText());
        assertEquals(0, json.get("memory_bytes").get("master_weights").asLong());
        assertEquals(12, json.get("settings").get("kv_heads").asLong());
        assertEquals(false, json.get("settings").get("tie_embeddings").asBoolean());
        assertEquals("none", json.get("settings").get("bias").asText());
        assertEquals(64, json.get("settings").get("head_dim").asLong(), "d / h, echoed");
        assertEquals(false, json.get("settings").get("qk_norm").asBoolean());
        assertEquals("rmsnorm", json.get("settings").get("norm").asText());
        assertTrue(json.get("settings").get("positions").isNull(), "rotary: no table");
        assertEquals("swiglu", json.get("settings").get("mlp").asText());
        assertEquals(List.of("vocab_size", "context_length", "num_layers", "d_model", "num_heads", "d_ff",
                "batch_size"), keys(json.get("shape")));
        assertEquals(List.of("parameters", "gradients", "master_weights", "optimizer_state", "activations", "workspace", "total",
                "fixed", "per_batch_element"), keys(json.get("memory_bytes")));
        assertEquals(List.of("forward", "backward", "elementwise", "optimizer", "step", "recompute", "hardware"),
                keys(json.get("flops")));
        assertEquals(List.of("capacity_bytes", "capacity", "capacity_unit", "batch_size", "fractional", "spare_bytes"),
                keys(json.get("max_batch")));
        assertEquals(List.of("steps", "device", "precision", "peak_flops_per_second", "mfu", "hfu", "total_flops",
                "seconds", "days", "step_seconds_at_peak"), keys(json.get("training")));
        assertEquals(List.of("name", "count", "parameters", "activation_floats", "forward_flops",
                "elementwise_flops"), keys(json.get("components").get(0)));
        assertEquals(List.of("name", "kind", "component", "dtype", "shape", "count", "elements", "bytes", "read_by"),
                keys(json.get("tensors").get(0)));
    }

    /**
     * LoRA on Llama 2 7B at PEFT's defaults (r = 8, alpha 8, q_proj and v_proj): PEFT's counts, the frozen
     * weights alone in bf16, the adapters' 2 + 4 + 8 bytes of gradient, master copy and moments, and the
     * summary's line saying what trains.
     */
    @Test
    void loraTrainsTheAdaptersAloneOnTheFrozenModel() throws Exception {
        JsonNode json = json("predict", "--preset", "llama2-7b", "--context", "1024", "--precision-policy",
                "bf16-mixed", "--lora-rank", "8", "--format", "json");
        assertEquals(6_742_609_920L, json.get("parameters").asLong());
        assertEquals(4_194_304L, json.get("trainable_parameters").asLong());
        JsonNode lora = json.get("settings").get("lora");
        assertEquals(8, lora.get("rank").asLong());
        assertEquals(8.0, lora.get("alpha").asDouble());
        assertEquals(List.of("query", "value"), List.of(lora.get("targets").get(0).asText(),
                lora.get("targets").get(1).asText()));
        JsonNode bytes = json.get("memory_bytes");
        assertEquals(2 * 6_742_609_920L, bytes.get("parameters").asLong());
        assertEquals(2 * 4_194_304L, bytes.get("gradients").asLong());
        assertEquals(4 * 4_194_304L, bytes.get("master_weights").asLong());
        assertEquals(8 * 4_194_304L, bytes.get("optimizer_state").asLong());
        assertEquals(14 * 4_194_304L + 8, json.get("flops").get("optimizer").asLong());
        assertEquals("pytorch", json.get("rank_peak").get("saved_by").asText(),
                "the pytorch profile lists what a frozen model's autograd saves");
        assertEquals(json.get("pytorch_saved").get("bytes").asLong(), json.get("rank_peak").get("saved_bytes").asLong());
        String table = CliRun.of("predict", "--preset", "llama2-7b", "--lora-rank", "8", "--lora-targets",
                "q_proj,k_proj,v_proj,o_proj").out();
        String csv = CliRun.of("predict", "--preset", "llama2-7b", "--lora-rank", "8", "--lora-targets", "v_proj,w2",
                "--format", "csv").out();
        assertTrue(csv.contains("complete,settings.lora.targets.0,value\ncomplete,settings.lora.targets.1,w2\n"), csv);
        assertTrue(table.replaceAll("\\s+", " ").contains("trains LoRA adapters of rank 8 (alpha 8) on"
                + " query,key,value,output in every block: 8,388,608 parameters with gradients and AdamW state"), table);
    }

    /**
     * bf16-mixed on Llama 3 8B: 2 + 2 + 4 + 4 + 4 bytes per parameter, activations in bfloat16, and
     * the time divides by the device's bf16 peak unless --precision names another.
     */
    @Test
    void precisionPolicySetsBytesAndThePeak() throws Exception {
        JsonNode json = json("predict", "--preset", "llama3-8b", "--precision-policy", "bf16-mixed", "--peak-tflops",
                "989", "--steps", "10", "--format", "json");
        long p = 8_030_261_248L;
        assertEquals("bf16-mixed", json.get("settings").get("precision_policy").asText());
        JsonNode bytes = json.get("memory_bytes");
        assertEquals(2 * p, bytes.get("parameters").asLong());
        assertEquals(2 * p, bytes.get("gradients").asLong());
        assertEquals(4 * p, bytes.get("master_weights").asLong());
        assertEquals(8 * p, bytes.get("optimizer_state").asLong());
        assertEquals("bfloat16", json.get("tensors").get(1).get("dtype").asText());
        assertEquals("int32", json.get("tensors").get(0).get("dtype").asText());
        assertEquals("bf16", json.get("training").get("precision").asText());
        assertEquals(0.5, json.get("training").get("hfu").asDouble(), 1e-15, "nothing recomputed: HFU = MFU");
        JsonNode flash = json("predict", "--preset", "llama3-8b", "--attention", "flash", "--peak-tflops", "989",
                "--steps", "10", "--format", "json");
        double ratio = flash.get("flops").get("hardware").asDouble() / flash.get("flops").get("step").asDouble();
        assertEquals(0.5 * ratio, flash.get("training").get("hfu").asDouble(), 1e-12);
        assertTrue(ratio > 1.03 && ratio < 1.04, "flash recomputes one Q K^T a layer: " + ratio);

        JsonNode onDevice = json("predict", "--preset", "llama3-8b", "--precision-policy", "bf16-mixed", "--device",
                "h100-sxm", "--memory-gb", "200", "--steps", "10", "--format", "json");
        assertEquals(989e12, onDevice.get("training").get("peak_flops_per_second").asDouble(), 1e3);
        JsonNode overridden = json("predict", "--preset", "llama3-8b", "--precision-policy", "bf16-mixed",
                "--device", "h100-sxm", "--memory-gb", "200", "--precision", "fp32", "--steps", "10", "--format",
                "json");
        assertEquals("fp32", overridden.get("training").get("precision").asText());
    }

    /** A capacity below the model state alone is an answer (batch 0, how many bytes are missing), not an error. */
    @Test
    void aModelStateLargerThanTheCapacityIsAnAnswer() throws Exception {
        CliRun seed = CliRun.of("predict", "--preset", "seed-gpt2-xl", "--accounting", "seed", "--memory-gb", "10",
                "--detail");
        assertEquals(0, seed.exitCode(), seed.err());
        assertTrue(seed.out().contains("largest batch      on 10 GB (10,000,000,000 bytes): 0, does not fit: the model"
                + " state (parameters, gradients, AdamW m and v) alone needs 32,746,342,400 bytes (32.746 GB, 30.497"
                + " GiB), 22,746,342,400 more than 10 GB (10,000,000,000 bytes)"), seed.out());
        JsonNode llama = json("predict", "--preset", "llama3-8b", "--precision-policy", "bf16-mixed", "--device",
                "h100-sxm", "--format", "json");
        long modelState = 16 * 8_030_261_248L;
        JsonNode fit = llama.get("max_batch");
        assertEquals(0, fit.get("batch_size").asLong());
        long fixed = llama.get("memory_bytes").get("fixed").asLong();
        assertTrue(fixed > modelState, "the fixed part is the model state and the per-head scratch");
        assertEquals(fixed - 80_000_000_000L, -fit.get("spare_bytes").asLong());
        CliRun text = CliRun.of("predict", "--preset", "llama3-8b", "--precision-policy", "bf16-mixed", "--device",
                "h100-sxm");
        assertTrue(text.out().contains("\nfits      no, at any batch: the model state"), text.out());
        CliRun detail = CliRun.of("predict", "--preset", "llama3-8b", "--precision-policy", "bf16-mixed", "--device",
                "h100-sxm", "--detail");
        assertTrue(detail.out().contains("the model state (parameters, gradients, master weights, AdamW m and v)"
                + " with the per-head scratch alone needs"), detail.out());
    }

    @Test
    void withoutCapacityOrStepsThoseObjectsAreAbsent() throws Exception {
        JsonNode json = json("predict", "--preset", "seed-gpt2", "--format", "json");
        assertEquals(List.of("accounting", "answer", "shape", "settings", "parameters", "trainable_parameters", "active_parameters",
                "memory_bytes", "flops",
                "components", "tensors", "pytorch_saved", "rank_peak", "timeline"), keys(json));
        assertTrue(json.at("/answer/fits").isNull(), "no capacity: fit not checked");
        assertTrue(json.at("/answer/max_batch_from").isNull());
        assertEquals("no --steps (give --steps N with --device or --peak-tflops)",
                json.at("/answer/no_training_reason").asText());
        JsonNode flash = json("predict", "--preset", "seed-gpt2", "--attention", "flash", "--format", "json");
        assertTrue(flash.get("pytorch_saved") == null, "no pytorch profile for flash attention");
    }

    /**
     * What the PyTorch probe reads, at its test shape (V=50 T=12 L=3 d=24 h=4 d_ff=40, h_kv = 2, B = 4
     * on 2 zero1 ranks, RankPeakTest's worked example): rank 1's state 196,800 + 158,572 saved by the
     * pytorch profile + 21,792 of workspace = 377,164; on an H100 at fp32 one rank's step of 2,412,288
     * model FLOPs takes 2,412,288 / 67e12 seconds at the peak.
     */
    @Test
    void theProbesKeysAreOneRanksPeakAndTheStepAtThePeak() throws Exception {
        JsonNode json = json("predict", "--vocab", "50", "--context", "12", "--layers", "3", "--d-model", "24",
                "--heads", "4", "--kv-heads", "2", "--d-ff", "40", "--batch", "4", "--data-parallel", "2", "--sharding",
                "zero1", "--device", "h100-sxm", "--steps", "7", "--mfu", "0.3", "--format", "json");
        JsonNode peak = json.get("rank_peak");
        assertEquals(List.of("bytes", "saved_by", "state_bytes", "saved_bytes", "workspace_bytes"), keys(peak));
        assertEquals(377_164, peak.get("bytes").asLong());
        assertEquals("pytorch", peak.get("saved_by").asText());
        assertEquals(json.at("/pytorch_saved/bytes").asLong(), peak.get("saved_bytes").asLong());
        assertEquals(json.at("/memory_bytes/workspace").asLong(), peak.get("workspace_bytes").asLong());
        assertEquals(json.at("/data_parallel/per_rank/1/state_bytes").asLong(), peak.get("state_bytes").asLong());
        assertEquals("1.13", json.at("/pytorch_saved/torch_version").asText());
        assertEquals(2_412_288, json.at("/flops/step").asLong());
        assertEquals(2_412_288 / 67e12, json.at("/training/step_seconds_at_peak").asDouble(), 3.6e-8 * RELATIVE);
        JsonNode flash = json("predict", "--vocab", "50", "--context", "12", "--layers", "3", "--d-model", "24",
                "--heads", "4", "--d-ff", "40", "--batch", "2", "--attention", "flash", "--format", "json");
        assertEquals("complete", flash.at("/rank_peak/saved_by").asText());
        assertEquals(flash.at("/memory_bytes/total").asLong(), flash.at("/rank_peak/bytes").asLong());
        JsonNode seed = json("predict", "--preset", "seed-gpt2", "--accounting", "seed", "--format", "json");
        assertTrue(seed.get("rank_peak") == null, "the seed counts no workspace: no rank peak");
    }

    @Test
    void dataParallelCsvNamesEachRankByItsIndex() {
        CliRun run = CliRun.of("predict", "--preset", "seed-gpt2", "--batch", "4", "--data-parallel", "2",
                "--sharding", "zero1", "--device", "a100-80gb", "--steps", "10", "--format", "csv");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("\ncomplete,data_parallel.per_rank.1.rank,1\n"), run.out());
        assertTrue(run.out().contains("\ncomplete,data_parallel.per_rank.0.communication.parameter_broadcast.payload_bytes,"),
                run.out());
        assertTrue(run.out().contains("\ncomplete,data_parallel.training.step_seconds,"), run.out());
    }

    @Test
    void dataParallelGivesEachRanksStateTrafficBatchAndTime() throws Exception {
        JsonNode json = json("predict", "--preset", "llama3-8b", "--precision-policy", "bf16-mixed", "--batch", "64",
                "--data-parallel", "8", "--sharding", "zero1", "--device", "h100-sxm", "--steps", "1000", "--format",
                "json");
        flopcast.analytic.Shape rankShape = flopcast.analytic.Preset.byName("llama3-8b").shape(8)
                .withPolicy(flopcast.analytic.PrecisionPolicy.BF16_MIXED);
        assertEquals(8, json.at("/shape/batch_size").asLong(), "everything above data_parallel is one rank's");
        JsonNode dataParallel = json.get("data_parallel");
        assertEquals(List.of("ranks", "sharding", "overlap_communication", "global_batch_size", "per_rank_batch_size",
                "micro_batch_size", "padding_elements", "listed", "per_rank", "max_batch_per_rank", "max_sent_bytes", "link",
                "link_bytes_per_second", "training"), keys(dataParallel));
        assertEquals(64, dataParallel.get("global_batch_size").asLong());
        flopcast.analytic.DataParallel plan = new flopcast.analytic.DataParallel(8, flopcast.analytic.Sharding.ZERO1,
                false);
        JsonNode rank2 = dataParallel.get("per_rank").get(2);
        flopcast.analytic.DataParallel.RankState state = plan.states(rankShape).get(2);
        assertEquals(state.optimizerStateBytes(rankShape.policy()), rank2.get("optimizer_state_bytes").asLong());
        assertEquals(state.masterWeightsBytes(rankShape.policy()), rank2.get("master_weights_bytes").asLong());
        assertEquals(16_060_522_496L, rank2.get("parameters_bytes").asLong());
        assertEquals(16_060_522_496L, rank2.at("/communication/gradient_all_reduce/payload_bytes").asLong());
        assertEquals(plan.maxSentBytes(rankShape), dataParallel.get("max_sent_bytes").asLong());
        assertEquals("nvlink", dataParallel.get("link").asText());
        JsonNode training = dataParallel.get("training");
        assertEquals(training.get("compute_seconds_per_step").asDouble()
                + training.get("communication_seconds_per_step").asDouble(), training.get("step_seconds").asDouble(),
                1e-12);
        assertEquals(plan.maxSentBytes(rankShape) / 450e9, training.get("communication_seconds_per_step").asDouble(),
                1e-15);
        assertEquals(1000 * training.get("step_seconds").asDouble(), training.get("seconds").asDouble(), 1e-9);
        assertEquals(0, dataParallel.at("/max_batch_per_rank/batch_size").asLong());
    }

    @Test
    void seedJsonCarriesTheSeedsNumbersAtFullPrecision() throws Exception {
        JsonNode json = json(withFormat(SEED_SCENARIO, "json"));
        assertEquals("seed", json.get("accounting").asText());
        assertEquals("32746342400", json.at("/memory_bytes/fixed").asText());
        assertEquals("15941046272", json.at("/memory_bytes/per_batch_element").asText());
        assertTrue(json.at("/memory_bytes/workspace").isNull());
        assertEquals("92771293593600", json.at("/flops/forward").asText());
        assertEquals("278313880780800", json.at("/flops/step").asText());
        assertTrue(json.at("/flops/elementwise").isNull());
        assertTrue(json.at("/flops/optimizer").isNull());
        assertEquals(80_000_000_000L, json.at("/max_batch/capacity_bytes").asLong());
        assertEquals(2, json.at("/max_batch/batch_size").asLong());
        assertEquals(47_253_657_600.0 / 15_941_046_272.0, json.at("/max_batch/fractional").asDouble(), 0.0);
        assertEquals("111325552312320000000", json.at("/training/total_flops").asText());
        double seconds = 111_325_552_312_320_000_000.0 / 9.75e12;
        assertEquals(seconds, json.at("/training/seconds").asDouble(), seconds * RELATIVE);
        assertEquals(seconds / 86_400, json.at("/training/days").asDouble(), seconds / 86_400 * RELATIVE);
        assertEquals(19.5e12, json.at("/training/peak_flops_per_second").asDouble(), 0.0);
    }

    /** Every number the seed prints, in its notation, is in the detail (the summary gives no time: 1024 does not fit). */
    @Test
    void seedTableShowsTheNumbersAsTheSeedPrintsThem() {
        CliRun run = CliRun.of(CliRun.concat(SEED_SCENARIO, "--detail"));
        assertEquals(0, run.exitCode(), run.err());
        for (String printed : List.of("3,985,261,568 x B + 8,186,585,600 floats",
                "3.27463424e10 + 1.59410463e10 x B bytes", ": 2 (2.964 before rounding down)",
                "9.05969664e10 x B = 9.27712936e13 at B = 1024", "forward + backward 2.78313881e14",
                "= 1.11325552e20 FLOPs", "11,418,005.37 s", "132.15 days", "block total", "cross_entropy")) {
            assertTrue(run.out().contains(printed), "missing '" + printed + "' in\n" + run.out());
        }
    }

    @Test
    void completeTableShowsParametersForwardFlopsAndDays() {
        CliRun run = CliRun.of("predict", "--preset", "seed-gpt2-xl", "--batch", "1024", "--device", "a100-80gb",
                "--steps", "400000", "--detail");
        assertEquals(0, run.exitCode(), run.err());
        for (String printed : List.of("parameters         2,127,057,600", "4.51333652e12 x B", "6,583.56 days",
                "attention.probabilities", "grad.residual")) {
            assertTrue(run.out().contains(printed), "missing '" + printed + "' in\n" + run.out());
        }
    }

    @Test
    void csvIsTheJsonFlattenedUnderOneHeader() {
        CliRun run = CliRun.of(withFormat(SEED_SCENARIO, "csv"));
        String[] lines = run.out().split("\n");
        assertEquals("accounting,quantity,value", lines[0]);
        List<String> rows = List.of(lines);
        assertTrue(rows.contains("seed,flops.forward,92771293593600"));
        assertTrue(rows.contains("seed,memory_bytes.fixed,32746342400"));
        assertTrue(rows.contains("seed,components.qkv_projection.parameters,7680000"));
        assertTrue(rows.contains("seed,flops.elementwise,"));
        assertTrue(rows.contains("seed,answer.fits,false"), run.out());
        assertTrue(rows.contains("seed,answer.max_batch_from,max_batch"), run.out());
        assertTrue(rows.contains("seed,answer.training_days,"), run.out());
    }

    @Test
    void fixedPartFitsButOneSequenceDoesNotIsBatchZeroAndSaysWhatIsMissing() throws Exception {
        // complete seed-gpt2-xl: fixed 34,038,950,912 bytes, one sequence 12,894,027,776
        JsonNode json = json("predict", "--preset", "seed-gpt2-xl", "--memory-gb", "40", "--format", "json");
        assertEquals(0, json.at("/max_batch/batch_size").asLong());
        CliRun run = CliRun.of("predict", "--preset", "seed-gpt2-xl", "--memory-gb", "40", "--detail");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("one sequence needs 12,894,027,776 bytes, 6,932,978,688 more than the"
                + " 5,961,049,088 left"), run.out());
    }

    @Test
    void gibibytesAreTwoToTheThirtieth() throws Exception {
        JsonNode json = json("predict", "--preset", "seed-gpt2-xl", "--accounting", "seed", "--memory-gib", "80",
                "--format", "json");
        assertEquals(85_899_345_920L, json.at("/max_batch/capacity_bytes").asLong());
        assertEquals("GiB", json.at("/max_batch/capacity_unit").asText());
        assertEquals(3, json.at("/max_batch/batch_size").asLong());
    }

    @Test
    void outputDoesNotDependOnTheDefaultLocale() {
        Locale before = Locale.getDefault();
        String root = CliRun.of(CliRun.concat(SEED_SCENARIO, "--detail")).out();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertEquals(root, CliRun.of(CliRun.concat(SEED_SCENARIO, "--detail")).out());
            assertEquals(CliRun.of(withFormat(SEED_SCENARIO, "csv")).out(), csvUnder(Locale.ROOT));
        } finally {
            Locale.setDefault(before);
        }
    }

    private static String csvUnder(Locale locale) {
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(locale);
            return CliRun.of(withFormat(SEED_SCENARIO, "csv")).out();
        } finally {
            Locale.setDefault(before);
        }
    }

    /**
     * A token budget is the fewest steps of batch x context tokens that cover it: Llama 3's 15T
     * tokens at B = 512, T = 8192 (4,194,304 tokens a step) are 3,576,278.7 steps, so 3,576,279,
     * the same prediction as --steps 3576279, over 8 data-parallel ranks too (a step trains the global
     * batch); both at once, or a budget under one token, is one line.
     */
    @Test
    void aTokenBudgetIsTheStepsThatCoverIt() throws Exception {
        String[] shape = {"predict", "--preset", "llama3-8b", "--batch", "512", "--device", "h100-sxm",
                "--precision-policy", "bf16-mixed", "--format", "json"};
        JsonNode byTokens = json(concat(shape, "--tokens", "15000000000000"));
        JsonNode bySteps = json(concat(shape, "--steps", "3576279"));
        assertEquals(bySteps, byTokens);
        assertEquals(json(concat(shape, "--steps", "1")), json(concat(shape, "--tokens", "4194304")),
                "exactly one step's tokens");
        assertEquals(json(concat(shape, "--steps", "2")), json(concat(shape, "--tokens", "4194305")),
                "one token more takes a second step");
        BadInputTest.assertRefused("give --steps or --tokens, not both (--steps 10, --tokens 100)",
                concat(shape, "--steps", "10", "--tokens", "100"));
        BadInputTest.assertRefused("--tokens must be at least 1, got 0", concat(shape, "--tokens", "0"));
        // without a peak the steps are still answered, in the line that asks for one
        BadInputTest.assertRefused("--tokens 1000 is 1 step of 8,192 tokens; timing them needs a peak to divide"
                + " by: give --device or --peak-tflops", "predict", "--preset", "llama3-8b", "--tokens", "1000");
        BadInputTest.assertRefused("--tokens 100000 is 13 steps of 8,192 tokens;", "predict", "--preset",
                "llama3-8b", "--tokens", "100000");
        // over 8 data-parallel ranks the step still trains the global batch's tokens, not one rank's 64 sequences
        String[] ranks = concat(shape, "--data-parallel", "8");
        assertEquals(json(concat(ranks, "--steps", "3576279")), json(concat(ranks, "--tokens", "15000000000000")));
    }

    /**
     * A padded vocabulary is the same model with ceil(V / M) x M rows in the embedding and the head:
     * GPT-2's 50257 padded to a multiple of 64 is nanoGPT's 50304, the same prediction as --vocab 50304;
     * a V already a multiple stays; train executes the padded model (its counts equal); M under 1 is
     * one line.
     */
    @Test
    void aPaddedVocabularyIsTheModelWithThePaddedRows() throws Exception {
        String[] dims = {"--context", "1024", "--layers", "12", "--d-model", "768", "--heads", "12", "--d-ff", "3072",
                "--batch", "8", "--format", "json"};
        JsonNode padded = json(concat(concat(new String[] {"predict", "--vocab", "50257", "--pad-vocab", "64"}, dims)));
        JsonNode asWritten = json(concat(new String[] {"predict", "--vocab", "50304"}, dims));
        assertEquals(asWritten, padded);
        assertEquals(50304, padded.get("shape").get("vocab_size").asLong());
        assertEquals(json(concat(new String[] {"predict", "--preset", "seed-gpt2", "--pad-vocab", "64",
                "--batch", "8", "--format", "json"})), padded, "a preset pads the same");
        assertEquals(asWritten, json(concat(new String[] {"predict", "--vocab", "50304", "--pad-vocab", "128"},
                dims)), "50304 = 128 x 393 is already a multiple");
        CliRun train = CliRun.of("train", "--vocab", "100", "--context", "8", "--layers", "1", "--d-model", "16",
                "--heads", "2", "--d-ff", "32", "--pad-vocab", "64", "--steps", "2");
        assertEquals(0, train.exitCode(), train.err());
        assertTrue(train.out().contains("V=128 T=8"), train.out());
        assertTrue(train.out().contains("counted = predicted"), train.out());
        BadInputTest.assertRefused("--pad-vocab must be a positive integer, got 0", "predict", "--preset",
                "seed-gpt2", "--pad-vocab", "0");
    }

    private static String[] concat(String[] first, String... more) {
        String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    static JsonNode json(String... args) throws Exception {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode(), run.err());
        return Json.MAPPER.readTree(run.out());
    }

    static List<String> keys(JsonNode node) {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    private static String[] withFormat(String[] args, String format) {
        return CliRun.concat(args, "--format", format);
    }
}
