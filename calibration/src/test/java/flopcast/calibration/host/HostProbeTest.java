package flopcast.calibration.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Invariants of real hardware, not exact values. */
class HostProbeTest {
    @Test
    void coresAndMemoryAreConsistentWhereKnown() {
        HostInfo host = HostProbe.probe();
        host.physicalCores().ifPresent(physical -> assertTrue(physical > 0));
        host.logicalCores().ifPresent(logical -> assertTrue(logical >= host.physicalCores().orElse(1),
                "logical cores >= physical cores"));
        // the JVM runs on this host: it cannot see more processors than the host has
        host.logicalCores().ifPresent(logical -> assertTrue(Runtime.getRuntime().availableProcessors() <= logical));
        host.memoryBytes().ifPresent(memory -> assertTrue(memory >= Runtime.getRuntime().maxMemory()));
        host.maxFrequencyHz().ifPresent(hz -> assertTrue(hz > 1e8, "above 100 MHz"));
        assertFalse(host.jvm().isBlank());
    }

    @Test
    void everyFieldNamesItsSource() {
        assertEquals(Set.of("cpu_name", "physical_cores", "logical_cores", "max_frequency_hz", "memory_bytes", "os",
                "jvm", "instruction_sets"), HostProbe.probe().sources().keySet());
    }
}
