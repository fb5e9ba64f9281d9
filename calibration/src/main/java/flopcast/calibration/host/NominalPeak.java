package flopcast.calibration.host;

import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The hardware's nominal float32 peak: cores x frequency x FLOPs per cycle per core, the last from
 * the widest vector instruction set the processor reports:
 * <pre>
 *   avx512f     64   two 512-bit FMA units x 16 lanes x 2 FLOPs
 *   avx2 + fma  32   two 256-bit FMA units x 8 lanes x 2
 *   avx         16   one 256-bit add and one 256-bit multiply per cycle
 *   asimd       16   two 128-bit FMA units x 4 lanes x 2
 *   sse2         8   one 128-bit add and one 128-bit multiply per cycle
 * </pre>
 * Empty where the frequency, the cores or the instruction set is unknown. Caveats: some AVX-512
 * parts have one FMA unit, not two (their true peak is half); in VMs OSHI often reads the nominal
 * clock, not the turbo the cores run at. The measured peak (the Vector API probe) is what MFU
 * divides by; this is beside it for comparison.
 * Source: Intel and AMD optimization manuals (FMA throughput per cycle); REFERENCES.md.
 */
public final class NominalPeak {

    private NominalPeak() {
    }

    public static OptionalInt flopsPerCycle(HostInfo host) {
        var sets = host.instructionSets();
        if (sets.contains("avx512f")) {
            return OptionalInt.of(64);
        }
        if (sets.contains("avx2") && sets.contains("fma")) {
            return OptionalInt.of(32);
        }
        if (sets.contains("avx") || sets.contains("asimd")) {
            return OptionalInt.of(16);
        }
        if (sets.contains("sse2")) {
            return OptionalInt.of(8);
        }
        return OptionalInt.empty();
    }

    /** Nominal peak of {@code threads} threads, one per physical core at most. */
    public static OptionalDouble flopsPerSecond(HostInfo host, int threads) {
        OptionalInt perCycle = flopsPerCycle(host);
        if (perCycle.isEmpty() || host.maxFrequencyHz().isEmpty() || host.physicalCores().isEmpty()) {
            return OptionalDouble.empty();
        }
        int cores = Math.min(threads, host.physicalCores().getAsInt());
        return OptionalDouble.of((double) cores * host.maxFrequencyHz().getAsLong() * perCycle.getAsInt());
    }
}
