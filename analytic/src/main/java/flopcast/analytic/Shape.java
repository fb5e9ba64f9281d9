package flopcast.analytic;

/**
 * The model and batch a prediction is for. Symbols as in the package documentation.
 *
 * @param vocabSize     V
 * @param contextLength T
 * @param layers        L
 * @param dModel        d
 * @param heads         h, which must divide d
 * @param dFf           d_ff
 * @param batchSize     B
 */
public record Shape(long vocabSize, long contextLength, long layers, long dModel, long heads, long dFf,
        long batchSize) {

    /** Every number positive, by {@link ShapeKey}'s rule and named by its key; h divides d. */
    public Shape(long vocabSize, long contextLength, long layers, long dModel, long heads, long dFf, long batchSize) {
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
        this.layers = layers;
        this.dModel = dModel;
        this.heads = heads;
        this.dFf = dFf;
        this.batchSize = batchSize;
        for (ShapeKey key : ShapeKey.values()) {
            key.requirePositive(key.of(this), key.key());
        }
        if (dModel % heads != 0) {
            throw new InvalidInputException(ShapeKey.D_MODEL.key() + " " + dModel + " is not divisible by "
                    + ShapeKey.NUM_HEADS.key() + " " + heads + ": heads must divide the model width (d_k = "
                    + ShapeKey.D_MODEL.key() + " / " + ShapeKey.NUM_HEADS.key() + ")");
        }
    }

    /** d_k = d / h. */
    public long headDim() {
        return dModel / heads;
    }

    /** N = B * T. */
    public long tokens() {
        return Math.multiplyExact(batchSize, contextLength);
    }

    /** The same model with another batch size. */
    public Shape withBatchSize(long newBatchSize) {
        return new Shape(vocabSize, contextLength, layers, dModel, heads, dFf, newBatchSize);
    }

    /** One line, symbols as in the package documentation, in {@link ShapeKey}'s order; {@link ShapeKey#parse} reads it. */
    public String describe() {
        StringBuilder text = new StringBuilder();
        for (ShapeKey key : ShapeKey.values()) {
            text.append(text.length() == 0 ? "" : " ").append(key.symbol()).append('=').append(key.of(this));
        }
        return text.toString();
    }

}
