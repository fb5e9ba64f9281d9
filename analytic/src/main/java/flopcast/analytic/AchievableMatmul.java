package flopcast.analytic;

/**
 * The largest fraction of a device's bf16 peak a tuned matmul reaches ("maximum achievable matmul
 * FLOPS", measured): A100 SXM 271.2 of 312 TFLOP/s (86.9%), H100 SXM 794.5 of 989 (80.3%). The
 * H200 has the H100's compute and takes its figure.
 * Source: stas00/ml-engineering, "Maximum Achievable Matmul FLOPS" (via REFERENCES.md).
 * Pinned by {@code PublishedMfuTest}.
 */
public final class AchievableMatmul {
    public static final String SOURCE = "stas00/ml-engineering, Maximum Achievable Matmul FLOPS (bf16, measured)";

    private AchievableMatmul() {
    }

    /** Fraction of the bf16 peak, measured in bf16. */
    public static double bf16Fraction(Device device) {
        return switch (device) {
            case A100_40GB, A100_80GB -> 271.2 / 312;
            case H100_SXM, H200 -> 794.5 / 989;
        };
    }
}
