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
        assertTrue(none.get("timeline").get("peak").get("total").asLong() <= 80_000_000_000L);
        assertTrue(none.get("memory_bytes").get("total").asLong() > 80_000_000_000L, "the sum does not fit");
        String[] big = {"predict", "--preset", "seed-gpt2-xl", "--batch", "1024", "--device", "a100-80gb",
            "--gradients", "set-to-none", "--format", "json"};
        JsonNode plan = PredictCommandTest.json(big).get("answer").get("micro_batch_plan");
        assertEquals(2, plan.get("micro_batch_size").asLong());
        assertEquals(512, plan.get("accumulation_steps").asLong());
        assertTrue(CliRun.of("predict", "--preset", "seed-gpt2-xl", "--batch", "4", "--device", "a100-80gb",
                "--gradients", "set-to-none").out()
                .contains("fits      yes, batch 4 fits 80 GB (80,000,000,000 bytes) by the peak (gradients set to none)"));
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
