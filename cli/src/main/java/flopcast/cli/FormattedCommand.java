package flopcast.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that prints one result in the {@code --format} asked for: it resolves the format first (a bad
 * one is one line and exit 2 before any work), renders, prints to the command's output and exits 0.
 * Shared by calibrate, train, predict, diff, host and devices; tested through each command's tests
 * (GoldenOutputTest, DevicesCommandTest, HelpTest).
 */
abstract class FormattedCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    FormatOption format;

    @Override
    public final Integer call() {
        OutputFormat output = format.resolve();
        spec.commandLine().getOut().print(render(output));
        return 0;
    }

    /** The whole text to print in {@code output}; bad input throws an InvalidInputException. */
    abstract String render(OutputFormat output);
}
