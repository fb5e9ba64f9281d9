package flopcast.analytic;

/**
 * A contiguous range of blocks that train nothing ({@code --freeze-layers FIRST-LAST}, 0-based and
 * inclusive): their norms, attention and MLP (router, experts and QK-norm gains included) have no
 * gradient, master copy or AdamW state, as the kinds {@code norms}, {@code attention} and {@code mlp}
 * of {@link FrozenKind} would be in those blocks alone. The blocks outside the range train what the
 * settings train. flopcast's model still runs every block's backward for its input's gradient, as it
 * does under a frozen kind; a framework's autograd skips the blocks below the first that needs one
 * (the pytorch profile, {@link TorchSavedTensor}). Source: analytic/SOURCES.md, "Frozen blocks". Pinned by
 * {@code FrozenLayersTest}.
 *
 * @param first the first frozen block, -1 for none
 * @param last  the last frozen block, -1 for none
 */
public record FrozenLayers(long first, long last) {
    /** No block frozen by range. */
    public static final FrozenLayers NONE = new FrozenLayers(-1, -1);
    /** The JSON key of the range in a {@code settings} object, and {@link Shape#describe()}'s word. */
    public static final String KEY = "freeze_layers";
    /** The option that gives it. */
    public static final String OPTION = "--freeze-layers";

    public FrozenLayers {
        boolean none = first == -1 && last == -1;
        if (!none && (first < 0 || last < first)) {
            throw new InvalidInputException(OPTION + " " + first + "-" + last + " is not a range of blocks (allowed:"
                    + " FIRST-LAST with 0 <= FIRST <= LAST, or one block)");
        }
    }

    /** Every one of {@code layers} blocks: the range of the view {@link Shape#block} gives a frozen block. */
    static FrozenLayers all(long layers) {
        return new FrozenLayers(0, layers - 1);
    }

    /** The range {@code text} gives: {@code FIRST-LAST} or one block {@code N}; a one-line error otherwise. */
    public static FrozenLayers parse(String text) {
        String trimmed = text.trim();
        int dash = trimmed.indexOf('-', 1);
        try {
            long first = Long.parseLong((dash < 0 ? trimmed : trimmed.substring(0, dash)).trim());
            long last = dash < 0 ? first : Long.parseLong(trimmed.substring(dash + 1).trim());
            if (first < 0) {
                // -1 alone would read as no range
                throw new NumberFormatException(text);
            }
            return new FrozenLayers(first, last);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(OPTION + " '" + text + "' is not a range of blocks (allowed: FIRST-LAST,"
                    + " 0-based and inclusive, such as 0-15, or one block such as 3)");
        }
    }

    public boolean active() {
        return first >= 0;
    }

    /** The blocks frozen: LAST - FIRST + 1, 0 for none. */
    public long count() {
        return active() ? last - first + 1 : 0;
    }

    public boolean covers(long block) {
        return active() && block >= first && block <= last;
    }

    /** True where the range freezes every one of {@code layers} blocks. */
    public boolean coversAll(long layers) {
        return active() && first == 0 && last >= layers - 1;
    }

    /** A one-line error where the range names a block past the model's {@code layers}. */
    void requireWithin(long layers) {
        if (active() && last >= layers) {
            throw new InvalidInputException(OPTION + " " + text() + " names block " + last + " of a model with "
                    + layers + " layers (allowed: blocks 0 to " + (layers - 1) + ")");
        }
    }

    /** As the option takes it: {@code FIRST-LAST}, or {@code N} for one block. */
    public String text() {
        return first == last ? Long.toString(first) : first + "-" + last;
    }
}
