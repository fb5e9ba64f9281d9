package flopcast.cli;

import flopcast.calibration.csv.CsvColumn;
import flopcast.calibration.csv.CsvText;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.calibration.host.HostInfo;
import flopcast.calibration.host.HostProbe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code host}: what this machine is, as OSHI reads it, each value with its source. */
@Command(name = "host", mixinStandardHelpOptions = true,
        description = "The host as OSHI reads it: CPU, cores, maximum frequency, memory, OS and JVM, each with its"
                + " source; empty where OSHI does not know.")
final class HostCommand extends FormattedCommand {
    static final List<CsvColumn> CSV_SCHEMA = List.of(
            new CsvColumn("field", "-", "what is described"),
            new CsvColumn("value", "as the field", "the value; empty where OSHI does not know"),
            new CsvColumn("source", "-", "where the value came from"));

    @Override
    String render(OutputFormat output) {
        HostInfo host = HostProbe.probe();
        List<List<Object>> rows = rows(host);
        return switch (output) {
            case TABLE -> {
                TextTable table = new TextTable("field", "value", "source");
                for (List<Object> row : rows) {
                    table.row(row.get(0).toString(), row.get(1) == null ? "(unknown)" : row.get(1).toString(),
                            row.get(2).toString());
                }
                yield table.render();
            }
            case CSV -> CsvText.write(CSV_SCHEMA, rows);
            case JSON -> {
                ObjectNode root = Json.object();
                for (List<Object> row : rows) {
                    Object value = row.get(1);
                    if (value instanceof Number number) {
                        root.put(row.get(0).toString(), number.longValue());
                    } else {
                        root.put(row.get(0).toString(), (String) value);
                    }
                }
                ObjectNode sources = root.putObject("sources");
                host.sources().forEach(sources::put);
                yield Json.write(root);
            }
        };
    }

    private static List<List<Object>> rows(HostInfo host) {
        List<List<Object>> rows = new ArrayList<>();
        add(rows, host, "cpu_name", host.cpuName().orElse(null));
        add(rows, host, "physical_cores", host.physicalCores().isPresent() ? host.physicalCores().getAsInt() : null);
        add(rows, host, "logical_cores", host.logicalCores().isPresent() ? host.logicalCores().getAsInt() : null);
        add(rows, host, "max_frequency_hz",
                host.maxFrequencyHz().isPresent() ? host.maxFrequencyHz().getAsLong() : null);
        add(rows, host, "memory_bytes", host.memoryBytes().isPresent() ? host.memoryBytes().getAsLong() : null);
        add(rows, host, "os", host.operatingSystem().orElse(null));
        add(rows, host, "jvm", host.jvm());
        add(rows, host, "instruction_sets", String.join(" ", new java.util.TreeSet<>(host.instructionSets())));
        return rows;
    }

    private static void add(List<List<Object>> rows, HostInfo host, String field, Object value) {
        rows.add(Arrays.asList(field, value, host.sources().get(field)));
    }
}
