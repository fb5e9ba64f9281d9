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

    public Shape {
        requirePositive("vocab_size", vocabSize);
        requirePositive("context_length", contextLength);
        requirePositive("num_layers", layers);
        requirePositive("d_model", dModel);
        requirePositive("num_heads", heads);
        requirePositive("d_ff", dFf);
        requirePositive("batch_size", batchSize);
        if (dModel % heads != 0) {
            throw new InvalidInputException("d_model " + dModel + " is not divisible by num_heads " + heads
                    + ": heads must divide the model width (d_k = d_model / num_heads)");
        }
    }

    private static void requirePositive(String name, long value) {
        if (value < 1) {
            throw new InvalidInputException(name + " must be a positive integer, got " + value);
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

    /** One line, symbols as in the package documentation. */
    public String describe() {
        return "V=" + vocabSize + " T=" + contextLength + " L=" + layers + " d=" + dModel + " h=" + heads
                + " d_ff=" + dFf + " B=" + batchSize;
    }
}
