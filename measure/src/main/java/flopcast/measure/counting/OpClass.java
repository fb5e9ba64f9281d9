package flopcast.measure.counting;

import flopcast.analytic.Component;

/**
 * The classes of work a training step's time is profiled under ({@link OpProfile}): one per
 * analytic {@link Component}, timed at the counting facade and in the op classes' own loops, then
 * the work no component's FLOPs describe, timed where it happens. Every piece of a step's work
 * belongs to one class; what no class times is the profile's remainder. Names are stable: the
 * table and the JSON print {@link #jsonName()}. Pinned by {@code OpProfileTest}.
 */
public enum OpClass {
    TOKEN_EMBEDDING(Component.TOKEN_EMBEDDING, "the row gather forward, the scatter-add backward"),
    RMSNORM(Component.RMSNORM, "the blocks' RMSNorms"),
    QKV_PROJECTION(Component.QKV_PROJECTION, "the Q, K and V matmuls"),
    ATTENTION_SCORES(Component.ATTENTION_SCORES, "Q K^T and its gradients, per head or tile"),
    ATTENTION_SOFTMAX(Component.ATTENTION_SOFTMAX, "the attention softmax, or flash's online softmax"),
    ATTENTION_WEIGHTED_SUM(Component.ATTENTION_WEIGHTED_SUM, "P V and its gradients, per head or tile"),
    OUTPUT_PROJECTION(Component.OUTPUT_PROJECTION, "the attention output matmul"),
    ROUTER(Component.ROUTER, "a mixture of experts' router matmul and its gradients"),
    FFN_W1(Component.FFN_W1, "the W1 matmul"),
    FFN_W3(Component.FFN_W3, "the W3 matmul"),
    FFN_SILU(Component.FFN_SILU, "SiLU and the gated product"),
    FFN_W2(Component.FFN_W2, "the W2 matmul"),
    LORA(Component.LORA, "the LoRA adapters' matmuls: x A, (.) B^T and their gradients"),
    FINAL_RMSNORM(Component.FINAL_RMSNORM, "the final RMSNorm"),
    OUTPUT_EMBEDDING(Component.OUTPUT_EMBEDDING, "the LM head matmul"),
    CROSS_ENTROPY(Component.CROSS_ENTROPY, "the loss: the logits' softmax, the mean, its gradient"),
    RESIDUAL_ADD(null, "x += f(x) after attention and after the FFN"),
    BIAS(null, "a projection's bias added to its output rows, and its gradient summed over them"),
    QK_NORM(null, "QK-norm: the RMSNorm over each head's queries and keys, its gradient and the zeroing before it"),
    HEAD_COPY(null, "a head's (or tile's) rows gathered from and scattered to the (B*T) x d tensors"),
    ROUTING(null, "a mixture of experts' top-k choice, gates' softmax, combine, their gradients and the scatter-add"
            + " of the experts' input gradients (the router's elementwise FLOPs)"),
    EXPERT_COPY(null, "an expert's rows gathered into its matmuls' scratch and copied out to the routed rows"),
    ATTENTION_SPLIT(null, "the attention split's wall time beyond the calling thread's timed part: hand-off, waiting"),
    LORA_SCALE(null, "a LoRA adapter's hidden values times alpha / r, forward, and their gradient, backward"),
    BF16_CONVERSION(null, "bfloat16 storage widened into float32 working copies and rounded back"),
    NF4_DEQUANTIZE(null, "QLoRA: an NF4 weight dequantized into bfloat16 for its matmul, forward and backward, and"
            + " widened into float32"),
    GRADIENT_ZEROING(null, "every parameter gradient and the residual gradient set to 0"),
    ADAMW(null, "the AdamW update");

    private static final OpClass[] BY_COMPONENT = new OpClass[Component.values().length];

    static {
        for (OpClass op : values()) {
            if (op.component != null) {
                BY_COMPONENT[op.component.ordinal()] = op;
            }
        }
        // the global layers' softmax under a window pattern is the same kernel, over every earlier key
        BY_COMPONENT[Component.ATTENTION_SOFTMAX_GLOBAL.ordinal()] = ATTENTION_SOFTMAX;
    }

    private final Component component;
    private final String meaning;

    OpClass(Component component, String meaning) {
        this.component = component;
        this.meaning = meaning;
    }

    /** The class that times {@code component}'s matmuls and kernels. */
    public static OpClass of(Component component) {
        return BY_COMPONENT[component.ordinal()];
    }

    /** The component whose FLOPs it executes, empty for the work no component describes. */
    public java.util.Optional<Component> component() {
        return java.util.Optional.ofNullable(component);
    }

    /** What it times, for the docs and the help. */
    public String meaning() {
        return meaning;
    }

    /** The component's JSON name, or the class's own: residual_add, head_copy and so on. */
    public String jsonName() {
        return component != null ? component.jsonName() : name().toLowerCase(java.util.Locale.ROOT);
    }
}
