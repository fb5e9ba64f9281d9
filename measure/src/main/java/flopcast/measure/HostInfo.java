package flopcast.measure;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What the host is, read once through OSHI; a value OSHI does not know is empty, never -1.
 *
 * @param cpuName        the processor's name
 * @param physicalCores  physical cores
 * @param logicalCores   logical processors (hardware threads)
 * @param maxFrequencyHz the processor's maximum frequency as OSHI reads it (in VMs often the nominal clock)
 * @param memoryBytes    physical memory
 * @param operatingSystem the operating system and version
 * @param jvm            the JVM running flopcast: name, vendor, version
 * @param sources        for each field, where its value came from
 */
public record HostInfo(Optional<String> cpuName, OptionalInt physicalCores, OptionalInt logicalCores,
        OptionalLong maxFrequencyHz, OptionalLong memoryBytes, Optional<String> operatingSystem, String jvm,
        Map<String, String> sources) {

    public HostInfo {
        sources = Map.copyOf(sources);
    }
}
