package flopcast.analytic;

/**
 * The share of a device's peak that a measured training step used: model FLOPs utilization (MFU)
 * and hardware FLOPs utilization (HFU), the one home of both formulas for measured steps.
 * <pre>
 *   MFU = model FLOPs / (seconds x peak FLOP/s)    = achieved model FLOP/s / peak FLOP/s
 *   HFU = hardware FLOPs / (seconds x peak FLOP/s)
 * </pre>
 * Convention: model FLOPs are one step's forward plus backward matmul FLOPs (no recomputation, no
 * elementwise or optimizer FLOPs); hardware FLOPs add the matmuls that recomputation runs again, so
 * HFU >= MFU. The peak is the same hardware's, at the same thread count and precision. No bound is
 * imposed: a measured MFU outside (0, 1] is a finding the caller marks (a failed peak probe), not an
 * error here; a NaN peak (none measured) gives NaN.
 * Source: PaLM (MFU and model FLOPs); Korthikanti (HFU against MFU). Pinned by
 * {@code FlopsUtilizationTest}.
 */
public final class FlopsUtilization {

    private FlopsUtilization() {
    }

    /** MFU of a step of {@code modelFlops} that took {@code seconds} on a {@code peakFlopsPerSecond} device. */
    public static double mfu(double modelFlops, double seconds, double peakFlopsPerSecond) {
        return modelFlops / (seconds * peakFlopsPerSecond);
    }

    /**
     * MFU from a rate already achieved: {@code modelFlopsPerSecond / peakFlopsPerSecond}; equal to
     * {@link #mfu} up to the rounding of the division done first.
     */
    public static double mfuOfRate(double modelFlopsPerSecond, double peakFlopsPerSecond) {
        return modelFlopsPerSecond / peakFlopsPerSecond;
    }

    /** HFU of a step that ran {@code hardwareFlops} (model FLOPs plus the recomputed matmuls) in {@code seconds}. */
    public static double hfu(double hardwareFlops, double seconds, double peakFlopsPerSecond) {
        return hardwareFlops / (seconds * peakFlopsPerSecond);
    }
}
