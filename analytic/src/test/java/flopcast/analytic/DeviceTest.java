package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The catalog against REFERENCES.md's table. */
class DeviceTest {
    @Test
    void a100PeaksAreTheDatasheetsDenseFigures() {
        assertEquals(19.5e12, Device.A100_80GB.peakFlopsPerSecond(Precision.FP32), 0.0);
        assertEquals(156e12, Device.A100_80GB.peakFlopsPerSecond(Precision.TF32), 0.0);
        assertEquals(312e12, Device.A100_80GB.peakFlopsPerSecond(Precision.BF16), 0.0);
        assertEquals(80_000_000_000L, Device.A100_80GB.memory().bytes());
        assertEquals(40_000_000_000L, Device.A100_40GB.memory().bytes());
        assertEquals(2039e9, Device.A100_80GB.bandwidthBytesPerSecond(), 0.0);
    }

    @Test
    void hopperPeaksAndMemory() {
        assertEquals(67e12, Device.H100_SXM.peakFlopsPerSecond(Precision.FP32), 0.0);
        assertEquals(989e12, Device.H200.peakFlopsPerSecond(Precision.BF16), 0.0);
        assertEquals(141_000_000_000L, Device.H200.memory().bytes());
        assertEquals(4800e9, Device.H200.bandwidthBytesPerSecond(), 0.0);
    }

    @Test
    void everyRowHasASourceAndPeaksRiseWithLowerPrecision() {
        int checked = 0;
        for (Device device : Device.values()) {
            assertFalse(device.source().isBlank(), device.cliName());
            assertTrue(device.peakFlopsPerSecond(Precision.FP32) < device.peakFlopsPerSecond(Precision.TF32));
            assertTrue(device.peakFlopsPerSecond(Precision.TF32) < device.peakFlopsPerSecond(Precision.BF16));
            checked++;
        }
        assertEquals(4, checked);
    }

    @Test
    void namesAreTheCliNames() {
        assertEquals(Device.H100_SXM, Device.byName("h100-sxm"));
        assertEquals("a100-40gb, a100-80gb, h100-sxm, h200", Device.names());
        assertThrows(InvalidInputException.class, () -> Device.byName("v100"));
    }

    /** Names as torch.cuda.get_device_name reports them; a PCIe card or another GPU matches no row. */
    @ParameterizedTest
    @CsvSource({
            "NVIDIA A100-SXM4-40GB, a100-40gb",
            "NVIDIA A100-SXM4-80GB, a100-80gb",
            "NVIDIA H100 80GB HBM3, h100-sxm",
            "NVIDIA H200, h200",
            "NVIDIA A100 80GB PCIe, ",
            "NVIDIA A100-PCIE-40GB, ",
            "NVIDIA H100 PCIe, ",
            "NVIDIA GeForce RTX 4090, ",
            "Tesla V100-SXM2-16GB, "})
    void cudaNamesMatchOneRowAtMost(String name, String expected) {
        List<String> matched = Arrays.stream(Device.values())
                .filter(device -> device.isCudaName(name)).map(Device::cliName).toList();
        assertEquals(expected == null ? List.of() : List.of(expected), matched, name);
    }
}
