package flopcast.analytic;

import java.math.BigInteger;

/**
 * FLOPs of one training step.
 *
 * @param forward     forward matmul FLOPs
 * @param backward    backward matmul FLOPs
 * @param elementwise forward plus backward elementwise FLOPs; null where the accounting counts none
 * @param optimizer   AdamW FLOPs; null where the accounting counts none
 * @param recompute   matmul FLOPs the step executes again (flash attention's backward scores,
 *                    recomputation); null where the accounting counts none (seed)
 */
public record FlopTotals(BigInteger forward, BigInteger backward, BigInteger elementwise, BigInteger optimizer,
        BigInteger recompute) {

    /** Model FLOPs of the step: forward plus backward matmuls (what MFU divides by). */
    public BigInteger step() {
        return forward.add(backward);
    }

    /** Hardware FLOPs: model FLOPs plus recomputed matmuls (what HFU divides by); null where recompute is. */
    public BigInteger hardware() {
        return recompute == null ? null : step().add(recompute);
    }
}
