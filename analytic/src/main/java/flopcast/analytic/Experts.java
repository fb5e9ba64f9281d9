package flopcast.analytic;

/**
 * A mixture of experts in place of each block's MLP: E experts of the architecture's MLP kind, each
 * d_ff wide (the config's expert width: Mixtral's {@code intermediate_size}, Qwen3-MoE's
 * {@code moe_intermediate_size}), and a router that sends every token to k of them. {@link #NONE}
 * (E = 0) is the dense MLP.
 * <p>The router is a d x E matrix without a bias. For each token it takes the k largest of its E
 * logits and weights the k experts' outputs by gates: {@code normalized}, a softmax over those k
 * logits, which is Mixtral's softmax over all E followed by the top k renormalized to sum to 1 (and
 * Qwen's under {@code norm_topk_prob}), the logits outside the k getting no gradient; else the
 * softmax over all E logits at the k chosen (Qwen2-MoE's {@code norm_topk_prob} false: the gates sum
 * to less than 1, and every logit gets a gradient). The block's MLP output is sum over the k of
 * gate * expert(x), plus, with a shared expert ({@code sharedFfn} d_sh > 0, Qwen2-MoE's), sigmoid(x w_g)
 * * shared(x): one more MLP of the same kind, d_sh wide, that every token runs, scaled by a gate of
 * its own (w_g a d-vector), added to the residual as the dense MLP's is. Every layer is sparse but the
 * {@code dense} ones ({@link DenseLayers}: DeepSeek's first layers, Qwen's {@code mlp_only_layers}); no
 * auxiliary load-balancing loss is computed (Hugging Face adds it only where
 * {@code output_router_logits} is true); no token is dropped (no capacity factor: an expert takes
 * every token routed to it, at most N, since a token's k experts are distinct).
 * <pre>
 *   parameters           the MLP's weights E times a block, plus the router's d*E, plus the shared
 *                        expert's MLP (d_sh wide) and its gate's d
 *   active parameters    the MLP's weights k times a block (what one token's forward reads), the
 *                        router's and the shared expert's
 *   expert matmul FLOPs  2*B*T*k*d*d_ff per matrix: every token runs k experts (+ 2*B*T*d*d_sh)
 *   router matmul FLOPs  2*B*T*d*E (+ 2*B*T*d, the shared expert's gate)
 * </pre>
 * Model FLOPs count what each token executes (k experts), and memory holds every expert's weights,
 * gradients and optimizer state. Expert parallelism, which would place E / ranks experts on each
 * rank, is not modelled: every count is for one whole model on one rank.
 * <p>Source: analytic/SOURCES.md, "Mixture of experts" (Mixtral of Experts, Jiang et al. 2024;
 * transformers' MixtralSparseMoeBlock, Qwen3MoeSparseMoeBlock and Qwen2MoeSparseMoeBlock). Pinned by
 * {@code ExpertsTest}.
 *
 * @param count      E, the experts per block, 0 for a dense MLP
 * @param topK       k, the experts each token is routed to: 1 &lt;= k &lt;= E (0 for a dense MLP)
 * @param normalized true where the k gates are a softmax over the k chosen logits (they sum to 1);
 *                   false where each is the softmax over all E at its expert
 * @param sharedFfn  d_sh, the width of the one shared expert every token runs, or 0 for none
 * @param dense      the layers whose MLP stays dense, and its width ({@link DenseLayers#NONE}: none)
 */
public record Experts(long count, long topK, boolean normalized, long sharedFfn, DenseLayers dense) {

    /** A dense MLP: no router, one MLP a block. */
    public static final Experts NONE = new Experts(0, 0);
    /** The option that sets the shared expert's width. */
    public static final String SHARED_OPTION = "--shared-expert-ffn";
    /** The option that sets how the gates are normalized. */
    public static final String GATES_OPTION = "--expert-gates";
    /** The word for gates normalized over the k chosen (the default). */
    public static final String NORMALIZED = "normalized";
    /** The word for gates that are the softmax over all E. */
    public static final String UNNORMALIZED = "unnormalized";
    /** The JSON key of the experts in a {@code settings} object. */
    public static final String KEY = "experts";
    /** The option that sets E. */
    public static final String COUNT_OPTION = "--experts";
    /** The option that sets k. */
    public static final String TOP_K_OPTION = "--top-k";

    public Experts {
        java.util.Objects.requireNonNull(dense, "dense");
        if (count < 0) {
            throw new InvalidInputException(COUNT_OPTION + " " + count + " must be a positive integer");
        }
        if (count == 0 && topK != 0) {
            throw new InvalidInputException(TOP_K_OPTION + " " + topK + " without experts (allowed: "
                    + COUNT_OPTION + " E with 1 <= k <= E)");
        }
        if (count > 0 && (topK < 1 || topK > count)) {
            throw new InvalidInputException(TOP_K_OPTION + " " + topK + " must be between 1 and the " + count
                    + " experts: each token is routed to k distinct experts");
        }
        if (sharedFfn < 0) {
            throw new InvalidInputException(SHARED_OPTION + " " + sharedFfn + " must be a positive integer");
        }
        if (count == 0 && (sharedFfn > 0 || !normalized || dense.active())) {
            throw new InvalidInputException((sharedFfn > 0 ? SHARED_OPTION + " " + sharedFfn
                    : dense.active() ? DenseLayers.OPTION + " " + dense.text()
                    : GATES_OPTION + " " + UNNORMALIZED) + " without experts (allowed: with " + COUNT_OPTION + " E)");
        }
    }

    /** Every layer sparse. */
    public Experts(long count, long topK, boolean normalized, long sharedFfn) {
        this(count, topK, normalized, sharedFfn, DenseLayers.NONE);
    }

    /** The same experts with {@code newDense} the layers that stay dense ({@link DenseLayers#NONE}: none). */
    public Experts withDense(DenseLayers newDense) {
        return new Experts(count, topK, normalized, sharedFfn, newDense);
    }

    /** E experts, k a token, the gates normalized over the k, no shared expert (Mixtral's). */
    public Experts(long count, long topK) {
        this(count, topK, true, 0);
    }

    /** True where a shared expert runs beside the routed ones. */
    public boolean shared() {
        return sharedFfn > 0;
    }

    /** The gates' word: {@value #NORMALIZED} or {@value #UNNORMALIZED}. */
    public String gates() {
        return normalized ? NORMALIZED : UNNORMALIZED;
    }

    /** True where the blocks' MLP is a mixture of experts. */
    public boolean active() {
        return count > 0;
    }

    /** The MLP instances a block holds: E, or 1 for a dense MLP. */
    public long instancesPerBlock() {
        return active() ? count : 1;
    }

    /** The MLPs each token runs through a block: k, or 1 for a dense MLP. */
    public long perToken() {
        return active() ? topK : 1;
    }
}
