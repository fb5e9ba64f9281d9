package flopcast.analytic;

import java.math.BigInteger;

/**
 * One component of one accounting at one shape, per instance; {@code count} instances are in
 * the model.
 *
 * @param component                   which
 * @param count                       instances in the model (2L for the block RMSNorms)
 * @param parameters                  trained parameters of one instance
 * @param activationFloats            kept float32 activations of one instance
 * @param forwardFlops                forward matmul FLOPs of one instance
 * @param elementwiseFlops            forward plus backward elementwise FLOPs of one instance;
 *                                    null under an accounting that counts none (seed)
 * @param activationFormula           {@code activationFloats} as a formula
 * @param forwardFlopsFormula         {@code forwardFlops} as a formula
 */
public record ComponentRow(Component component, long count, long parameters, long activationFloats,
        BigInteger forwardFlops, BigInteger elementwiseFlops, String activationFormula, String forwardFlopsFormula) {

    public long totalParameters() {
        return Math.multiplyExact(count, parameters);
    }

    public long totalActivationFloats() {
        return Math.multiplyExact(count, activationFloats);
    }

    public BigInteger totalForwardFlops() {
        return forwardFlops.multiply(BigInteger.valueOf(count));
    }
}
