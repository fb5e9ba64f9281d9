package flopcast.analytic;

/**
 * Training memory in bytes at one batch size, and as a polynomial in B.
 *
 * @param parametersBytes     the weights
 * @param gradientsBytes      one gradient per weight
 * @param optimizerStateBytes AdamW's m and v
 * @param activationsBytes    what the forward pass keeps for the backward pass
 * @param workspaceBytes      what the backward pass writes besides; null where the accounting
 *                            counts none (seed)
 * @param polynomial          fixed + per_batch_element * B
 */
public record MemoryBreakdown(long parametersBytes, long gradientsBytes, long optimizerStateBytes,
        long activationsBytes, Long workspaceBytes, MemoryPolynomial polynomial) {

    public long totalBytes() {
        long total = Math.addExact(Math.addExact(parametersBytes, gradientsBytes),
                Math.addExact(optimizerStateBytes, activationsBytes));
        return workspaceBytes == null ? total : Math.addExact(total, workspaceBytes);
    }

    /** Parameters, gradients, m and v: 16 bytes per float32 parameter. */
    public static long modelStateBytes(long parameters) {
        return Math.multiplyExact(parameters, 4L * DataType.FLOAT32.bytes());
    }
}
