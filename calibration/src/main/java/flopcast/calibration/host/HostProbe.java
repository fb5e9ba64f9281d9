package flopcast.calibration.host;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.HardwareAbstractionLayer;
import oshi.software.os.OperatingSystem;

/** Reads the host through OSHI's one entry point, {@link SystemInfo}. */
public final class HostProbe {
    private static final Set<String> KNOWN_INSTRUCTION_SETS = Set.of("avx512f", "avx2", "fma", "avx", "sse2", "asimd");

    private HostProbe() {
    }

    public static HostInfo probe() {
        SystemInfo system = new SystemInfo();
        HardwareAbstractionLayer hardware = system.getHardware();
        CentralProcessor processor = hardware.getProcessor();
        OperatingSystem os = system.getOperatingSystem();
        Map<String, String> sources = new LinkedHashMap<>();
        sources.put("cpu_name", "OSHI CentralProcessor.getProcessorIdentifier().getName()");
        sources.put("physical_cores", "OSHI CentralProcessor.getPhysicalProcessorCount()");
        sources.put("logical_cores", "OSHI CentralProcessor.getLogicalProcessorCount()");
        sources.put("max_frequency_hz", "OSHI CentralProcessor.getMaxFreq()");
        sources.put("memory_bytes", "OSHI GlobalMemory.getTotal()");
        sources.put("os", "OSHI OperatingSystem.toString()");
        sources.put("jvm", "system properties java.vm.name, java.vm.vendor, java.runtime.version");
        sources.put("instruction_sets", "OSHI CentralProcessor.getFeatureFlags()");
        return new HostInfo(text(processor.getProcessorIdentifier().getName()),
                positive(processor.getPhysicalProcessorCount()), positive(processor.getLogicalProcessorCount()),
                positive(processor.getMaxFreq()), positive(hardware.getMemory().getTotal()), text(os.toString()),
                System.getProperty("java.vm.name") + " (" + System.getProperty("java.vm.vendor") + ") "
                        + System.getProperty("java.runtime.version"),
                instructionSets(processor.getFeatureFlags()), sources);
    }

    /** The known vector instruction sets among the flags OSHI reports (Linux: /proc/cpuinfo "flags" lines). */
    private static Set<String> instructionSets(List<String> featureFlags) {
        Set<String> found = new TreeSet<>();
        for (String line : featureFlags) {
            for (String flag : line.toLowerCase(Locale.ROOT).split("[\\s:]+")) {
                if (KNOWN_INSTRUCTION_SETS.contains(flag)) {
                    found.add(flag);
                }
            }
        }
        return found;
    }

    private static Optional<String> text(String value) {
        return value == null || value.isBlank() || value.equalsIgnoreCase("unknown")
                ? Optional.empty() : Optional.of(value.strip());
    }

    private static OptionalInt positive(int value) {
        return value > 0 ? OptionalInt.of(value) : OptionalInt.empty();
    }

    private static OptionalLong positive(long value) {
        return value > 0 ? OptionalLong.of(value) : OptionalLong.empty();
    }
}
