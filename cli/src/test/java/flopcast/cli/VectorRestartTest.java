package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code java -Xmx... flopcast train --backend vector} in a JVM without the Vector API's module: the CLI starts
 * itself again with the module, and the heap it was given holds there, so a shape over it is refused at once
 * (before the restart kept the options, the child took the default heap and ran the shape).
 */
class VectorRestartTest {

    @Test
    void theRestartedJvmKeepsTheHeapItWasGiven() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                FlopcastCli.class.getName(), "train", "--vocab", "8192", "--context", "64", "--layers", "2",
                "--d-model", "512", "--heads", "8", "--d-ff", "2048", "--batch", "2", "--backend", "vector",
                "--steps", "1")).redirectErrorStream(true).start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the restarted JVM did not end");
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(FlopcastCli.EXIT_BAD_INPUT, process.exitValue(), output);
        assertTrue(output.contains("(predicted) but this JVM may use") && !output.contains("flopcast train:"), output);
        long available = Long.parseLong(output.replaceAll("(?s).*this JVM may use ([0-9,]+):.*", "$1")
                .replace(",", ""));
        assertTrue(available <= 64L << 20, "the JVM may use " + available + ", over the -Xmx64m it was given");
    }
}
