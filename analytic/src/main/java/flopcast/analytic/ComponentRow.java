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
 * @param totalActivationFloats       kept float32 activations of every instance: {@code count} times
 *                                    {@code activationFloats} where every instance keeps alike, else their sum
 *                                    (a row kept by some instances only, {@code activationFloats} its share)
 */
public record ComponentRow(Component component, long count, long parameters, long activationFloats,
        BigInteger forwardFlops, BigInteger elementwiseFlops, String activationFormula, String forwardFlopsFormula,
        long totalActivationFloats) {

    /** Every instance keeping {@code activationFloats}. */
    public ComponentRow(Component component, long count, long parameters, long activationFloats,
            BigInteger forwardFlops, BigInteger elementwiseFlops, String activationFormula,
            String forwardFlopsFormula) {
        this(component, count, parameters, activationFloats, forwardFlops, elementwiseFlops, activationFormula,
                forwardFlopsFormula, Math.multiplyExact(count, activationFloats));
    }

    public long totalParameters() {
        return Math.multiplyExact(count, parameters);
    }

    public BigInteger totalForwardFlops() {
        return forwardFlops.multiply(BigInteger.valueOf(count));
    }
}
