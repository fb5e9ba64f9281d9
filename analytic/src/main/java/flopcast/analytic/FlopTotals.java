package flopcast.analytic;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

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

    /**
     * How many FLOPs the hardware executes per model FLOP: hardware over model FLOPs, to 16
     * significant digits; null where the accounting counts no recompute (seed).
     * <pre>
     *   hardware / model = (step + recompute) / step
     * </pre>
     * Convention: model FLOPs are forward plus backward matmuls ({@link #step()}); recomputed
     * matmuls (flash attention's backward Q K^T, selective or full recomputation) count once more
     * on the hardware, elementwise and optimizer FLOPs in neither. Source: Korthikanti, section 5
     * (HFU against MFU); PaLM, Appendix B. Pinned by {@code FlopTotalsTest}.
     */
    public BigDecimal hardwarePerModelFlop() {
        BigInteger hardware = hardware();
        return hardware == null ? null
                : new BigDecimal(hardware).divide(new BigDecimal(step()), MathContext.DECIMAL64);
    }

    /**
     * The hardware FLOPs utilization of a run at model FLOPs utilization {@code mfu}; null where
     * the accounting counts no recompute (seed).
     * <pre>
     *   HFU = MFU x hardware / model FLOPs
     * </pre>
     * Convention: both utilizations divide by the same peak; HFU counts the recomputed matmuls the
     * hardware runs, MFU only the model's. Source: Korthikanti, section 5; PaLM, Appendix B. Pinned
     * by {@code FlopTotalsTest}.
     */
    public Double hfu(double mfu) {
        BigDecimal ratio = hardwarePerModelFlop();
        return ratio == null ? null : mfu * ratio.doubleValue();
    }
}
