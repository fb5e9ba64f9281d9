package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every command the README shows with its output prints exactly that output. */
class ReadmeTest {
    private static final String PROMPT = "$ java -jar cli/target/flopcast.jar ";

    @Test
    void readmeExamplesAreWhatTheCommandsPrint() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
        int checked = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith(PROMPT)) {
                continue;
            }
            String[] args = lines.get(i).substring(PROMPT.length()).trim().split("\\s+");
            List<String> shown = new ArrayList<>();
            for (int j = i + 1; !lines.get(j).equals("```"); j++) {
                shown.add(lines.get(j));
            }
            CliRun run = CliRun.of(args);
            assertEquals(0, run.exitCode(), run.err());
            assertEquals(String.join("\n", shown) + "\n", run.out(), "README output of: " + lines.get(i));
            checked++;
        }
        assertTrue(checked >= 3, "expected the README's three examples, found " + checked);
    }
}
