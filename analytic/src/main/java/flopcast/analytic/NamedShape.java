package flopcast.analytic;

import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import java.util.Locale;

/**
 * The shapes benchmarks run at, by name (one {@code @Param}, never a cross product of dimensions).
 * {@code tiny} is what the quick run measures; {@code small} is the 100 MB shape {@code train}
 * is shown on in the README; {@code wide} is where the vector backend is compared with EJML; the
 * others are the vector backend's held-out step shapes ({@link VectorStepBenchmark}), each unlike
 * the component shapes in one way at least. Each is written as {@link Shape#describe()} prints it,
 * every symbol named, so no two numbers can trade places unseen.
 */
public enum NamedShape {
    TINY(ShapeKey.parse("V=512 T=64 L=2 d=128 h=4 d_ff=512 B=2")),
    SMALL(ShapeKey.parse("V=4096 T=128 L=2 d=256 h=4 d_ff=1024 B=4")),
    /** The fast path's target shape: the vector backend against EJML's concurrent ops. */
    WIDE(ShapeKey.parse("V=4096 T=256 L=4 d=512 h=8 d_ff=2048 B=4")),
    /** T above d, three heads: attention's T x T work dominates. */
    LONG(ShapeKey.parse("V=2048 T=512 L=2 d=192 h=3 d_ff=768 B=2")),
    /** Eight blocks of short sequences. */
    DEEP(ShapeKey.parse("V=1024 T=64 L=8 d=256 h=4 d_ff=1024 B=8")),
    /** One block under a large vocabulary: the LM head dominates. */
    VOCAB(ShapeKey.parse("V=16384 T=128 L=1 d=256 h=4 d_ff=1024 B=4")),
    /** d_ff = 8d, five heads. */
    FFN(ShapeKey.parse("V=2048 T=128 L=2 d=320 h=5 d_ff=2560 B=4")),
    /** d_ff = 2.67d (Llama's ratio), six heads. */
    NARROW(ShapeKey.parse("V=4096 T=256 L=2 d=384 h=6 d_ff=1024 B=2")),
    /** Many short sequences. */
    BATCH(ShapeKey.parse("V=1024 T=32 L=2 d=256 h=4 d_ff=1024 B=32")),
    /** The widest model: d = 768, twelve heads. */
    BROAD(ShapeKey.parse("V=8192 T=128 L=2 d=768 h=12 d_ff=3072 B=2"));

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
