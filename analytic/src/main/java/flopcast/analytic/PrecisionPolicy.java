package flopcast.analytic;

/**
 * How a training run stores each kind of tensor, in bytes per element:
 * <pre>
 *   policy                  weights  gradients  master  m  v   per parameter  compute
 *   fp32                    4        4          0       4  4   16             fp32
 *   bf16-mixed              2        2          4       4  4   16             bf16
 *   bf16-mixed-fp32-grads   2        4          4       4  4   18             bf16
 *   bf16                    2        2          0       2  2   8              bf16
 * </pre>
 * Kept activations and workspace are stored in the compute type, but for the row statistics and
 * attention scratch a fused kernel keeps in float32 ({@link TensorSpec#float32UnderEveryPolicy});
 * int32 token ids and targets stay int32. A time estimate divides by the compute type's peak unless {@code --precision} names another.
 * fp32 is the seed's (and the default).
 * <p>Source: Mixed precision (Micikevicius et al. 2018; ZeRO's 16 bytes per parameter; Megatron-LM's
 * fp32 gradient accumulation for bf16-mixed-fp32-grads).
 */
public enum PrecisionPolicy {
    FP32("fp32", DataType.FLOAT32, DataType.FLOAT32, null, DataType.FLOAT32, DataType.FLOAT32, Precision.FP32),
    BF16_MIXED("bf16-mixed", DataType.BFLOAT16, DataType.BFLOAT16, DataType.FLOAT32, DataType.FLOAT32,
            DataType.FLOAT32, Precision.BF16),
    BF16_MIXED_FP32_GRADS("bf16-mixed-fp32-grads", DataType.BFLOAT16, DataType.FLOAT32, DataType.FLOAT32,
            DataType.FLOAT32, DataType.FLOAT32, Precision.BF16),
    BF16("bf16", DataType.BFLOAT16, DataType.BFLOAT16, null, DataType.BFLOAT16, DataType.BFLOAT16, Precision.BF16);

    private final String cliName;
    private final DataType weights;
    private final DataType gradients;
    /** null: the policy keeps no master copy. */
    private final DataType masterWeights;
    private final DataType firstMoment;
    private final DataType secondMoment;
    private final Precision compute;

    PrecisionPolicy(String cliName, DataType weights, DataType gradients, DataType masterWeights,
            DataType firstMoment, DataType secondMoment, Precision compute) {
        this.cliName = cliName;
        this.weights = weights;
        this.gradients = gradients;
        this.masterWeights = masterWeights;
        this.firstMoment = firstMoment;
        this.secondMoment = secondMoment;
        this.compute = compute;
    }

    public String cliName() {
        return cliName;
    }

    /** The type the weights the matmuls read are stored in. */
    public DataType weightType() {
        return weights;
    }

    public DataType gradientType() {
        return gradients;
    }

    /** The master copy's type, or null where the policy keeps none. */
    public DataType masterWeightType() {
        return masterWeights;
    }

    public DataType firstMomentType() {
        return firstMoment;
    }

    public DataType secondMomentType() {
        return secondMoment;
    }

    public int weightBytes() {
        return weights.bytes();
    }

    public int gradientBytes() {
        return gradients.bytes();
    }

    /** 0 where the policy keeps no master copy. */
    public int masterWeightBytes() {
        return masterWeights == null ? 0 : masterWeights.bytes();
    }

    /** AdamW's m and v together. */
    public int optimizerStateBytes() {
        return firstMoment.bytes() + secondMoment.bytes();
    }

    /** Weights, gradients, master weights, m and v: 16, 16, 18 or 8. */
    public int bytesPerParameter() {
        return weightBytes() + gradientBytes() + masterWeightBytes() + optimizerStateBytes();
    }

    /** The type kept activations and workspace are stored in. */
    public DataType activationType() {
        return compute == Precision.FP32 ? DataType.FLOAT32 : DataType.BFLOAT16;
    }

    /** The arithmetic the matmuls run in: the peak a time estimate divides by by default. */
    public Precision compute() {
        return compute;
    }

    public static PrecisionPolicy byName(String name) {
        return Names.byName(values(), PrecisionPolicy::cliName, "precision policy", name);
    }

    public static String names() {
        return Names.list(values(), PrecisionPolicy::cliName);
    }
}
