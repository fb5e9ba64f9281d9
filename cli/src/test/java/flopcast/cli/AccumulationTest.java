package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/**
 * {@code --micro-batch} and {@code --grad-accum}: the global batch as b sequences a pass x g passes a
 * step x N ranks; memory at b, a step's FLOPs and time over every pass, and, with a capacity, the
 * largest micro-batch that fits and divides the batch.
 */
class AccumulationTest {
    /** The seed's scenario: batch 1024 on one A100 80GB, which holds 3 sequences of the complete model. */
    private static final String[] XL = {"predict", "--preset", "seed-gpt2-xl", "--batch", "1024", "--device",
        "a100-80gb", "--steps", "400000", "--format", "json"};

    /**
     * 3 sequences fit but do not divide 1024: the plan is 2 sequences a pass and 512 passes. Given as
     * --micro-batch 2, as --grad-accum 512 or as both, it is one run: memory at 2 sequences, fitting, and
     * 400K steps of 512 passes, whose model FLOPs are batch 1024's exactly (a pass's are linear in B).
     */
    @Test
    void theSeedsBatchRunsAsTwoSequencesA512PassesAStep() throws Exception {
        JsonNode asked = PredictCommandTest.json(XL);
        assertEquals(false, asked.get("answer").get("fits").asBoolean());
        assertEquals(3, asked.get("answer").get("max_batch_size_per_device").asLong());
        assertEquals(2, asked.get("answer").get("micro_batch_plan").get("micro_batch_size").asLong());
        assertEquals(512, asked.get("answer").get("micro_batch_plan").get("accumulation_steps").asLong());
        assertTrue(CliRun.of(XL[0], XL[1], XL[2], XL[3], XL[4], XL[5], XL[6]).out()
                .contains("--micro-batch 2 (--grad-accum 512) fits"));

        JsonNode micro = PredictCommandTest.json(CliRun.concat(XL, "--micro-batch", "2"));
        assertEquals(micro, PredictCommandTest.json(CliRun.concat(XL, "--grad-accum", "512")));
        assertEquals(micro, PredictCommandTest.json(CliRun.concat(XL, "--micro-batch", "2", "--grad-accum", "512")));
        JsonNode answer = micro.get("answer");
        assertEquals(1024, answer.get("global_batch_size").asLong());
        assertEquals(2, answer.get("batch_size_per_device").asLong());
        assertEquals(512, answer.get("accumulation_steps").asLong());
        assertTrue(answer.get("fits").asBoolean());
        assertEquals(2, micro.get("shape").get("batch_size").asLong(), "memory is counted at the micro-batch");
        BigInteger pass = micro.get("flops").get("step").bigIntegerValue();
        BigInteger step1024 = asked.get("flops").get("step").bigIntegerValue();
        assertEquals(step1024, pass.multiply(BigInteger.valueOf(512)));
        assertEquals(step1024.multiply(BigInteger.valueOf(400_000)),
                micro.get("training").get("total_flops").bigIntegerValue());
        assertEquals(400_000, micro.get("training").get("steps").asLong());
    }

    /**
     * Over 8 ranks under zero1 the per-rank batch is the global batch / 8, split into passes: each rank
     * holds its state at the micro-batch, and the step's compute is the 16 passes'.
     */
    @Test
    void ranksSplitTheBatchBeforeItsPasses() throws Exception {
        String[] ranks = {"predict", "--preset", "llama3-8b", "--batch", "1024", "--context", "4096",
            "--precision-policy", "bf16-mixed", "--recompute", "full", "--data-parallel", "8", "--sharding", "zero1",
            "--device", "h100-sxm", "--steps", "1000", "--format", "json"};
        JsonNode json = PredictCommandTest.json(CliRun.concat(ranks, "--grad-accum", "16"));
        assertEquals(128, json.get("data_parallel").get("per_rank_batch_size").asLong());
        assertEquals(8, json.get("data_parallel").get("micro_batch_size").asLong());
        assertEquals(1024, json.get("answer").get("global_batch_size").asLong());
        JsonNode oneRank = PredictCommandTest.json(CliRun.concat(ranks, "--micro-batch", "8"));
        assertEquals(json, oneRank);
        assertEquals(json.get("flops").get("step").bigIntegerValue().multiply(BigInteger.valueOf(16)),
                json.get("answer").get("model_flops_per_step").bigIntegerValue());
        String detail = CliRun.of(CliRun.concat(java.util.Arrays.copyOf(ranks, ranks.length - 2), "--grad-accum", "16",
                "--detail")).out();
        assertTrue(detail.contains("global batch 1024 = 8 x 128 per rank (8 a pass x 16 passes)"), detail);
        assertTrue(detail.contains(" bytes at the micro-batch 8: "), detail);
        assertTrue(detail.contains("compute alone      1,000 steps x 16 passes x "), detail);
        double compute = json.get("data_parallel").get("training").get("compute_seconds_per_step").asDouble();
        double pass = json.get("flops").get("step").asDouble() / (989e12 * 0.5);
        assertEquals(16 * pass, compute, 1e-9 * compute, "every pass's compute, once each");
    }

