package flopcast.analytic;

/**
 * Training memory in bytes at one batch size, and as a polynomial in B.
 *
 * @param parametersBytes     the weights
 * @param gradientsBytes      one gradient per weight
 * @param masterWeightsBytes  the fp32 copy a mixed-precision policy updates; 0 where none is kept
 * @param optimizerStateBytes AdamW's m and v
 * @param activationsBytes    what the forward pass keeps for the backward pass
 * @param workspaceBytes      what the backward pass writes besides; null where the accounting
 *                            counts none (seed)
 * @param polynomial          fixed + per_batch_element * B
 */
public record MemoryBreakdown(long parametersBytes, long gradientsBytes, long masterWeightsBytes,
        long optimizerStateBytes, long activationsBytes, Long workspaceBytes, MemoryPolynomial polynomial) {

    public long totalBytes() {
        long total = Math.addExact(Math.addExact(Math.addExact(parametersBytes, gradientsBytes), masterWeightsBytes),
                Math.addExact(optimizerStateBytes, activationsBytes));
        return workspaceBytes == null ? total : Math.addExact(total, workspaceBytes);
    }

    /** Parameters, gradients, m and v: 16 bytes per float32 parameter. */
    public static long modelStateBytes(long parameters) {
        return modelStateBytes(parameters, PrecisionPolicy.FP32);
    }

    /** Weights, gradients, master weights, m and v: {@code policy}'s bytes per parameter. */
    public static long modelStateBytes(long parameters, PrecisionPolicy policy) {
        return Math.multiplyExact(parameters, (long) policy.bytesPerParameter());
    }

    /**
     * {@code shape}'s model state: every weight (in the policy's weight type, or NF4 under QLoRA:
     * {@link ParameterTensor#totalWeightBytes}), and gradients, master weights, m and v for the
     * parameters that train (all, or LoRA's adapters: {@link ParameterTensor#trainable}).
     */
    public static long modelStateBytes(Shape shape) {
        PrecisionPolicy policy = shape.policy();
        return Math.addExact(ParameterTensor.totalWeightBytes(shape), Math.multiplyExact(
                ParameterTensor.trainable(shape), (long) (policy.bytesPerParameter() - policy.weightBytes())));
    }
}
