package flopcast.analytic;

/**
 * Logit soft-capping (Gemma 2): x becomes c * tanh(x / c), bounding it to (-c, c), on the attention
 * scores before the softmax (its {@code attn_logit_softcapping}, 50) and on the LM head's logits before
 * the cross-entropy (its {@code final_logit_softcapping}, 30). Each cap adds, per capped value,
 * {@value ElementwiseFlops#SOFTCAP_FORWARD_PER_VALUE} FLOPs forward (x / c, tanh as 1 - 2 / (exp(2u) + 1),
 * times c) and {@value ElementwiseFlops#SOFTCAP_BACKWARD_PER_VALUE} backward (the gradient times
 * 1 - tanh^2), and keeps tanh(x / c) for that backward where the values are kept whole: eager
 * attention's B*h*T*T ({@link KeptActivation#ATTENTION_SOFTCAP}, as autograd's tanh saves its result) and
 * the logits' B*T*V ({@link KeptActivation#LOGIT_SOFTCAP}); flash attention recomputes it tile by tile
 * in its backward. The caps' values change no count. 0 is no cap.
 * <p>Source: analytic/SOURCES.md, "Soft-capping" (Gemma 2 report; transformers' Gemma2 attention and
 * Gemma2ForCausalLM). Pinned by {@code SoftCapTest}.
 *
 * @param attention the attention scores' cap c, or {@value #NONE}
 * @param logits    the LM head logits' cap, or {@value #NONE}
 */
public record SoftCap(double attention, double logits) {
    /** No cap. */
    public static final double NONE = 0;
    /** Neither cap. */
    public static final SoftCap OFF = new SoftCap(NONE, NONE);
    /** The JSON key of the attention cap in a {@code settings} object (null for none), and a describe token. */
    public static final String ATTENTION_KEY = "attention_softcap";
    /** The JSON key of the logits' cap in a {@code settings} object (null for none), and a describe token. */
    public static final String LOGITS_KEY = "logit_softcap";

    public SoftCap {
        for (double cap : new double[] {attention, logits}) {
            if (!(cap >= 0) || Double.isInfinite(cap)) {
                throw new InvalidInputException((cap == attention ? ATTENTION_KEY : LOGITS_KEY) + " " + cap
                        + " must be a positive finite number (or none)");
            }
        }
    }

    /** True where the attention scores are capped. */
    public boolean capsAttention() {
        return attention > 0;
    }

    /** True where the LM head's logits are capped. */
    public boolean capsLogits() {
        return logits > 0;
    }
}
