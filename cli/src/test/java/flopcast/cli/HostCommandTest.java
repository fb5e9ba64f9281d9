package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostCommandTest {
    @Test
    void jsonHasEveryFieldAndItsSource() throws Exception {
        JsonNode json = PredictCommandTest.json("host", "--format", "json");
        assertEquals(List.of("cpu_name", "physical_cores", "logical_cores", "max_frequency_hz", "memory_bytes", "os",
                "jvm", "instruction_sets", "sources"), PredictCommandTest.keys(json));
        assertEquals(8, json.get("sources").size());
        assertFalse(json.get("jvm").asText().isBlank());
    }

    @Test
    void csvHeader() {
        assertEquals("field,value,source", CliRun.of("host", "--format", "csv").out().split("\n")[0]);
    }
}
