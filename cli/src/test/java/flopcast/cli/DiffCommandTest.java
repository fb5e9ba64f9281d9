package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiffCommandTest {
    private static final String[] XL = {"diff", "--preset", "seed-gpt2-xl", "--batch", "1024", "--device", "a100-80gb",
        "--steps", "400000"};

    @Test
    void jsonKeysAndTheMainErrorFirst() throws Exception {
        JsonNode json = PredictCommandTest.json(CliRun.concat(XL, "--format", "json"));
        assertEquals(List.of("shape", "capacity_bytes", "steps", "peak_flops_per_second", "mfu", "terms"),
                PredictCommandTest.keys(json));
        JsonNode first = json.get("terms").get(0);
        assertEquals(List.of("term", "unit", "seed", "complete", "ratio", "note"), PredictCommandTest.keys(first));
        assertEquals("flops.forward", first.get("term").asText());
        assertEquals("92771293593600", first.get("seed").asText());
        assertEquals("4621656601395200", first.get("complete").asText());
        assertTrue(first.get("note").asText().contains("the other 47 blocks"));
    }

    @Test
    void csvHeaderAndAnEmptySeedWhereTheSeedCountsNothing() {
        CliRun run = CliRun.of(CliRun.concat(XL, "--format", "csv"));
        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().split("\n");
        assertEquals("term,unit,seed,complete,ratio,note", lines[0]);
        assertTrue(lines[1].startsWith("flops.forward,flops,92771293593600,4621656601395200,49.8"), lines[1]);
        assertTrue(List.of(lines).stream().anyMatch(l -> l.startsWith("flops.elementwise,flops,,")));
    }

    /** The summary: the main error, then what it is worth in FLOPs, memory, the largest batch and days. */
    @Test
    void summaryLeadsWithTheMainErrorAndWhatItIsWorth() {
        CliRun run = CliRun.of(XL);
        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = List.of(run.out().split("\n"));
        assertTrue(lines.size() <= Summary.MAX_LINES, run.out());
        assertTrue(lines.stream().allMatch(l -> l.length() <= Summary.WIDTH), run.out());
        assertEquals("flopcast diff: the seed's accounting against the complete one, 33 terms differ", lines.get(0));
        assertTrue(lines.get(2).startsWith("error     the seed's 2*B*T*d*(4d + 2T + 3*d_ff) is one block's matmuls"),
                run.out());
        assertTrue(lines.contains("forward   FLOPs: seed 9.27712936e13, complete 4.6216566e15 (49.82x)"), run.out());
        assertTrue(lines.contains("batch     largest on 80 GB: seed 2 (2.964), complete 3 (3.565)"), run.out());
        assertTrue(lines.contains("time      days for 400,000 steps at 50% MFU: seed 132.15, complete 6,583.56"
                + " (49.82x)"), run.out());
        assertTrue(run.out().contains("--detail lists all 33 terms"), run.out());
        assertTrue(!run.out().contains("components.qkv_projection"), "the terms are the detail's");
    }

    @Test
    void detailListsEveryTermAfterTheSummary() {
        CliRun run = CliRun.of(CliRun.concat(XL, "--detail"));
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith(CliRun.of(XL).out().replaceAll("detail    --detail[^\n]*\n", "") + "\n"),
                run.out());
        assertTrue(run.out().contains("The seed's main error: the seed's 2*B*T*d*(4d + 2T + 3*d_ff) is one block's"
                + " matmuls: it leaves out the other 47 blocks"), run.out());
        assertTrue(run.out().contains("49.82x the seed's"), run.out());
        assertTrue(run.out().contains("components.qkv_projection.forward_flops"), run.out());
        assertTrue(run.out().contains("\n33 terms differ; terms not listed agree.\n"), run.out());
    }
}
