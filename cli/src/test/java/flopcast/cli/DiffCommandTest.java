package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiffCommandTest {
    private static final String[] XL = {"diff", "--preset", "gpt2-xl", "--batch", "1024", "--device", "a100-80gb",
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

    @Test
    void tableStatesTheMainErrorInWords() {
        CliRun run = CliRun.of(XL);
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("The seed's main error: the seed's 2*B*T*d*(4d + 2T + 3*d_ff) is one block's"
                + " matmuls: it leaves out the other 47 blocks"), run.out());
        assertTrue(run.out().contains("49.82x the seed's"), run.out());
        assertTrue(run.out().contains("132.15"), run.out());
        assertTrue(run.out().contains("6,583.56"), run.out());
    }
}
