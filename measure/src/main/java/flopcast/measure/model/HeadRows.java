package flopcast.measure.model;

/**
 * The head copies of attention: sequence b, head h of a (B*T) x (heads*d_k) row-major matrix moved to
 * and from a T x d_k one, one {@code System.arraycopy} of d_k floats per row. Shared by
 * {@link CausalAttention} and the benchmark that times them alone ({@code OverheadBenchmark}), so the
 * measured loop is the executed one.
 */
public final class HeadRows {
    private HeadRows() {
    }

    /** head = rows b*T .. b*T + T - 1, columns h*d_k .. h*d_k + d_k - 1 of source (width columns a row). */
    public static void gather(float[] source, int width, int context, int headDim, int b, int h, float[] head) {
        for (int t = 0; t < context; t++) {
            System.arraycopy(source, (b * context + t) * width + h * headDim, head, t * headDim, headDim);
        }
    }

    /** The reverse of {@link #gather}: head written into those rows and columns of target. */
    public static void scatter(float[] head, int width, int context, int headDim, int b, int h, float[] target) {
        for (int t = 0; t < context; t++) {
            System.arraycopy(head, t * headDim, target, (b * context + t) * width + h * headDim, headDim);
        }
    }
}
