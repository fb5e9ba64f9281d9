package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The rows beyond the tensors, by hand, on an A100 alone and on 8 H100s. */
class DeviceOverheadTest {

    @Test
    void anA100AloneHoldsTheContextAndTwoOfEachWorkspace() {
        List<DeviceOverhead.Row> rows = DeviceOverhead.rows(Device.A100_80GB, 1);
        assertEquals(List.of("cuda_context", "cublas_workspace", "cublaslt_workspace"),
                rows.stream().map(DeviceOverhead.Row::name).toList());
        assertEquals(1_000 + 2 * 8_519_680 + 2 * 1_048_576, DeviceOverhead.allocatedPeak(1_000, rows));
        assertEquals(1_000 + 287_047_680 + 2 * 8_519_680 + 2 * 1_048_576, DeviceOverhead.deviceUsage(1_000, rows));
    }

    @Test
    void eightH100sAddNcclsRingAndNvls() {
        List<DeviceOverhead.Row> rows = DeviceOverhead.rows(Device.H100_SXM, 8);
        assertEquals(List.of("cuda_context", "cublas_workspace", "cublaslt_workspace", "nccl_ring", "nccl_nvls"),
                rows.stream().map(DeviceOverhead.Row::name).toList());
        // NVLS: 16 channels x 2 x 1 MiB x 8 GPUs = 256 MiB, NCCL 2.22's figure for one node
        assertEquals(268_435_456L, rows.get(4).bytes());
        assertEquals(16L * 12_582_912, rows.get(3).bytes());
        assertEquals(2L * 33_554_432 + 2L * 1_048_576, DeviceOverhead.allocatedPeak(0, rows));
        assertEquals(287_047_680L + 2L * 33_554_432 + 2L * 1_048_576 + 16L * 12_582_912 + 268_435_456L,
                DeviceOverhead.deviceUsage(0, rows));
        assertEquals(List.of("cuda_context", "cublas_workspace", "cublaslt_workspace", "nccl_ring"),
                DeviceOverhead.rows(Device.A100_40GB, 64).stream().map(DeviceOverhead.Row::name).toList(),
                "no NVLS off Hopper");
    }
}
