package flopcast.analytic;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One row of a tensor table: a stored tensor, its shape as symbols, how many instances the model
 * holds, and who reads it. {@code measure} allocates its buffers from these rows, so the predicted
 * bytes are the bytes it holds.
 */
public interface TensorSpec {

    /**
     * What every tensor table declares of a row.
     *
     * @param tensorName snake_case name, stable: JSON and the measure module use it
     * @param component  the component the tensor belongs to (for activations: the one that writes it);
     *                   null for workspace, which every component shares
     * @param reader     the step that reads the tensor (for kept activations: the backward step)
     */
    record Row(String tensorName, Component component, Scope scope, DataType dataType, List<Dim> dims,
            String reader) {
        public Row {
            dims = List.copyOf(dims);
        }
    }

    /** The row as its table declares it. */
    Row row();

    /** snake_case name, stable: JSON and the measure module use it. */
    default String tensorName() {
        return row().tensorName();
    }

    default Scope scope() {
        return row().scope();
    }

    default DataType dataType() {
        return row().dataType();
    }

    default List<Dim> dims() {
        return row().dims();
    }

    /** The step that reads the tensor (for kept activations: the backward step). */
    default String reader() {
        return row().reader();
    }

    /** Elements of one instance at this shape. */
    default long elements(Shape shape) {
        long product = 1;
        for (Dim dim : dims()) {
            product = Math.multiplyExact(product, dim.size(shape));
        }
        return product;
    }

    /**
     * Instances at this shape and its settings: the scope's count, or 0 where the settings do not
     * hold the row (flash keeps no probabilities, eager no log-sum-exp, recomputation drops rows).
     */
    default long instances(Shape shape) {
        return scope().instances(shape);
    }

    /**
     * Elements of all instances at this shape: a block's row summed over the kinds of block where they
     * differ ({@link Shape#perBlock}: a frozen range, dense layers among experts).
     */
    default long totalElements(Shape shape) {
        if (scope() != Scope.ONCE && scope() != Scope.ONCE_UNLESS_TIED && shape.mixedBlocks()) {
            return shape.perBlock(view -> Math.multiplyExact(elements(view), instances(view)));
        }
        return Math.multiplyExact(elements(shape), instances(shape));
    }

    /**
     * True for a float row that stays float32 under every policy: a row statistic a fused kernel
     * writes in float32 (FlashAttention's log-sum-exp, a fused RMSNorm's reciprocal RMS) or an
     * attention kernel's own per-head scratch, which a GPU holds in float32 registers and shared
     * memory. False for the rest, which follow the policy's activation type.
     */
    default boolean float32UnderEveryPolicy() {
        return false;
    }

    /**
     * The type the row is stored in under {@code shape}'s precision policy: a float row in the
     * policy's activation type (bfloat16 under a bf16 policy) unless it is
     * {@linkplain #float32UnderEveryPolicy() float32 under every policy}, an int32 row as declared.
     */
    default DataType dataType(Shape shape) {
        return dataType() == DataType.FLOAT32 && !float32UnderEveryPolicy() ? shape.policy().activationType()
                : dataType();
    }

    default long totalBytes(Shape shape) {
        if (scope() != Scope.ONCE && scope() != Scope.ONCE_UNLESS_TIED && shape.mixedBlocks()) {
            return shape.perBlock(view -> bytes(view, instances(view)));
        }
        return bytes(shape, instances(shape));
    }

    /** Bytes of {@code count} instances at this shape, in the type its settings store the row in. */
    default long bytes(Shape shape, long count) {
        return Math.multiplyExact(Math.multiplyExact(elements(shape), count), dataType(shape).bytes());
    }

    /** True when the tensor grows with the batch (it has a B axis). */
    default boolean perBatchElement() {
        return dims().contains(Dim.B);
    }

    /** The element count as a product of symbols at {@code shape}'s attention, for example {@code B*h*T*T}. */
    default String productText(Shape shape) {
        return dims().stream().filter(dim -> dim.shown(shape)).map(dim -> dim.symbol(shape))
                .collect(Collectors.joining("*"));
    }

    /** The shape as written at {@code shape}'s attention, for example {@code [B, h, T, T]}. */
    default String shapeText(Shape shape) {
        return dims().stream().filter(dim -> dim.shown(shape)).map(dim -> dim.symbol(shape))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    /** The shape with every symbol as declared, {@code h_kv*d_k} included, for messages. */
    default String shapeText() {
        return dims().stream().map(Dim::symbol).collect(Collectors.joining(", ", "[", "]"));
    }
}
