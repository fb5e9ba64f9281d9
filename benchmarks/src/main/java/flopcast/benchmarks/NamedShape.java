package flopcast.benchmarks;

import flopcast.analytic.Shape;
import java.util.Locale;

/**
 * The shapes benchmarks run at, by name (one {@code @Param}, never a cross product of dimensions).
 * {@code tiny} is what the quick run measures; {@code small} is the 100 MB shape {@code train}
 * is shown on in the README; {@code wide} is where the vector backend is compared with EJML.
 */
public enum NamedShape {
    TINY(new Shape(512, 64, 2, 128, 4, 512, 2)),
    SMALL(new Shape(4096, 128, 2, 256, 4, 1024, 4)),
    /** The fast path's target shape: the vector backend against EJML's concurrent ops. */
    WIDE(new Shape(4096, 256, 4, 512, 8, 2048, 4));

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
