package flopcast.measure.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The restart that adds the Vector API's module keeps the options the JVM was started with. */
class VectorModuleTest {

    @Test
    void theRestartCarriesTheHeapAndTheOtherOptionsButADebuggersAgent() {
        List<String> command = VectorModule.command("/jdk/bin/java", List.of("-Xmx8g", "-XX:+UseG1GC",
                "-agentlib:jdwp=transport=dt_socket,server=y,address=5005", "-Dflopcast.x=1"), "/tmp/t", "a.jar:b.jar",
                "flopcast.cli.FlopcastCli", new String[] {"train", "--backend", "vector"});
        assertEquals(List.of("/jdk/bin/java", "--add-modules", "jdk.incubator.vector", "-Xmx8g", "-XX:+UseG1GC",
                "-Dflopcast.x=1", "-Djava.io.tmpdir=/tmp/t", "-cp", "a.jar:b.jar", "flopcast.cli.FlopcastCli", "train",
                "--backend", "vector"), command);
    }
}
