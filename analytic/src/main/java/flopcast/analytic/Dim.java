package flopcast.analytic;

import java.util.function.ToLongFunction;

/** One axis of a tensor, named by its symbol (package documentation). */
public enum Dim {
    B("B", Shape::batchSize),
    T("T", Shape::contextLength),
    D("d", Shape::dModel),
    H("h", Shape::heads),
    D_K("d_k", Shape::headDim),
    D_FF("d_ff", Shape::dFf),
    V("V", Shape::vocabSize);

    private final String symbol;
    private final ToLongFunction<Shape> size;

    Dim(String symbol, ToLongFunction<Shape> size) {
        this.symbol = symbol;
        this.size = size;
    }

    public String symbol() {
        return symbol;
    }

    public long size(Shape shape) {
        return size.applyAsLong(shape);
    }
}
