package flopcast.measure;

import flopcast.analytic.Shape;
import java.util.Locale;

/**
 * The shapes benchmarks run at, by name (one {@code @Param}, never a cross product of dimensions).
 * {@code tiny} is what the quick run measures; {@code small} is the 100 MB shape {@code train}
 * is shown on in the README; {@code wide} is where the vector backend is compared with EJML; the
 * others are the vector backend's held-out step shapes ({@link VectorStepBenchmark}), each unlike
 * the component shapes in one way at least.
 */
public enum NamedShape {
    TINY(new Shape(512, 64, 2, 128, 4, 512, 2)),
    SMALL(new Shape(4096, 128, 2, 256, 4, 1024, 4)),
    /** The fast path's target shape: the vector backend against EJML's concurrent ops. */
    WIDE(new Shape(4096, 256, 4, 512, 8, 2048, 4)),
    /** T above d, three heads: attention's T x T work dominates. */
    LONG(new Shape(2048, 512, 2, 192, 3, 768, 2)),
    /** Eight blocks of short sequences. */
    DEEP(new Shape(1024, 64, 8, 256, 4, 1024, 8)),
    /** One block under a large vocabulary: the LM head dominates. */
    VOCAB(new Shape(16384, 128, 1, 256, 4, 1024, 4)),
    /** d_ff = 8d, five heads. */
    FFN(new Shape(2048, 128, 2, 320, 5, 2560, 4)),
    /** d_ff = 2.67d (Llama's ratio), six heads. */
    NARROW(new Shape(4096, 256, 2, 384, 6, 1024, 2)),
    /** Many short sequences. */
    BATCH(new Shape(1024, 32, 2, 256, 4, 1024, 32)),
    /** The widest model: d = 768, twelve heads. */
    BROAD(new Shape(8192, 128, 2, 768, 12, 3072, 2));

    private final Shape shape;

    NamedShape(Shape shape) {
        this.shape = shape;
    }

    public Shape shape() {
        return shape;
    }

    public String paramName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static NamedShape byName(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
