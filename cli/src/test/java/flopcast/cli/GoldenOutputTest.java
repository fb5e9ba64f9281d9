package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Behaviour does not change: {@code predict}, {@code diff} and {@code devices} print, as data, what
 * the jar printed before issue 22 moved anything (recorded in {@code src/test/resources/golden}, one
 * command line per file in {@code commands.tsv}): the seed's scenario under both accountings, Llama 3
 * 8B under every policy, kernel and mode, every sharding, grouped-query attention with a tied head
 * and an HF config. A key (JSON) or row (CSV) may be added, never removed or changed.
 */
class GoldenOutputTest {
    private static final Path GOLDEN = Path.of("src", "test", "resources", "golden");
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> commands() throws IOException {
        List<Arguments> commands = new ArrayList<>();
        for (String line : Files.readAllLines(GOLDEN.resolve("commands.tsv"))) {
            if (!line.startsWith("#")) {
                String[] fileAndCommand = line.split("\t");
                commands.add(Arguments.of(fileAndCommand[0], fileAndCommand[1]));
            }
        }
        assertEquals(45, commands.size(), "every recorded command line");
        return commands.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commands")
    void printsWhatItPrintedBeforeAsData(String file, String commandLine) throws IOException {
        CliRun run = CliRun.of(commandLine.split(" "));
        assertEquals(0, run.exitCode(), run.err());
        String golden = Files.readString(GOLDEN.resolve(file));
        if (file.endsWith(".json")) {
            List<String> differences = new ArrayList<>();
            compare(JSON.readTree(golden), JSON.readTree(run.out()), "$", differences);
            assertTrue(differences.isEmpty(), file + ": " + String.join("; ", differences));
        } else {
            Set<List<String>> printed = rows(run.out());
            List<List<String>> missing = new ArrayList<>();
            for (List<String> row : rows(golden)) {
                if (!printed.contains(row)) {
                    missing.add(row);
                }
            }
            assertTrue(missing.isEmpty(), file + ": rows changed or gone: " + missing);
        }
    }

    /** Every field of {@code golden} is in {@code printed} with the same value; fields may be added. */
    private static void compare(JsonNode golden, JsonNode printed, String path, List<String> differences) {
        if (golden.isObject() && printed.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = golden.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                JsonNode value = printed.get(field.getKey());
                if (value == null) {
                    differences.add(path + "." + field.getKey() + " is gone");
                } else {
                    compare(field.getValue(), value, path + "." + field.getKey(), differences);
                }
            }
        } else if (golden.isArray() && printed.isArray()) {
            if (golden.size() != printed.size()) {
                differences.add(path + " has " + printed.size() + " items, was " + golden.size());
                return;
            }
            for (int i = 0; i < golden.size(); i++) {
                compare(golden.get(i), printed.get(i), path + "[" + i + "]", differences);
            }
        } else if (!golden.equals(printed)) {
            differences.add(path + " is " + printed + ", was " + golden);
        }
    }

    private static Set<List<String>> rows(String csv) throws IOException {
        Set<List<String>> rows = new HashSet<>();
        for (CSVRecord record : CSVFormat.RFC4180.parse(new StringReader(csv))) {
            rows.add(record.toList());
        }
        return rows;
    }
}
