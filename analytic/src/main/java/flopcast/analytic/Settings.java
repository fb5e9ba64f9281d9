package flopcast.analytic;

import java.util.Objects;

/**
 * How a model is trained, beside its shape: the precision policy, the attention kernel and the
 * recomputation mode. The default is the seed's: fp32, eager, none.
 */
public record Settings(PrecisionPolicy policy, AttentionKernel attention, Recompute recompute) {
    public static final Settings DEFAULT = new Settings(PrecisionPolicy.FP32, AttentionKernel.EAGER, Recompute.NONE);

    public Settings {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(attention, "attention");
        Objects.requireNonNull(recompute, "recompute");
    }

    public Settings withPolicy(PrecisionPolicy newPolicy) {
        return new Settings(newPolicy, attention, recompute);
    }

}