    @Test
    void badAccumulationIsOneLine() {
        String[] batch = {"predict", "--preset", "llama3-8b", "--batch", "64"};
        BadInputTest.assertRefused("--micro-batch 3 does not divide --batch 64 (allowed: a divisor of it, 1, 2, 4, 8,"
                + " 16, 32, 64)", CliRun.concat(batch, "--micro-batch", "3"));
        BadInputTest.assertRefused("--grad-accum must be a positive integer, got 0", CliRun.concat(batch,
                "--grad-accum", "0"));
        BadInputTest.assertRefused("--micro-batch 4 x --grad-accum 4 is not --batch 64", CliRun.concat(batch,
                "--micro-batch", "4", "--grad-accum", "4"));
        BadInputTest.assertRefused("--grad-accum 5 does not divide the per-rank batch (--batch 64 over 2 ranks) 32",
                CliRun.concat(batch, "--grad-accum", "5", "--data-parallel", "2"));
        BadInputTest.assertRefused("--micro-batch 9223372036854775807 x --grad-accum 2 is not --batch 64",
                CliRun.concat(batch, "--micro-batch", "9223372036854775807", "--grad-accum", "2"));
    }

    /** Any two of the three: --micro-batch 2 and --grad-accum 512 without --batch are the seed's batch 1024; over 8 ranks, 8,192. */
    @Test
    void theMicroBatchAndTheStepsGiveTheBatch() throws Exception {
        String[] noBatch = {"predict", "--preset", "seed-gpt2-xl", "--device", "a100-80gb", "--steps", "400000",
            "--format", "json", "--micro-batch", "2", "--grad-accum", "512"};
        assertEquals(PredictCommandTest.json(CliRun.concat(XL, "--micro-batch", "2")), PredictCommandTest.json(noBatch));
        JsonNode ranks = PredictCommandTest.json(CliRun.concat(noBatch, "--data-parallel", "8"));
        assertEquals(8192, ranks.get("answer").get("global_batch_size").asLong());
        assertEquals(2, ranks.get("answer").get("batch_size_per_device").asLong());
        CliRun huge = CliRun.of("predict", "--preset", "seed-gpt2", "--micro-batch", "4611686018427387904",
                "--grad-accum", "4");
        assertEquals(2, huge.exitCode());
        assertTrue(huge.err().contains("more sequences than a step can count"), huge.err());
    }

    /**
     * FSDP gathers the weights and reduce-scatters the gradients every pass; DDP all-reduces once a step
     * (no_sync until the last pass): over 4 passes a zero3 rank sends 4 times a pass's bytes, a DDP rank one
     * pass's, and the step time counts what each sends.
     */
    @Test
    void fsdpCommunicatesEveryPassAndDdpOnce() throws Exception {
        String[] run = {"predict", "--preset", "seed-gpt2", "--batch", "16", "--data-parallel", "2", "--device",
            "a100-80gb", "--steps", "10", "--format", "json"};
        for (String sharding : new String[] {"zero3", "none"}) {
            JsonNode one = PredictCommandTest.json(CliRun.concat(run, "--sharding", sharding, "--grad-accum", "1"));
            JsonNode four = PredictCommandTest.json(CliRun.concat(run, "--sharding", sharding, "--grad-accum", "4"));
            long onePass = one.at("/data_parallel/max_sent_bytes").asLong();
            long fourPasses = four.at("/data_parallel/max_sent_bytes").asLong();
            assertTrue(onePass > 0, sharding);
            assertEquals(sharding.equals("zero3") ? 4 * onePass : onePass, fourPasses, sharding);
            double link = four.at("/data_parallel/link_bytes_per_second").asDouble();
            assertEquals(fourPasses / link, four.at("/data_parallel/training/communication_seconds_per_step")
                    .asDouble(), 1e-12, sharding);
        }
    }
}
