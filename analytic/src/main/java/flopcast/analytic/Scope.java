package flopcast.analytic;

/** How many instances of a tensor or component the model holds. */
public enum Scope {
    /** One for the whole model. */
    ONCE,
    /** One in each of the L blocks. */
    PER_LAYER,
    /** Two in each of the L blocks (the two RMSNorms of a pre-norm block). */
    TWICE_PER_LAYER,
    /** One for the whole model, none where the LM head is tied to the token embedding. */
    ONCE_UNLESS_TIED;

    public long instances(Shape shape) {
        return switch (this) {
            case ONCE -> 1;
            case PER_LAYER -> shape.layers();
            case TWICE_PER_LAYER -> Math.multiplyExact(2, shape.layers());
            case ONCE_UNLESS_TIED -> shape.architecture().tiedEmbeddings() ? 0 : 1;
        };
    }
}
