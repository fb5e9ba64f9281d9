package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class DevicesCommandTest {
    @Test
    void csvHeaderComesFromTheSchemaAndEveryRowHasASource() {
        CliRun run = CliRun.of("devices", "--format", "csv");
        String[] lines = run.out().split("\n");
        assertEquals("device,description,fp32_flops_per_second,tf32_flops_per_second,bf16_flops_per_second,"
                + "memory_bytes,bandwidth_bytes_per_second,nvlink_bytes_per_second,network_bytes_per_second,source",
                lines[0]);
        assertEquals(5, lines.length);
        assertTrue(lines[2].startsWith("a100-80gb,NVIDIA A100 SXM4 80GB,1.95E13,1.56E14,3.12E14,80000000000,"),
                lines[2]);
    }

    @Test
    void jsonListsTheFourDevices() throws Exception {
        JsonNode json = PredictCommandTest.json("devices", "--format", "json");
        assertEquals(4, json.get("devices").size());
        assertEquals("h200", json.get("devices").get(3).get("device").asText());
    }

    @Test
    void tableShowsPeaksInTeraflops() {
        CliRun run = CliRun.of("devices");
        assertTrue(run.out().contains("19.5"), run.out());
        assertTrue(run.out().contains("494.5"), run.out());
    }

    /** The probe matches its GPU by this key: the row's chip name, and no PCIe card. */
    @Test
    void jsonCarriesEachRowsCudaNamePattern() throws Exception {
        JsonNode h100 = PredictCommandTest.json("devices", "--format", "json").get("devices").get(2);
        assertEquals("h100-sxm", h100.get("device").asText());
        assertEquals("^(?!.*PCIe).*H100", h100.get("cuda_name_pattern").asText());
    }
}
