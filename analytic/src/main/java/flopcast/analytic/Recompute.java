package flopcast.analytic;

/**
 * What the backward pass recomputes instead of keeping.
 * <ul>
 * <li>none: every kept tensor is kept (today);
 * <li>selective: the attention core's kept tensor (the probabilities, or flash's log-sum-exp) is
 * dropped and the core is recomputed in backward: one more Q K^T per layer;
 * <li>full: only each block's input is kept, and the block's whole forward pass reruns in
 * backward, into one block's worth of buffers.
 * </ul>
 * Recomputed matmuls are hardware FLOPs (HFU), never model FLOPs (MFU).
 * <p>Source: Korthikanti et al. 2022, arXiv 2205.05198, section 5 (selective and full
 * recomputation); PaLM (MFU excludes recomputation).
 */
public enum Recompute {
    NONE("none"),
    SELECTIVE("selective"),
    FULL("full");

    private final String cliName;

    Recompute(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static Recompute byName(String name) {
        return Names.byName(values(), Recompute::cliName, "recompute mode", name);
    }

    public static String names() {
        return Names.list(values(), Recompute::cliName);
    }
}
