package flopcast.analytic;

import java.util.Objects;

/**
 * How a model is trained, beside its shape: the precision policy, the attention kernel, the
 * recomputation mode and what trains (every parameter, or LoRA adapters on the frozen model:
 * {@link Lora}). The default is the seed's: fp32, eager, none, every parameter.
 */
public record Settings(PrecisionPolicy policy, AttentionKernel attention, Recompute recompute, Lora lora) {
    public static final Settings DEFAULT = new Settings(PrecisionPolicy.FP32, AttentionKernel.EAGER, Recompute.NONE);

    public Settings {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(attention, "attention");
        Objects.requireNonNull(recompute, "recompute");
        Objects.requireNonNull(lora, "lora");
    }

    /** Every parameter trains. */
    public Settings(PrecisionPolicy policy, AttentionKernel attention, Recompute recompute) {
        this(policy, attention, recompute, Lora.NONE);
    }

    public Settings withPolicy(PrecisionPolicy newPolicy) {
        return new Settings(newPolicy, attention, recompute, lora);
    }

    /** The same settings training {@code newLora}'s adapters ({@link Lora#NONE}: every parameter). */
    public Settings withLora(Lora newLora) {
        return new Settings(policy, attention, recompute, newLora);
    }
}
