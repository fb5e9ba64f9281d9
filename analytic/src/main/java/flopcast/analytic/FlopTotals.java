package flopcast.analytic;

import java.math.BigInteger;

/**
 * FLOPs of one training step.
 *
 * @param forward     forward matmul FLOPs
 * @param backward    backward matmul FLOPs
 * @param elementwise forward plus backward elementwise FLOPs; null where the accounting counts none
 * @param optimizer   AdamW FLOPs; null where the accounting counts none
 */
public record FlopTotals(BigInteger forward, BigInteger backward, BigInteger elementwise, BigInteger optimizer) {

    /** Model FLOPs of the step: forward plus backward matmuls (what MFU divides by). */
    public BigInteger step() {
        return forward.add(backward);
    }
}
