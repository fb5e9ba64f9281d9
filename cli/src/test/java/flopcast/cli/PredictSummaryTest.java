package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code predict}'s summary: at most 15 lines of at most 100 columns, one fit answer per run (per
 * rank where there are ranks) that the JSON {@code answer} repeats, and a training time only where
 * the run fits.
 */
class PredictSummaryTest {
    /** The example: Llama 3 8B on 8 H100s under zero3, 1 sequence per rank. */
    static final String[] LLAMA_8B_ON_8 = {"predict", "--preset", "llama3-8b", "--precision-policy", "bf16-mixed",
        "--attention", "flash", "--device", "h100-sxm", "--batch", "8", "--context", "8192", "--data-parallel", "8",
        "--sharding", "zero3", "--mfu", "0.4", "--steps", "15259"};
    /** Llama 3 70B on 64 H100s under zero3: not one sequence fits a rank. */
    static final String[] LLAMA_70B_ON_64 = {"predict", "--preset", "llama3-70b", "--precision-policy", "bf16-mixed",
        "--attention", "flash", "--device", "h100-sxm", "--batch", "64", "--context", "8192", "--data-parallel", "64",
        "--sharding", "zero3", "--mfu", "0.4", "--steps", "1000"};
    static final String[] SEED = {"predict", "--preset", "seed-gpt2-xl", "--accounting", "seed", "--batch", "1024",
        "--device", "a100-80gb", "--steps", "400000"};

