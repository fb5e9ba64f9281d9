package flopcast.analytic;

import java.math.BigInteger;

/**
 * FLOPs of one AdamW step over P parameters, as torch.optim.AdamW defines the update:
 * <pre>
 *   per parameter (14):  p *= 1 - lr*wd                         1
 *                        m = beta1*m + (1 - beta1)*g             3
 *                        v = beta2*v + (1 - beta2)*g*g           4
 *                        denom = sqrt(v) / sqrt(bc2) + eps       3
 *                        p -= step_size * m / denom              3
 *   per step (8):        beta1^t, beta2^t by running product     2
 *                        bc1 = 1 - beta1^t, bc2 = 1 - beta2^t    2
 *                        step_size = lr / bc1, sqrt(bc2)         2
 *                        1 - lr*wd                               2
 *   total                14*P + 8
 * </pre>
 * Convention: counted apart from model FLOPs, never in MFU. Source: PyTorch AdamW documentation
 * (algorithm box); REFERENCES.md ("about 14 elementwise FLOPs per parameter").
 * Pinned by {@code AdamWFlopsTest}.
 */
public final class AdamWFlops {
    public static final long PER_PARAMETER = 14;
    public static final long PER_STEP = 8;

    private AdamWFlops() {
    }

    /**
     * The count in words, from the constants above: {@code 14 per parameter + 8}. Convention and
     * source as the class says; pinned by {@code AdamWFlopsTest}.
     * <pre>
     *   PER_PARAMETER + " per parameter + " + PER_STEP
     * </pre>
     */
    public static String formula() {
        return PER_PARAMETER + " per parameter + " + PER_STEP;
    }

    public static BigInteger step(long parameters) {
        return BigInteger.valueOf(parameters).multiply(BigInteger.valueOf(PER_PARAMETER))
                .add(BigInteger.valueOf(PER_STEP));
    }
}
