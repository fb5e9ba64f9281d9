package flopcast.measure.buffers;

import flopcast.analytic.Dim;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import flopcast.analytic.TensorSpec;
import java.util.List;
import org.ejml.data.FMatrixRMaj;

/**
 * How a row of a tensor table becomes arrays: a 4-axis tensor [a, b, r, c] is a*b matrices of
 * r x c (the attention probabilities, one T x T matrix per sequence and head); any other tensor
 * (a routed MLP row [B, T, k, d_ff] included: (B*T*k) x d_ff, one row per token's slot) is one matrix whose columns are its last axis and whose rows are the product of the others ([d] is
 * 1 x d, [B, T, d] is (B*T) x d). Element counts are exactly the row's.
 */
public final class TensorAllocation {

    private TensorAllocation() {
    }

    /** Every matrix of one instance of {@code spec} at {@code shape}, zeroed. */
    public static FMatrixRMaj[] matrices(TensorSpec spec, Shape shape) {
        List<Long> sizes = spec.dims().stream().map(dim -> dim.size(shape)).toList();
        requireArray(spec, shape);
        if (perHead(spec)) {
            int count = toInt(spec, sizes.get(0) * sizes.get(1));
            FMatrixRMaj[] matrices = new FMatrixRMaj[count];
            for (int i = 0; i < count; i++) {
                matrices[i] = new FMatrixRMaj(toInt(spec, sizes.get(2)), toInt(spec, sizes.get(3)));
            }
            return matrices;
        }
        long columns = sizes.get(sizes.size() - 1);
        // a row the shape holds none of (the router's d x E without experts) is an empty matrix
        long rows = columns == 0 ? 0 : spec.elements(shape) / columns;
        return new FMatrixRMaj[] {new FMatrixRMaj(toInt(spec, rows), toInt(spec, columns))};
    }

    /** The one matrix of one instance of a tensor of fewer than 4 axes, zeroed. */
    public static FMatrixRMaj matrix(TensorSpec spec, Shape shape) {
        if (perHead(spec)) {
            throw new IllegalArgumentException("tensor " + spec.tensorName() + " " + spec.shapeText()
                    + " is one matrix per sequence and head, not one matrix");
        }
        return matrices(spec, shape)[0];
    }

    /** True for a 4-axis tensor of matrices, one per sequence and head; not a routed MLP row's slots. */
    static boolean perHead(TensorSpec spec) {
        return spec.dims().size() == 4 && !spec.dims().contains(Dim.K);
    }

    /** One instance of an int32 tensor, zeroed. */
    public static int[] ints(TensorSpec spec, Shape shape) {
        requireArray(spec, shape);
        return new int[toInt(spec, spec.elements(shape))];
    }

    private static void requireArray(TensorSpec spec, Shape shape) {
        if (spec.elements(shape) > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("tensor " + spec.tensorName() + " " + spec.shapeText() + " has "
                    + spec.elements(shape) + " elements at " + shape.describe()
                    + "; a Java array holds at most 2^31 - 9, so this shape cannot run");
        }
    }

    private static int toInt(TensorSpec spec, long value) {
        if (value > Integer.MAX_VALUE) {
            throw new InvalidInputException("tensor " + spec.tensorName() + " needs an axis of " + value
                    + " elements; arrays hold at most 2^31 - 1");
        }
        return (int) value;
    }
}