    static Stream<Arguments> scenarios() {
        return Stream.<Object>of(LLAMA_8B_ON_8, LLAMA_70B_ON_64, SEED,
                CliRun.concat(LLAMA_8B_ON_8, "--overlap-communication"),
                new String[] {"predict", "--preset", "seed-gpt2-xl", "--batch", "1024", "--device", "a100-80gb", "--steps",
                    "400000"},
                new String[] {"predict", "--preset", "seed-gpt2", "--device", "a100-80gb", "--batch", "8", "--steps",
                    "1000"},
                new String[] {"predict", "--preset", "llama3-8b", "--precision-policy", "bf16-mixed", "--attention",
                    "flash", "--recompute", "selective", "--device", "h100-sxm", "--batch", "1"},
                new String[] {"predict", "--preset", "llama3-70b", "--recompute", "full", "--batch", "1024",
                    "--data-parallel", "1024", "--sharding", "zero1", "--device", "a100-40gb", "--steps", "10"},
                new String[] {"predict", "--preset", "seed-gpt2", "--batch", "4", "--data-parallel", "2",
                    "--peak-tflops", "100", "--memory-gib", "8", "--steps", "10"},
                new String[] {"predict", "--vocab", "8192", "--context", "64", "--layers", "2", "--d-model", "384",
                    "--heads", "6", "--kv-heads", "2", "--d-ff", "1024", "--batch", "4", "--tie-embeddings"})
                .map(args -> Arguments.of(args));
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void atMostFifteenLinesOfAHundredColumns(String[] args) {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = List.of(run.out().split("\n"));
        assertTrue(lines.size() <= Summary.MAX_LINES, lines.size() + " lines:\n" + run.out());
        for (String line : lines) {
            assertTrue(line.length() <= Summary.WIDTH, line.length() + " columns: " + line);
        }
        assertEquals(1, lines.stream().filter(l -> l.startsWith("fits ")).count(), run.out());
        assertEquals(1, lines.stream().filter(l -> l.startsWith("time ")).count(), run.out());
        for (String assumed : List.of("policy ", " attention, recompute ", ", context ")) {
            assertTrue(lines.get(2).contains(assumed), lines.get(2));
        }
    }

    /**
     * The Llama 3 8B example: one sequence fits each rank and the summary says so once; the
     * unsharded 128.514 GB model state that does not fit one device is not an answer; one time, the
     * data-parallel step's 0.23 days (not the compute-only 0.21).
     */
    @Test
    void llama3_8bOn8RanksFitsOneSequencePerRankAndGivesOneTime() throws Exception {
        String out = CliRun.of(LLAMA_8B_ON_8).out();
        assertContains(out,
                "\nranks     8 data-parallel ranks, zero3 sharding, 1 sequence each",
                "\nfits      yes, 1 sequence per rank fits 80 GB at its peak: at most 1 (1.259), global 8\n",
                "\npeak      67.796 GB at backward: head (gradients zeroed): weights 6.7%, optimizer 17.8%, gradients\n"
                        + "          6.1%, activations 68.3%, workspace 1.2%; h100-sxm shows at least 68.622 GB\n");
        assertFalse(out.contains("does not fit"), out);
        assertFalse(out.contains("128.514"), out);
        assertTrue(out.contains("67,359,334,656 bytes (67.359 GB) at 1 sequence per rank, all alive at once (the sum)"),
                out);
        assertEquals(1, out.split(" days", -1).length - 1, out);
        assertTrue(out.contains("\ntime      0.23 days (19,728.87 s) = 15,259 data-parallel steps of 1.2929 s (the"
                + " answer):\n"), out);
        assertFalse(out.contains("0.21 days"), out);

        JsonNode json = PredictCommandTest.json(CliRun.concat(LLAMA_8B_ON_8, "--format", "json"));
        JsonNode answer = json.get("answer");
        assertTrue(answer.get("fits").asBoolean());
        assertEquals("timeline.max_batch", answer.get("max_batch_from").asText());
        assertEquals(json.at("/timeline/max_batch/batch_size").asLong(), answer.get("max_batch_size_per_device").asLong());
        assertEquals(1.259, json.at("/timeline/max_batch/fractional").asDouble(), 0.001);
        assertEquals(1.269, json.at("/data_parallel/max_batch_per_rank/fractional").asDouble(), 0.001,
                "the sum's, under the peak's: zero3 holds the root unit and a prefetched block beside it");
        assertEquals(8, answer.get("max_global_batch_size").asLong());
        assertEquals("data_parallel.training", answer.get("training_from").asText());
        assertEquals(json.at("/data_parallel/training/days").asDouble(), answer.get("training_days").asDouble(), 0.0);
        assertEquals(0, json.at("/max_batch/batch_size").asLong(), "the unsharded figure stays, marked not the answer");
    }

    /** Llama 3 70B on 64 ranks: not one sequence fits a rank, so no time, and one line says why. */
    @Test
    void llama3_70bOn64RanksFitsNothingAndGivesNoTime() throws Exception {
        String out = CliRun.of(LLAMA_70B_ON_64).out();
        assertContains(out,
                "\nfits      no, 1 sequence per rank needs 250.323 GB at its peak; 80 GB holds 0 (0.223)\n",
                "\ntime      none: 1 sequence per rank does not fit 80 GB, so there is no run to"
                        + " time\n");
        assertFalse(out.contains(" days"), out);
        JsonNode answer = PredictCommandTest.json(CliRun.concat(LLAMA_70B_ON_64, "--format", "json")).get("answer");
        assertFalse(answer.get("fits").asBoolean());
        assertTrue(answer.get("training_days").isNull());
        assertTrue(answer.get("training_from").isNull());
        assertEquals("1 sequence per rank does not fit 80 GB, so there is no run to time",
                answer.get("no_training_reason").asText());
    }

    /**
     * The fractional batch is rounded down: 4,900,614,143 bytes hold (4,900,614,143 - 1,997,066,240) /
     * 1,451,773,952 = 1.9999999993 sequences of GPT-2 small, shown as 1.999, never 2.000 beside "holds 1".
     */
    @Test
    void aFractionalBatchIsRoundedDown() {
        assertContains(CliRun.of("predict", "--preset", "gpt2", "--batch", "2", "--memory-gb", "4.900614143").out(),
                " holds 1 (1.999);");
    }

    /**
     * The seed's scenario does not fit (at most 2 of 1024), and runs as 2 sequences a pass and 512
     * passes a step: its notation stays, its time moves to the detail.
     */
    @Test
    void seedScenarioSaysItDoesNotFitInTheSeedsNotation() {
        String out = CliRun.of(SEED).out();
        assertTrue(out.startsWith("flopcast predict: seed accounting (the seed's tables as written)\n"), out);
        assertContains(out,
                "\nfits      no, batch 1024 needs 16,356.378 GB; 80 GB (80,000,000,000 bytes) holds 2"
                        + " (2.964);\n          --micro-batch 2 (--grad-accum 512) fits\n",
                "= 3.27463424e10 + 1.59410463e10 x B bytes (the seed counts no workspace)",
                "2.78313881e14 a step (278,313,880,780,800)",
                "\ntime      none: batch 1024 does not fit 80 GB");
    }

    @Test
    void withoutCapacityTheFitIsNotCheckedAndTheTimeIsGiven() {
        String out = CliRun.of("predict", "--preset", "seed-gpt2", "--peak-tflops", "100", "--steps", "10").out();
        assertContains(out,
                "\nfits      not checked: give --device, --memory-gb or --memory-gib\n",
                "\ntime      0.00 days (",
                "(fp32, given peak)");
    }

    @Test
    void ranksWithoutACatalogDeviceHaveNoLinkAndSoNoTime() {
        String out = CliRun.of("predict", "--preset", "seed-gpt2", "--batch", "4", "--data-parallel", "2",
                "--peak-tflops", "100", "--memory-gib", "8", "--steps", "10").out();
        assertTrue(out.contains("\ntime      none: the data-parallel step needs a catalog --device for its link"
                + " bandwidth\n"), out);
    }

    /** --detail prints the summary without its pointer line, then the tables. */
    @Test
    void detailFollowsTheSummary() {
        String summary = CliRun.of(LLAMA_8B_ON_8).out();
        String detail = CliRun.of(CliRun.concat(LLAMA_8B_ON_8, "--detail")).out();
        String withoutPointer = summary.replaceAll("detail    --detail[^\n]*\n(          [^\n]*\n)*", "");
        assertTrue(detail.startsWith(withoutPointer + "\nshape: V=128256 T=8192"), detail);
        assertContains(detail, "\ncomponent                count", "\nkept tensor / workspace",
                "\ndata parallel      8 ranks, sharding zero3");
    }

    /** Each of {@code pieces} stands in {@code out}; a failure names the piece and prints the whole output. */
    private static void assertContains(String out, String... pieces) {
        for (String piece : pieces) {
            assertTrue(out.contains(piece), () -> "missing " + piece + " in\n" + out);
        }
    }
}
