package flopcast.cli;

import flopcast.analytic.InvalidInputException;
import flopcast.measure.kernels.VectorModule;
import java.io.PrintWriter;
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
        commandLine.setParameterExceptionHandler((ex, ignored) -> {
            err.println("flopcast: " + oneLine(parameterMessage(ex)));
            err.flush();
            return EXIT_BAD_INPUT;
        });
        commandLine.setExecutionExceptionHandler((ex, line, ignored) -> {
            if (ex instanceof InvalidInputException || ex instanceof ArithmeticException) {
                err.println("flopcast: " + oneLine(ex instanceof ArithmeticException
                        ? "the shape is too large: a count passes 2^63 - 1 (" + ex.getMessage() + ")"
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

    private static String oneLine(String message) {
        return message == null ? "bad input" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
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
