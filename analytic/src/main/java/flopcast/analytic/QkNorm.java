package flopcast.analytic;

/**
 * QK-norm: an RMSNorm over the queries and over the keys after their projections, before rotary
 * positions and the scores, with a gain of its own for each:
 * <ul>
 * <li>{@code none}: none;
 * <li>{@code head}: over each head's d_k values, one d_k gain shared by the query heads and one by the
 * key heads (Qwen3's {@code q_norm} and {@code k_norm}, Gemma 3's): a reciprocal RMS per head and row;
 * <li>{@code projection}: over each token's whole projection, an h*d_k gain for the queries and an
 * h_kv*d_k one for the keys (OLMo 2's {@code q_norm} and {@code k_norm}): one reciprocal RMS per row.
 * </ul>
 * <p>Source: analytic/SOURCES.md, "QK-norm" (transformers' Qwen3Attention and Olmo2Attention).
 * Pinned by {@code QkNormTest}.
 */
public enum QkNorm {
    NONE("none"),
    HEAD("head"),
    PROJECTION("projection");

    private final String cliName;

    QkNorm(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** False for {@link #NONE}. */
    public boolean active() {
        return this != NONE;
    }

    /** The rows each token's queries are normalized in: h per head, 1 over the projection (0 without). */
    public long queryGroups(Shape shape) {
        return this == HEAD ? shape.heads() : active() ? 1 : 0;
    }

    /** As {@link #queryGroups} for the keys: h_kv, or 1. */
    public long keyGroups(Shape shape) {
        return this == HEAD ? shape.architecture().kvHeads() : active() ? 1 : 0;
    }

    /** The values one query norm row holds, its gain's width: d_k, or h*d_k. */
    public long queryWidth(Shape shape) {
        return this == HEAD ? shape.headDim() : shape.queryWidth();
    }

    /** As {@link #queryWidth} for the keys: d_k, or h_kv*d_k. */
    public long keyWidth(Shape shape) {
        return this == HEAD ? shape.headDim() : shape.kvWidth();
    }

    /** The mode named {@code name}, or a one-line error listing the names. */
    public static QkNorm byCliName(String name) {
        return Names.byName(values(), QkNorm::cliName, "QK-norm", name);
    }
}
