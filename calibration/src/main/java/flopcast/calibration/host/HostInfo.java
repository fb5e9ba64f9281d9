package flopcast.calibration.host;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

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
 * @param instructionSets the vector instruction sets the processor reports, of avx512f, avx2, fma,
 *                        avx, sse2, asimd (empty where OSHI reports no flags)
 * @param sources        for each field, where its value came from
 */
public record HostInfo(Optional<String> cpuName, OptionalInt physicalCores, OptionalInt logicalCores,
        OptionalLong maxFrequencyHz, OptionalLong memoryBytes, Optional<String> operatingSystem, String jvm,
        Set<String> instructionSets, Map<String, String> sources) {

    public HostInfo {
        instructionSets = Set.copyOf(instructionSets);
        sources = Map.copyOf(sources);
    }
}
