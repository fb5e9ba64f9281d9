package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HelpTest {
    @ParameterizedTest
    @ValueSource(strings = {"predict", "diff", "devices", "train", "host"})
    void everyCommandHasHelp(String command) {
        CliRun run = CliRun.of(command, "--help");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("Usage: flopcast " + command), run.out());
        assertTrue(run.out().contains("--format"), run.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h"})
    void topLevelHelpListsTheCommands(String flag) {
        CliRun run = CliRun.of(flag);
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("predict") && run.out().contains("diff") && run.out().contains("devices"));
    }
}
