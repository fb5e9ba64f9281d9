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
     * The largest batch that fits {@code capacity}: an answer either way. One that holds the fixed
     * part but not one sequence answers batch size 0; one below the fixed part answers batch size 0
     * too, with a negative {@link BatchFit#spareBytes()} that says how much more the fixed part
     * ({@code fixedPartName}) needs (Llama 3 8B's model state on one 80 GB device, for example).
     */
    public BatchFit fit(Capacity capacity, String fixedPartName) {
        long spare = capacity.bytes() - fixedBytes;
        if (spare < 0) {
            return new BatchFit(capacity, 0, 0.0, spare, fixedPartName);
        }
        long batch = spare / perBatchElementBytes;
        double fractional = (double) spare / (double) perBatchElementBytes;
        return new BatchFit(capacity, batch, fractional, spare, fixedPartName);
    }

    /**
     * @param capacity   what was asked about
     * @param batchSize  the largest whole batch that fits; 0 when not even one sequence does
     * @param fractional the batch before rounding down
     * @param spareBytes capacity minus the fixed part; negative where the fixed part alone does not fit
     * @param fixedPartName what the fixed part is, for the answer's words
     */
    public record BatchFit(Capacity capacity, long batchSize, double fractional, long spareBytes,
            String fixedPartName) {

        /** False where the fixed part (the model state) alone does not fit. */
        public boolean fixedPartFits() {
            return spareBytes >= 0;
        }

        /**
         * Whether a batch of {@code batch} sequences fits the capacity: the one yes-or-no answer
         * a prediction gives.
         * <pre>
         *   fits(B) = fixed &lt;= capacity and B &lt;= B_max
         * </pre>
         * Convention: one device (or one rank) and its own batch; the capacity is what was asked
         * about, nothing held back. Source: the seed, "the largest batch_size that can fit is 2.964
         * or about 2" (so 1024 does not). Pinned by {@code MemoryPolynomialTest}.
         */
        public boolean fits(long batch) {
            return fixedPartFits() && batch <= batchSize;
        }

        /** Where the fixed part does not fit, for example "the model state ... alone needs 128,498,909,184 bytes (...), 48,498,909,184 more than 80 GB". */
        public String shortfall() {
            return String.format(Locale.ROOT, "%s alone needs %,d bytes (%s), %,d more than %s", fixedPartName,
                    capacity.bytes() - spareBytes, Capacity.humanBytes(capacity.bytes() - spareBytes), -spareBytes,
                    capacity.describe());
        }
    }
}
