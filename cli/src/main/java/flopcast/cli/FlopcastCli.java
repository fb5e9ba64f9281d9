package flopcast.cli;

import flopcast.analytic.Excerpt;
import flopcast.analytic.InvalidInputException;
import flopcast.measure.kernels.VectorModule;
import java.io.PrintWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar cli/target/flopcast.jar <command>}. Bad input gets one line on stderr and
 * exit code {@value #EXIT_BAD_INPUT}, with nothing on stdout: every command computes its whole
 * answer before printing any of it.
 */
@Command(name = "flopcast", mixinStandardHelpOptions = true, versionProvider = FlopcastCli.Version.class,
        description = "Memory, FLOPs and training time of a transformer trained with AdamW: the seed's"
                + " derivation, a complete accounting beside it, and the device catalog.",
        subcommands = {PredictCommand.class, DiffCommand.class, DevicesCommand.class, TrainCommand.class,
            HostCommand.class, CalibrateCommand.class})
public final class FlopcastCli implements Runnable {
    public static final int EXIT_BAD_INPUT = 2;
    /** The longest run without a space an error line shows whole. */
    static final int LONGEST_WORD = 256;
    /** The longest error line shown whole (thousands of unmatched arguments are listed no further). */
    static final int LONGEST_LINE = 2000;
    /** A long run without a space, between the punctuation that opens and closes it (kept, as in {@code 'value':}). */
    private static final Pattern LONG_WORD = Pattern.compile(
            "(?<!\\S)(\\p{Punct}{0,3})(\\S{" + (LONGEST_WORD + 1) + ",}?)(\\p{Punct}{0,3})(?!\\S)");

    @Spec
    private CommandSpec spec;

    public static void main(String[] args) {
        if (wantsVectorBackend(args) && !VectorModule.loaded()) {
            System.exit(VectorModule.restart(FlopcastCli.class, args));
        }
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** {@code --backend vector} (or {@code --backend=vector}) anywhere on the command line. */
    static boolean wantsVectorBackend(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--backend=vector") || args[i].equals("--backend") && i + 1 < args.length
                    && args[i + 1].equals("vector")) {
                return true;
            }
        }
        return false;
    }

    /** Runs one command line; what it prints goes to {@code out} and {@code err}. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new FlopcastCli());
        commandLine.setOut(out);
        commandLine.setErr(err);
        NumberConverters.register(commandLine);
        // "@FILE" would read arguments from a file: undocumented here, and a directory named so ended in a stack trace
        commandLine.setExpandAtFiles(false);
        commandLine.setParameterExceptionHandler((ex, ignored) -> {
            err.println("flopcast: " + oneLine(parameterMessage(ex)));
            err.flush();
            return EXIT_BAD_INPUT;
        });
        commandLine.setExecutionExceptionHandler((ex, line, ignored) -> {
            if (ex instanceof InvalidInputException || ex instanceof ArithmeticException) {
                err.println("flopcast: " + oneLine(ex instanceof ArithmeticException
                        ? overflowMessage(ex.getMessage(), line.getParseResult())
                        : ex.getMessage()));
                err.flush();
                return EXIT_BAD_INPUT;
            }
            throw ex;
        });
        int code = commandLine.execute(args);
        out.flush();
        return code;
    }

    /** No command given: that is bad input too. */
    @Override
    public void run() {
        throw new InvalidInputException("missing command: one of " + commandNames() + " (flopcast --help)");
    }

    private String commandNames() {
        return String.join(", ", spec.subcommands().keySet());
    }

    private static String parameterMessage(CommandLine.ParameterException ex) {
        CommandLine line = ex.getCommandLine();
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched
                && line.getCommandSpec().parent() == null && !unmatched.getUnmatched().isEmpty()
                && !unmatched.getUnmatched().get(0).startsWith("-")) {
            return "unknown command '" + unmatched.getUnmatched().get(0) + "': allowed are "
                    + String.join(", ", line.getSubcommands().keySet());
        }
        return ex.getMessage();
    }

    /**
     * An exact count that overflowed: which limit it passed, and the options given (the values that
     * made it), since the count itself is not known. {@code Math.toIntExact} says "integer
     * overflow": an array length or index past 2^31 - 1; the other exact operations "long
     * overflow".
     */
    static String overflowMessage(String reason, CommandLine.ParseResult given) {
        boolean integer = "integer overflow".equals(reason);
        StringBuilder options = new StringBuilder();
        for (CommandLine.Model.OptionSpec option : given.matchedOptions()) {
            if (!option.longestName().equals("--format")) {
                options.append(' ').append(option.longestName());
                option.originalStringValues().forEach(value -> options.append(' ').append(value));
            }
        }
        return "the shape is too large: with" + (options.length() == 0 ? " the defaults" : options) + " a count passes "
                + (integer ? "2^31 - 1" : "2^63 - 1") + " (" + reason + "); allowed are sizes whose every count fits in "
                + (integer ? "a Java array's length" : "a 64-bit integer, the most flopcast counts exactly");
    }

    /**
     * One line: line breaks joined with "; ", any run of more than {@value #LONGEST_WORD}
     * characters without a space (a pasted value echoed back) cut to an {@link Excerpt}, and the
     * line cut after {@value #LONGEST_LINE} characters.
     */
    static String oneLine(String message) {
        if (message == null) {
            return "bad input";
        }
        String joined = message.strip().replaceAll("\\s*\\R\\s*", "; ");
        String line = LONG_WORD.matcher(joined).replaceAll(word -> Matcher.quoteReplacement(
                word.group(1) + Excerpt.of(word.group(2)) + word.group(3)));
        return line.length() <= LONGEST_LINE ? line
                : line.substring(0, LONGEST_LINE) + "... (" + line.length() + " characters)";
    }

    /** The version from the jar's manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = FlopcastCli.class.getPackage().getImplementationVersion();
            return new String[] {"flopcast " + (version == null ? "development" : version)};
        }
    }
}
