package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * {@code predict}'s peak over the step ({@code StepTimeline}): the summary's line, the JSON
 * {@code timeline}, {@code --gradients}, and the sum beside it.
 */
class TimelineTest {
    /** The seed's GPT-2 XL shape at 2 sequences a pass, 512 passes a step. */
    private static final String[] XL = {"predict", "--preset", "seed-gpt2-xl", "--batch", "1024", "--micro-batch", "2",
        "--format", "json"};

    @Test
    void zeroedGradientsPeakAtTheSumAndSetToNoneBelowItUntilAccumulationHoldsThem() throws Exception {
        JsonNode zeroed = PredictCommandTest.json(XL);
        long sum = zeroed.get("memory_bytes").get("total").asLong();
        JsonNode timeline = zeroed.get("timeline");
        assertEquals("zeroed", timeline.get("gradients").asText());
        assertEquals(512, timeline.get("micro_batches").asLong());
        assertEquals(sum, timeline.get("sum_bytes").asLong());
        assertEquals(sum, timeline.get("peak").get("total").asLong());
        assertEquals("micro-batch 1: forward: head", timeline.get("peak").get("phase").asText());

        // accumulation keeps every gradient through the second micro-batch: the sum again, there
        JsonNode none = PredictCommandTest.json(CliRun.concat(XL, "--gradients", "set-to-none")).get("timeline");
        assertEquals(sum, none.get("peak").get("total").asLong());
        assertEquals("micro-batches 2 to 512: forward: head", none.get("peak").get("phase").asText());

        // one pass a step: the gradients are written while the activations are given back, so the peak is lower
        String[] one = {"predict", "--preset", "seed-gpt2-xl", "--batch", "2", "--gradients", "set-to-none",
            "--format", "json"};
        JsonNode single = PredictCommandTest.json(one).get("timeline");
        long peak = single.get("peak").get("total").asLong();
        assertTrue(peak < sum, peak + " under " + sum);
        assertEquals(1, single.get("peak").get("micro_batch").asLong());
        long phases = single.get("phases").size();
        assertEquals(2 * 48 + 5, phases, "embedding, 48 blocks, head, each forward and backward, and the optimizer");
    }

    @Test
    void theSummaryNamesThePeaksPhaseBesideTheSum() {
        CliRun run = CliRun.of("predict", "--preset", "seed-gpt2-xl", "--batch", "2", "--gradients", "set-to-none");
        String peakLine = run.out().lines().filter(line -> line.startsWith("peak")).findFirst().orElseThrow();
        assertTrue(peakLine.contains("at backward: "), peakLine);
        String table = CliRun.of("predict", "--preset", "seed-gpt2-xl", "--batch", "2", "--timeline").out();
        assertTrue(table.contains("step timeline, gradients zeroed"), table);
        assertTrue(table.lines().anyMatch(line -> line.startsWith("forward: head") && line.endsWith("peak")), table);
        // the seed's accounting is a sum by its own definition: no timeline
        assertFalse(CliRun.of("predict", "--preset", "seed-gpt2-xl", "--batch", "2", "--accounting", "seed").out()
                .contains("\npeak"));
    }

    /**
     * Set to none, one pass a step fits by its peak: the seed's GPT-2 XL holds 4 sequences on 80 GB where
     * the sum holds 3; accumulating, every gradient is alive beside a pass, so the plan keeps the sum's.
     */
    @Test
    void setToNoneAPassFitsByItsPeak() throws Exception {
        String[] four = {"predict", "--preset", "seed-gpt2-xl", "--batch", "4", "--device", "a100-80gb", "--format",
            "json"};
        JsonNode zeroed = PredictCommandTest.json(four);
        assertFalse(zeroed.get("answer").get("fits").asBoolean());
        assertEquals(3, zeroed.get("max_batch").get("batch_size").asLong());
        JsonNode none = PredictCommandTest.json(CliRun.concat(four, "--gradients", "set-to-none"));
        assertTrue(none.get("answer").get("fits").asBoolean());
        assertEquals(4, none.get("max_batch").get("batch_size").asLong());
        assertEquals(4, none.get("timeline").get("max_batch").get("batch_size").asLong());
        assertEquals("timeline.max_batch", none.get("answer").get("max_batch_from").asText());
        assertTrue(none.get("timeline").get("peak").get("total").asLong() <= 80_000_000_000L);
        assertTrue(none.get("memory_bytes").get("total").asLong() > 80_000_000_000L, "the sum does not fit");
        String[] big = {"predict", "--preset", "seed-gpt2-xl", "--batch", "1024", "--device", "a100-80gb",
            "--gradients", "set-to-none", "--format", "json"};
        JsonNode plan = PredictCommandTest.json(big).get("answer").get("micro_batch_plan");
        assertEquals(2, plan.get("micro_batch_size").asLong());
        assertEquals(512, plan.get("accumulation_steps").asLong());
        assertTrue(CliRun.of("predict", "--preset", "seed-gpt2-xl", "--batch", "4", "--device", "a100-80gb",
                "--gradients", "set-to-none").out()
                .contains("fits      yes, batch 4 fits 80 GB at its peak: at most 4"));
    }

