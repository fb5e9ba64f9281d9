package flopcast.analytic;

import java.util.ArrayList;
import java.util.List;

/**
 * What a GPU holds beyond the step's tensors, by device generation and software generation, as named
 * rows: what {@code torch.cuda.max_memory_allocated} shows is the tensors' peak plus the library
 * workspaces PyTorch allocates through its caching allocator; what {@code nvidia-smi} shows adds the
 * CUDA context and NCCL's buffers, which no allocator counter sees, and the caching allocator's reserve
 * over what is allocated (not modelled: the device usage is a lower bound).
 * <pre>
 *   row                  bytes                                                    in allocated  applies
 *   cuda_context         287,047,680                                              no            every CUDA process
 *   cublas_workspace     2 x 33,554,432 (sm_90: H100, H200), 2 x 8,519,680 else  yes           every GEMM
 *   cublaslt_workspace   2 x 1,048,576                                            yes           every GEMM
 *   nccl_ring            16 channels x 12,582,912                                 no            ranks > 1
 *   nccl_nvls            16 channels x 2 x 1 MiB x min(N, 8)                       no            ranks > 1 on sm_90
 * </pre>
 * <ul>
 * <li>The context is PyTorch's own measurement (total less free after one small tensor) with lazy
 * module loading, which PyTorch sets since 1.13 for CUDA 11.7 and later; with eager loading it was
 * 666,632,192. The GPU is not stated, and the context grows as kernels load: a lower bound.
 * <li>Two workspaces of each kind: one cuBLAS handle per thread and stream, and a training step runs
 * GEMMs on the Python thread (forward) and the autograd device thread (backward).
 * <li>NCCL's buffers (NCCL 2.22 and later) for one data-parallel process group: a ring connection per
 * channel is 10 MiB received (the LL, LL128 and Simple buffers, rounded to 2 MiB) and 2 MiB sent; 16
 * channels is the NVLS channel count on sm_90, taken for the ring too (the ring's count depends on the
 * topology: unchecked); NVLS (NVLink SHARP, on by default where an NVSwitch supports it) adds 2
 * buffers of 1 MiB per channel per GPU of the node.
 * </ul>
 * No row here has been measured on a GPU by flopcast: every row is marked unchecked until the probe's
 * GPU script reads {@code max_memory_allocated} and the device's usage beside it.
 * <p>Source: Beyond the tensors. Pinned by {@code DeviceOverheadTest}.
 */
public final class DeviceOverhead {

    /** PyTorch's measured CUDA context under lazy module loading. */
    public static final long CUDA_CONTEXT = 287_047_680L;
    /** cuBLAS's workspace per handle and stream on sm_90 (H100, H200): 32 MiB. */
    public static final long CUBLAS_WORKSPACE_SM90 = 33_554_432L;
    /** cuBLAS's workspace per handle and stream elsewhere: 4096 KiB x 2 + 16 KiB x 8. */
    public static final long CUBLAS_WORKSPACE = 8_519_680L;
    /** cuBLASLt's workspace per handle and stream: 1 MiB. */
    public static final long CUBLASLT_WORKSPACE = 1_048_576L;
    /** Handles a training step uses a GEMM on: the forward's thread and the autograd device thread. */
    public static final int HANDLES = 2;
    /** NCCL's buffers per ring connection and channel on a rank: 10 MiB received, 2 MiB sent. */
    public static final long NCCL_RING_CONNECTION = 12_582_912L;
    /** Channels: NVLS's count on sm_90, taken for the ring too. */
    public static final int NCCL_CHANNELS = 16;
    /** NVLS's buffer per channel, direction and GPU of the node: 128 KiB chunks x 8 steps. */
    public static final long NCCL_NVLS_BUFFER = 1_048_576L;

    private DeviceOverhead() {
    }

    /**
     * One row beyond the tensors.
     *
     * @param name      snake_case, stable in JSON
     * @param bytes     what it holds
     * @param allocated true where PyTorch's caching allocator holds it (so {@code max_memory_allocated} counts it)
     */
    public record Row(String name, long bytes, boolean allocated) {
    }

    /** True for the Hopper devices (sm_90), whose cuBLAS workspace is 32 MiB and whose NVSwitch runs NVLS. */
    static boolean hopper(Device device) {
        return device == Device.H100_SXM || device == Device.H200;
    }

    /** The rows on {@code device} for a rank of {@code ranks} data-parallel ranks. */
    public static List<Row> rows(Device device, int ranks) {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("cuda_context", CUDA_CONTEXT, false));
        rows.add(new Row("cublas_workspace", HANDLES * (hopper(device) ? CUBLAS_WORKSPACE_SM90 : CUBLAS_WORKSPACE),
                true));
        rows.add(new Row("cublaslt_workspace", HANDLES * CUBLASLT_WORKSPACE, true));
        if (ranks > 1) {
            rows.add(new Row("nccl_ring", NCCL_CHANNELS * NCCL_RING_CONNECTION, false));
            if (hopper(device)) {
                rows.add(new Row("nccl_nvls", NCCL_CHANNELS * 2L * NCCL_NVLS_BUFFER * Math.min(ranks,
                        Device.GPUS_PER_NODE), false));
            }
        }
        return rows;
    }

    /** What {@code max_memory_allocated} shows: the tensors' peak and the rows the caching allocator holds. */
    public static long allocatedPeak(long tensorsPeak, List<Row> rows) {
        long bytes = tensorsPeak;
        for (Row row : rows) {
            if (row.allocated()) {
                bytes = Math.addExact(bytes, row.bytes());
            }
        }
        return bytes;
    }

    /** At least what {@code nvidia-smi} shows: the allocated peak and every other row (the allocator's reserve left out). */
    public static long deviceUsage(long tensorsPeak, List<Row> rows) {
        long bytes = tensorsPeak;
        for (Row row : rows) {
            bytes = Math.addExact(bytes, row.bytes());
        }
        return bytes;
    }
}
