package flopcast.measure;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.HardwareAbstractionLayer;
import oshi.software.os.OperatingSystem;

/** Reads the host through OSHI's one entry point, {@link SystemInfo}. */
public final class HostProbe {

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
        return new HostInfo(text(processor.getProcessorIdentifier().getName()),
                positive(processor.getPhysicalProcessorCount()), positive(processor.getLogicalProcessorCount()),
                positive(processor.getMaxFreq()), positive(hardware.getMemory().getTotal()), text(os.toString()),
                System.getProperty("java.vm.name") + " (" + System.getProperty("java.vm.vendor") + ") "
                        + System.getProperty("java.runtime.version"),
                sources);
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
