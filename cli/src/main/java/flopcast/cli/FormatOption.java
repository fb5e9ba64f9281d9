package flopcast.cli;

import picocli.CommandLine.Option;

/** {@code --format}, shared by every command that prints results. */
final class FormatOption {

    @Option(names = "--format", paramLabel = "F", defaultValue = "table",
            description = "table, csv or json (default: ${DEFAULT-VALUE}).")
    String format;

    OutputFormat resolve() {
        return OutputFormat.byName(format);
    }
}
