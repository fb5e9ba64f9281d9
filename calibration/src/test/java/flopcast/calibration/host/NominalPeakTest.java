package flopcast.calibration.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NominalPeakTest {
    private static HostInfo host(Set<String> sets, OptionalLong hz) {
        return new HostInfo(Optional.of("cpu"), OptionalInt.of(2), OptionalInt.of(4), hz, OptionalLong.of(1L << 34),
                Optional.of("os"), "jvm", sets, Map.of());
    }

    @Test
    void avx512TwoCoresAt3_47GHzIs444Gflops() {
        // REFERENCES.md: 64 FLOP/cycle at about 3.47 GHz is 220 GFLOP/s per core
        HostInfo host = host(Set.of("avx512f", "avx2", "fma"), OptionalLong.of(3_470_000_000L));
        assertEquals(64 * 3.47e9, NominalPeak.flopsPerSecond(host, 1).getAsDouble(), 1.0);
        assertEquals(2 * 64 * 3.47e9, NominalPeak.flopsPerSecond(host, 4).getAsDouble(), 1.0);
    }

    @Test
    void widestSetWinsAndUnknownsAreEmpty() {
        assertEquals(32, NominalPeak.flopsPerCycle(host(Set.of("avx2", "fma", "avx"), OptionalLong.empty())).getAsInt());
        assertEquals(8, NominalPeak.flopsPerCycle(host(Set.of("sse2"), OptionalLong.empty())).getAsInt());
        assertTrue(NominalPeak.flopsPerCycle(host(Set.of(), OptionalLong.of(1))).isEmpty());
        assertTrue(NominalPeak.flopsPerSecond(host(Set.of("avx2", "fma"), OptionalLong.empty()), 1).isEmpty());
    }
}
