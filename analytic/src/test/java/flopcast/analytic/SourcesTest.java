package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@code SOURCES.md} resolves inside the repository, and every Javadoc "Source" line cites one of its keys. */
class SourcesTest {
    private static final Path SOURCES = Path.of("SOURCES.md");
    private static final Path ROOT = Path.of("..");

    /** The first column of the table: the keys. */
    private static List<String> keys() throws IOException {
        List<String> keys = new ArrayList<>();
        for (String line : Files.readAllLines(SOURCES)) {
            if (line.startsWith("| ") && !line.startsWith("| key |")) {
                keys.add(line.substring(2, line.indexOf(" |", 2)));
            }
        }
        return keys;
    }

    @Test
    void everyFileItNamesIsInTheRepository() throws IOException {
        Matcher path = Pattern.compile("`(sources/[^`]+)`").matcher(Files.readString(SOURCES));
        int named = 0;
        while (path.find()) {
            assertTrue(Files.isRegularFile(Path.of(path.group(1))), path.group(1) + " is not in analytic/");
            named++;
        }
        assertTrue(named >= 3, "the seed, DESIGN and REFERENCES are named by path");
    }

    @Test
    void everySourceLineCitesAKey() throws IOException {
        List<String> keys = keys();
        List<String> uncited = new ArrayList<>();
        int lines = 0;
        for (String module : List.of("analytic", "measure", "calibration", "cli", "benchmarks")) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    for (String line : Files.readAllLines(file)) {
                        int at = line.indexOf("Source: ");
                        if (at >= 0 && line.strip().startsWith("*")) {
                            lines++;
                            String cited = line.substring(at);
                            if (keys.stream().noneMatch(cited::contains)) {
                                uncited.add(file.getFileName() + ": " + cited);
                            }
                        }
                    }
                }
            }
        }
        assertTrue(lines > 10, "the Javadoc has Source lines");
        assertTrue(uncited.isEmpty(), "Source lines naming no key of SOURCES.md: " + uncited);
    }

    @Test
    void keysAreUnique() throws IOException {
        List<String> keys = keys();
        assertFalse(keys.size() != keys.stream().distinct().count(), "a key appears twice: " + keys);
    }
}
