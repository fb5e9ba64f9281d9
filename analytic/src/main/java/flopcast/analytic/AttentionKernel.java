package flopcast.analytic;

/**
 * How attention keeps what its backward pass needs.
 * <ul>
 * <li>eager: the B*h*T*T probabilities are kept (what {@code measure} executes today);
 * <li>flash: the output and one float per row, the log-sum-exp (B*h*T), are kept; the backward
 * pass recomputes the scores tile by tile (one more Q K^T: hardware FLOPs, not model FLOPs) with
 * no T x T buffer, its workspace one tile per thread.
 * </ul>
 * <p>Source: FlashAttention (Dao et al. 2022, arXiv 2205.14135, Algorithms 1 and 2).
 */
public enum AttentionKernel {
    EAGER("eager"),
    FLASH("flash");

    private final String cliName;

    AttentionKernel(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static AttentionKernel byName(String name) {
        return Names.byName(values(), AttentionKernel::cliName, "attention kernel", name);
    }

    public static String names() {
        return Names.list(values(), AttentionKernel::cliName);
    }
}
