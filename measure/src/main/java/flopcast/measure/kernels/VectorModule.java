package flopcast.measure.kernels;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The incubating Vector API module the vector backend needs: whether this JVM has it, and the one
 * re-execution of a main class in a JVM that does ({@code --add-modules jdk.incubator.vector}, the
 * same class path), so that {@code java -jar flopcast.jar train --backend vector} and
 * {@code mvn jmh:run}'s derivation work as written.
 */
public final class VectorModule {
    public static final String NAME = "jdk.incubator.vector";
    /** The exit code where the JVM cannot be started again: the caller's input could not be run. */
    public static final int CANNOT_RESTART = 2;

    private VectorModule() {
    }

    public static boolean loaded() {
        return ModuleLayer.boot().findModule(NAME).isPresent();
    }

    /**
     * Runs {@code main} with {@code args} in a JVM with the module and this JVM's own options ({@code -Xmx} and
     * the rest the user gave it); returns its exit code.
     */
    public static int restart(Class<?> main, String[] args) {
        List<String> command = command(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                ManagementFactory.getRuntimeMXBean().getInputArguments(), System.getProperty("java.io.tmpdir"),
                System.getProperty("java.class.path"), main.getName(), args);
        try {
            return new ProcessBuilder(command).inheritIO().start().waitFor();
        } catch (IOException e) {
            System.err.println("flopcast: cannot restart java with --add-modules " + NAME + ": " + e.getMessage());
            return CANNOT_RESTART;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CANNOT_RESTART;
        }
    }

    /**
     * The command that starts {@code main} again: {@code java} with the module, the options this JVM was
     * started with (a heap size given as {@code java -Xmx8g -jar flopcast.jar ...} holds in the JVM that runs),
     * but a debugger's agent, whose port this JVM holds, and its temporary directory, then the class path.
     */
    static List<String> command(String java, List<String> jvmOptions, String temporary, String classPath,
            String main, String[] args) {
        List<String> command = new ArrayList<>(List.of(java, "--add-modules", NAME));
        for (String option : jvmOptions) {
            if (!option.startsWith("-agentlib:jdwp") && !option.startsWith("-Xrunjdwp")) {
                command.add(option);
            }
        }
        if (temporary != null) {
            command.add("-Djava.io.tmpdir=" + temporary);
        }
        command.addAll(List.of("-cp", classPath, main));
        command.addAll(List.of(args));
        return command;
    }
}
