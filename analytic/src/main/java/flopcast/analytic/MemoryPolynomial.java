package flopcast.analytic;

import java.util.Locale;

/**
 * Training memory as fixed + per_batch_element * B bytes, and the largest B that fits.
 * <pre>
 *   B_max = floor((capacity - fixed) / per_batch_element)
 * </pre>
 * Source: the seed, "For a device with 80GB of memory, the largest batch_size that can fit is
 * 2.964 or about 2". Pinned by {@code MemoryPolynomialTest}.
 *
 * @param fixedBytes           what does not grow with B (model state, per-head scratch)
 * @param perBatchElementBytes what each sequence of the batch adds
 */
public record MemoryPolynomial(long fixedBytes, long perBatchElementBytes) {

    public long bytesAt(long batchSize) {
        return Math.addExact(fixedBytes, Math.multiplyExact(perBatchElementBytes, batchSize));
    }

    /**
     * The largest batch that fits {@code capacity}. A capacity below the fixed part is an error
     * that says how much the fixed part needs; one that holds the fixed part but not one sequence
     * answers batch size 0.
     */
    public BatchFit fit(Capacity capacity, String fixedPartName) {
        long spare = capacity.bytes() - fixedBytes;
        if (spare < 0) {
            throw new InvalidInputException(String.format(Locale.ROOT,
                    "capacity %s is below the %,d bytes (%s) that %s alone needs", capacity.describe(),
                    fixedBytes, Capacity.humanBytes(fixedBytes), fixedPartName));
        }
        long batch = spare / perBatchElementBytes;
        double fractional = (double) spare / (double) perBatchElementBytes;
        return new BatchFit(capacity, batch, fractional, spare);
    }

    /**
     * @param capacity   what was asked about
     * @param batchSize  the largest whole batch that fits; 0 when not even one sequence does
     * @param fractional the batch before rounding down
     * @param spareBytes capacity minus the fixed part
     */
    public record BatchFit(Capacity capacity, long batchSize, double fractional, long spareBytes) {
    }
}
