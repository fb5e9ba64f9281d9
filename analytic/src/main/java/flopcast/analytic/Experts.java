package flopcast.analytic;

/**
 * A mixture of experts in place of each block's MLP: E experts of the architecture's MLP kind, each
 * d_ff wide (the config's expert width: Mixtral's {@code intermediate_size}, Qwen3-MoE's
 * {@code moe_intermediate_size}), and a router that sends every token to k of them. {@link #NONE}
 * (E = 0) is the dense MLP.
 * <p>The router is a d x E matrix without a bias. For each token it takes the k largest of its E
 * logits and weights the k experts' outputs by a softmax over those k logits, which is Mixtral's
 * softmax over all E followed by the top k renormalized to sum to 1 (and Qwen3-MoE's under
 * {@code norm_topk_prob}); the logits outside the k get no gradient. The block's MLP output is
 * sum over the k of gate * expert(x), added to the residual as the dense MLP's is. Every layer is
 * sparse; no expert is shared; no auxiliary load-balancing loss is computed (Hugging Face adds it
 * only where {@code output_router_logits} is true); no token is dropped (no capacity factor: an
 * expert takes every token routed to it, at most N, since a token's k experts are distinct).
 * <pre>
 *   parameters           the MLP's weights E times a block, plus the router's d*E
 *   active parameters    the MLP's weights k times a block (what one token's forward reads)
 *   expert matmul FLOPs  2*B*T*k*d*d_ff per matrix: every token runs k experts
 *   router matmul FLOPs  2*B*T*d*E
 * </pre>
 * Model FLOPs count what each token executes (k experts), and memory holds every expert's weights,
 * gradients and optimizer state. Expert parallelism, which would place E / ranks experts on each
 * rank, is not modelled: every count is for one whole model on one rank.
 * <p>Source: analytic/SOURCES.md, "Mixture of experts" (Mixtral of Experts, Jiang et al. 2024;
 * transformers' MixtralSparseMoeBlock and Qwen3MoeSparseMoeBlock). Pinned by {@code ExpertsTest}.
 *
 * @param count E, the experts per block, 0 for a dense MLP
 * @param topK  k, the experts each token is routed to: 1 &lt;= k &lt;= E (0 for a dense MLP)
 */
public record Experts(long count, long topK) {

    /** A dense MLP: no router, one MLP a block. */
    public static final Experts NONE = new Experts(0, 0);
    /** The JSON key of the experts in a {@code settings} object. */
    public static final String KEY = "experts";
    /** The option that sets E. */
    public static final String COUNT_OPTION = "--experts";
    /** The option that sets k. */
    public static final String TOP_K_OPTION = "--top-k";

    public Experts {
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
