package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class HelpTest {
    /** The commands the CLI declares, read from it, so a new command cannot be left out. */
    static Stream<String> commands() {
        return new CommandLine(new FlopcastCli()).getSubcommands().keySet().stream().filter(name -> !name.equals("help"));
    }

    @Test
    void theCommandsAreTheDocumentedOnes() {
        assertEquals(Set.of("predict", "diff", "devices", "train", "host", "calibrate"), Set.copyOf(commands().toList()));
    }

    @ParameterizedTest
    @MethodSource("commands")
    void everyCommandHasHelp(String command) {
        CliRun run = CliRun.of(command, "--help");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("Usage: flopcast " + command), run.out());
        assertTrue(run.out().contains("--format"), run.out());
    }

    /** The commands that lead with a summary offer the tables behind it. */
    @ParameterizedTest
    @ValueSource(strings = {"predict", "diff", "train"})
    void summaryCommandsOfferDetail(String command) {
        CliRun run = CliRun.of(command, "--help");
        assertTrue(run.out().contains("--detail"), run.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h"})
    void topLevelHelpListsEveryCommand(String flag) {
        CliRun run = CliRun.of(flag);
        assertEquals(0, run.exitCode());
        commands().forEach(command -> assertTrue(run.out().contains(command), command + " missing from " + run.out()));
    }
}
