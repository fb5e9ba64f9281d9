package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import flopcast.analytic.Device;
import flopcast.analytic.Precision;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;

/**
 * {@code devices} prints analytic's {@link Device} catalog whole in every format: one row per
 * device in catalog order, and every column of every row equal to the catalog's figure (exactly
 * in CSV and JSON, to the table's 6 significant digits in TFLOP/s and GB). A column printed in
 * another's place, a unit slip or a dropped row fails.
 */
class DevicesCommandTest {
    /** The table rounds to 6 significant digits: half a unit in the 6th is this much of the value. */
    private static final double TABLE_ROUNDING = 5e-6;

    /**
     * One column: its CSV and JSON name, its table heading, the unit the table divides by (0 for
     * text), and the catalog's value.
     */
    private record Column(String name, String heading, double tableUnit, Function<Device, Object> value) {
    }

    private static final List<Column> COLUMNS = List.of(
            new Column("device", "device", 0, Device::cliName),
            new Column("description", "description", 0, Device::description),
            new Column("fp32_flops_per_second", "fp32 TFLOP/s", 1e12, d -> d.peakFlopsPerSecond(Precision.FP32)),
            new Column("tf32_flops_per_second", "tf32 TFLOP/s", 1e12, d -> d.peakFlopsPerSecond(Precision.TF32)),
            new Column("bf16_flops_per_second", "bf16 TFLOP/s", 1e12, d -> d.peakFlopsPerSecond(Precision.BF16)),
            new Column("memory_bytes", "memory GB", 1e9, d -> d.memory().bytes()),
            new Column("bandwidth_bytes_per_second", "bandwidth GB/s", 1e9, Device::bandwidthBytesPerSecond),
            new Column("nvlink_bytes_per_second", "NVLink GB/s", 1e9, Device::nvlinkBytesPerSecond),
            new Column("network_bytes_per_second", "network GB/s", 1e9, Device::networkBytesPerSecond),
            new Column("source", "source", 0, Device::source));

    @Test
    void theCatalogIsTheFourDevicesDesignNames() {
        assertEquals(List.of("a100-40gb", "a100-80gb", "h100-sxm", "h200"),
                List.of(Device.values()).stream().map(Device::cliName).toList());
    }

    @Test
    void csvHasTheSchemasHeaderAndEveryCatalogFigureExactly() throws IOException {
        CliRun run = CliRun.of("devices", "--format", "csv");
        assertEquals(0, run.exitCode(), run.err());
        try (CSVParser parser = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new StringReader(run.out()))) {
            assertEquals(COLUMNS.stream().map(Column::name).toList(), parser.getHeaderNames());
            assertEquals(DevicesCommand.CSV_SCHEMA.stream().map(c -> c.name()).toList(), parser.getHeaderNames());
            List<CSVRecord> rows = parser.getRecords();
            assertEquals(Device.values().length, rows.size());
            for (Device device : Device.values()) {
                CSVRecord row = rows.get(device.ordinal());
                for (Column column : COLUMNS) {
                    Object expected = column.value().apply(device);
                    String cell = row.get(column.name());
                    String where = device.cliName() + " " + column.name();
                    if (expected instanceof Number number) {
                        assertEquals(number.doubleValue(), Double.parseDouble(cell), 0.0, where);
                    } else {
                        assertEquals(expected, cell, where);
                    }
                }
            }
        }
    }

    @Test
    void jsonHasEveryColumnOfEveryDeviceExactlyAndNoOtherKey() throws Exception {
        JsonNode devices = PredictCommandTest.json("devices", "--format", "json").get("devices");
        assertEquals(Device.values().length, devices.size());
        for (Device device : Device.values()) {
            JsonNode item = devices.get(device.ordinal());
            List<String> keys = new ArrayList<>();
            item.fieldNames().forEachRemaining(keys::add);
            List<String> keysExpected = new ArrayList<>(COLUMNS.stream().map(Column::name).toList());
            keysExpected.add("cuda_name_pattern"); // JSON only: the probe matches torch.cuda's device name with it
            assertEquals(keysExpected, keys, device.cliName());
            assertEquals(device.cudaNamePattern(), item.get("cuda_name_pattern").asText(), device.cliName());
            for (Column column : COLUMNS) {
                Object expected = column.value().apply(device);
                JsonNode value = item.get(column.name());
                String where = device.cliName() + " " + column.name();
                if (expected instanceof Long bytes) {
                    assertEquals(bytes.longValue(), value.asLong(), where);
                    assertEquals(true, value.isIntegralNumber(), where + " is an integer");
                } else if (expected instanceof Double number) {
                    assertEquals(number, value.asDouble(), 0.0, where);
                } else {
                    assertEquals(expected, value.asText(), where);
                }
            }
        }
    }

    @Test
    void tableShowsEveryFigureInTeraflopsAndGigabytes() {
        CliRun run = CliRun.of("devices");
        assertEquals(0, run.exitCode(), run.err());
        Iterator<String> lines = run.out().lines().iterator();
        assertEquals(COLUMNS.stream().map(Column::heading).toList(), cells(lines.next()));
        for (Device device : Device.values()) {
            List<String> cells = cells(lines.next());
            assertEquals(COLUMNS.size(), cells.size(), device.cliName() + ": " + cells);
            for (int i = 0; i < COLUMNS.size(); i++) {
                Column column = COLUMNS.get(i);
                Object expected = column.value().apply(device);
                String where = device.cliName() + " " + column.heading();
                if (expected instanceof Number number) {
                    double shown = number.doubleValue() / column.tableUnit();
                    assertEquals(shown, Double.parseDouble(cells.get(i)), Math.abs(shown) * TABLE_ROUNDING, where);
                } else {
                    assertEquals(expected, cells.get(i), where);
                }
            }
        }
        assertEquals(false, lines.hasNext(), "one line per device");
    }

    /** A table line's cells: columns are at least two spaces apart, and no cell holds two spaces. */
    private static List<String> cells(String line) {
        return List.of(line.strip().split(" {2,}"));
    }

    /** The probe matches its GPU by this key: the row's chip name, and no PCIe card. */
    @Test
    void jsonCarriesEachRowsCudaNamePattern() throws Exception {
        JsonNode h100 = PredictCommandTest.json("devices", "--format", "json").get("devices").get(2);
        assertEquals("h100-sxm", h100.get("device").asText());
        assertEquals("^(?!.*PCIe).*H100", h100.get("cuda_name_pattern").asText());
    }
}
