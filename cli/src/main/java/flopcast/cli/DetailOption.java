package flopcast.cli;

import picocli.CommandLine.Option;

/** {@code --detail}: after the summary, every table the command has (JSON and CSV always carry everything). */
final class DetailOption {

    @Option(names = "--detail",
            description = "After the summary, print every table behind it (table format; JSON and CSV always"
                    + " carry everything).")
    boolean detail;
}