    /** Under the seed's accounting, a sum by definition, every timeline choice given is named and refused. */
    @Test
    void theSeedTakesNoTimelineChoice() {
        CliRun run = CliRun.of("predict", "--preset", "seed-gpt2", "--accounting", "seed", "--batch", "2", "--gradients",
                "set-to-none", "--framework", "pytorch");
        assertEquals(2, run.exitCode());
        assertEquals("flopcast: --framework pytorch, --gradients set-to-none with --accounting seed: the seed counts one"
                + " sum, not a step over time (allowed: --accounting complete)", run.err().strip());
        assertEquals("", run.out());
    }

    /** Each framework choice refused in one line naming the option and what is allowed, nothing printed. */
    @Test
    void anUnknownFrameworkOptimizerOrLossIsOneLineAndExitTwo() {
        String[][] cases = {{"--framework", "jax", "--framework unknown framework 'jax': allowed are flopcast, pytorch, megatron,"
                + " torchtitan"},
            {"--optimizer", "lion", "--optimizer unknown optimizer implementation 'lion': allowed are fused, foreach,"
                + " for-loop"},
            {"--loss-precision", "fp8", "--loss-precision unknown loss precision 'fp8': allowed are fp32, compute"}};
        for (String[] given : cases) {
            CliRun run = CliRun.of("predict", "--preset", "seed-gpt2", "--batch", "2", given[0], given[1]);
            assertEquals(2, run.exitCode(), run.err());
            assertEquals("flopcast: " + given[2], run.err().strip());
            assertEquals("", run.out());
        }
        String[][] shardings = {{"megatron", "zero3", "--framework megatron with --sharding zero3: Megatron-Core's"
            + " distributed optimizer shards the optimizer state and keeps the weights and gradients whole (allowed:"
            + " --sharding none or zero1)"}, {"torchtitan", "zero1", "--framework torchtitan with --sharding zero1:"
            + " torchtitan replicates or shards with FSDP2 (allowed: --sharding none, zero2 or zero3)"}};
        for (String[] given : shardings) {
            CliRun run = CliRun.of("predict", "--preset", "seed-gpt2", "--batch", "2", "--data-parallel", "2",
                    "--sharding", given[1], "--framework", given[0]);
            assertEquals(2, run.exitCode(), run.err());
            assertEquals("flopcast: " + given[2], run.err().strip());
            assertEquals("", run.out());
        }
    }

    /**
     * The pytorch framework's peak at GPT-2 small over 2 DDP ranks: above flopcast's by the bucket copy and
     * the loss's float32 rows, and the answer's batch by that peak.
     */
    @Test
    void aFrameworkMovesThePeakAndTheAnswer() throws Exception {
        String[] dp = {"predict", "--preset", "seed-gpt2", "--batch", "16", "--data-parallel", "2", "--device",
            "a100-40gb", "--format", "json"};
        JsonNode flopcast = PredictCommandTest.json(dp);
        JsonNode torch = PredictCommandTest.json(CliRun.concat(dp, "--framework", "pytorch"));
        assertEquals("pytorch", torch.at("/timeline/framework").asText());
        assertEquals("set-to-none", torch.at("/timeline/gradients").asText());
        assertEquals("foreach", torch.at("/timeline/optimizer").asText());
        long parameters = flopcast.get("parameters").asLong();
        // the optimizer's phase: every gradient twice (the buckets' copy) and foreach's sqrt(v) of every parameter
        JsonNode optimizer = torch.at("/timeline/phases").get(torch.at("/timeline/phases").size() - 1);
        assertEquals(2 * 4 * parameters, optimizer.get("gradients").asLong());
        assertEquals(4 * parameters, optimizer.get("temporaries").asLong());
        assertTrue(torch.at("/timeline/peak/total").asLong() > flopcast.at("/timeline/peak/total").asLong());
        assertEquals("timeline.max_batch", torch.at("/answer/max_batch_from").asText());
        assertEquals(torch.at("/timeline/max_batch/batch_size").asLong(),
                torch.at("/answer/max_batch_size_per_device").asLong());
        assertTrue(torch.at("/timeline/max_batch/fractional").asDouble()
                < flopcast.at("/timeline/max_batch/fractional").asDouble());
        // beyond the tensors on an A100 among 2 ranks: the context, two of each workspace, NCCL's ring, no NVLS
        long peak = torch.at("/timeline/peak/total").asLong();
        assertEquals(peak + 2 * 8_519_680 + 2 * 1_048_576, torch.at("/timeline/beyond_tensors/peak_allocated_bytes")
                .asLong());
        assertEquals(peak + 287_047_680 + 2 * 8_519_680 + 2 * 1_048_576 + 16 * 12_582_912,
                torch.at("/timeline/beyond_tensors/device_usage_at_least_bytes").asLong());
        assertFalse(torch.at("/timeline/beyond_tensors/checked").asBoolean());
    }

    @Test
    void anUnknownLifetimeIsOneLineAndExitTwo() {
        CliRun run = CliRun.of("predict", "--preset", "seed-gpt2-xl", "--batch", "2", "--gradients", "lazy");
        assertEquals(2, run.exitCode());
        assertEquals("flopcast: --gradients 'lazy' is not a gradient lifetime (allowed: zeroed, set-to-none)",
                run.err().strip());
        assertEquals("", run.out());
        CliRun seed = CliRun.of("predict", "--preset", "seed-gpt2-xl", "--batch", "2", "--accounting", "seed",
                "--timeline");
        assertEquals(2, seed.exitCode());
        assertTrue(seed.err().contains("--timeline with --accounting seed"), seed.err());
    }
}
