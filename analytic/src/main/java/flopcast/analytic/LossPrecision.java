package flopcast.analytic;

/**
 * The type the cross-entropy runs in, and so the bytes of the logits' rows it keeps and writes:
 * {@code fp32} (float32 whatever the compute type: Hugging Face's causal LMs and torchtitan cast the
 * logits with {@code .float()} before the loss; Megatron-Core's cross-entropy casts them itself)
 * or {@code compute} (the compute type, as flopcast's executed model does). Under an fp32 policy
 * the two are one. What the loss keeps and writes in that type is its {@link Framework}'s loss kernel.
 * <p>Source: Loss precision. Pinned by {@code StepTimelineTest}.
 */
public enum LossPrecision {
    FP32("fp32"),
    COMPUTE("compute");

    private final String cliName;

    LossPrecision(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** Bytes of one logit in the loss's type under {@code policy}. */
    public int bytes(PrecisionPolicy policy) {
        return this == FP32 ? DataType.FLOAT32.bytes() : policy.activationType().bytes();
    }

    public static LossPrecision byName(String name) {
        return Names.byName(values(), LossPrecision::cliName, "loss precision", name);
    }

    public static String names() {
        return Names.list(values(), LossPrecision::cliName);
    }
}
