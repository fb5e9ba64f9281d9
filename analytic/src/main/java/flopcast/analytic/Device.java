package flopcast.analytic;


/**
 * The device catalog: dense peaks (no sparsity) per precision, memory and bandwidth, each row
 * with its source. Hardware numbers live here and nowhere else.
 * <p>Source: REFERENCES.md "Device peaks", which cites the NVIDIA datasheets. Memory is the
 * datasheet's decimal GB, as the seed's "80GB" (80e9 bytes). Link bandwidth per GPU, one direction:
 * NVIDIA interconnect. The last column is the chip's part of the name CUDA reports, which the
 * PyTorch probe matches its GPU by ({@link #cudaNamePattern()}). Pinned by {@code DeviceTest}.
 */
public enum Device {
    A100_40GB("a100-40gb", "NVIDIA A100 SXM4 40GB", 19.5, 156, 312, 40, 1555, 300, 25,
            "NVIDIA A100 datasheet; cli99/llm-analysis gpu_configs/a100-sxm-40gb.json; NVIDIA DGX A100 user guide",
            "A100-SXM4-40GB"),
    A100_80GB("a100-80gb", "NVIDIA A100 SXM4 80GB", 19.5, 156, 312, 80, 2039, 300, 25,
            "NVIDIA A100 datasheet; cli99/llm-analysis gpu_configs/a100-sxm-80gb.json; NVIDIA DGX A100 user guide",
            "A100-SXM4-80GB"),
    H100_SXM("h100-sxm", "NVIDIA H100 SXM5 80GB", 67, 494.5, 989, 80, 3350, 450, 50,
            "NVIDIA H100 datasheet; stas00/ml-engineering compute/accelerator/README.md; NVIDIA DGX H100 user guide",
            "H100"),
    H200("h200", "NVIDIA H200 SXM 141GB", 67, 494.5, 989, 141, 4800, 450, 50,
            "NVIDIA H200 datasheet (same compute and NVLink as H100); NVIDIA DGX H200 user guide",
            "H200");

    /** GPUs that share one NVLink domain (one HGX or DGX node); more ranks than this cross the network. */
    public static final int GPUS_PER_NODE = 8;

    private final String cliName;
    private final String description;
    private final double fp32Teraflops;
    private final double tf32Teraflops;
    private final double bf16Teraflops;
    private final double memoryGigabytes;
    private final double bandwidthGigabytesPerSecond;
    private final double nvlinkGigabytesPerSecond;
    private final double networkGigabytesPerSecond;
    private final String source;
    private final String cudaName;

    Device(String cliName, String description, double fp32Teraflops, double tf32Teraflops, double bf16Teraflops,
            double memoryGigabytes, double bandwidthGigabytesPerSecond, double nvlinkGigabytesPerSecond,
            double networkGigabytesPerSecond, String source, String cudaName) {
        this.cliName = cliName;
        this.description = description;
        this.fp32Teraflops = fp32Teraflops;
        this.tf32Teraflops = tf32Teraflops;
        this.bf16Teraflops = bf16Teraflops;
        this.memoryGigabytes = memoryGigabytes;
        this.bandwidthGigabytesPerSecond = bandwidthGigabytesPerSecond;
        this.nvlinkGigabytesPerSecond = nvlinkGigabytesPerSecond;
        this.networkGigabytesPerSecond = networkGigabytesPerSecond;
        this.source = source;
        this.cudaName = cudaName;
    }

    public String cliName() {
        return cliName;
    }

    public String description() {
        return description;
    }

    public String source() {
        return source;
    }

    /**
     * A regular expression (Java's and Python's {@code re} alike) that the name CUDA reports for
     * this device ({@code torch.cuda.get_device_name}, e.g. "NVIDIA H100 80GB HBM3") contains: the
     * row's chip name, and no "PCIe", whose cards share the chip's name but not its peaks or links.
     */
    public String cudaNamePattern() {
        return "^(?!.*PCIe).*" + cudaName;
    }

    /** True where {@code name}, as CUDA reports it, is this device: {@link #cudaNamePattern()} finds a match. */
    public boolean isCudaName(String name) {
        return java.util.regex.Pattern.compile(cudaNamePattern()).matcher(name).find();
    }

    /** Dense peak in FLOP/s at {@code precision}. */
    public double peakFlopsPerSecond(Precision precision) {
        double teraflops = switch (precision) {
            case FP32 -> fp32Teraflops;
            case TF32 -> tf32Teraflops;
            case BF16 -> bf16Teraflops;
        };
        return teraflops * 1e12;
    }

    public Capacity memory() {
        return Capacity.of(memoryGigabytes, Capacity.Unit.GB, "device memory");
    }

    public double bandwidthBytesPerSecond() {
        return bandwidthGigabytesPerSecond * 1e9;
    }

    /**
     * NVLink bytes per second one GPU sends (one direction: half the datasheet's bidirectional 600
     * GB/s on A100, 900 GB/s on H100 and H200; llm-analysis's intra_node_bandwidth_in_GB_per_sec).
     */
    public double nvlinkBytesPerSecond() {
        return nvlinkGigabytesPerSecond * 1e9;
    }

    /**
     * Network bytes per second one GPU sends across nodes: one InfiniBand port per GPU, HDR 200
     * Gb/s on DGX A100 (25 GB/s), NDR 400 Gb/s on DGX H100 and H200 (50 GB/s). llm-analysis's
     * inter_node_bandwidth_in_GB_per_sec holds 200 and 400, which are these links' Gb/s.
     */
    public double networkBytesPerSecond() {
        return networkGigabytesPerSecond * 1e9;
    }

    /** What {@code ranks} data-parallel ranks send over: NVLink within one node, the network beyond. */
    public double linkBytesPerSecond(int ranks) {
        return ranks <= GPUS_PER_NODE ? nvlinkBytesPerSecond() : networkBytesPerSecond();
    }

    /** The link {@link #linkBytesPerSecond(int)} uses, in words. */
    public static String linkName(int ranks) {
        return ranks <= GPUS_PER_NODE ? "nvlink" : "network";
    }

    public static Device byName(String name) {
        return Names.byName(values(), Device::cliName, "device", name);
    }

    public static String names() {
        return Names.list(values(), Device::cliName);
    }
}
