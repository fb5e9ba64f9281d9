package flopcast.analytic;

import java.util.ArrayList;
import java.util.List;

/**
 * The float32 working copies the executed model ({@code measure}) holds under a bf16 policy. It
 * stores every bfloat16 tensor as 16-bit values and computes in float32: an op widens each
 * bfloat16 operand into the float32 working copy of its row, computes, and rounds what it wrote
 * back to bfloat16 (to nearest even). One copy per bfloat16 row, of one instance's elements, which
 * every instance of the row shares (no op reads two instances of one row at once):
 * <pre>
 *   kept activation    every bfloat16 row the settings hold (kept, or full recomputation's buffer)
 *   workspace          every bfloat16 row the settings hold (the [B, T, ...] activation gradients)
 *   parameter          per parameter row: its weight, and its gradient, m and v where the policy
 *                      stores them in bfloat16 (no copy of the float32 master weights); a row
 *                      LoRA freezes has its weight alone, and an NF4 row (QLoRA) none: its
 *                      weight is dequantized into the dequantized-weight workspace row's copy
 * </pre>
 * A GPU converts in registers, so these bytes are the CPU model's alone: {@code train} adds them to
 * the heap it predicts; {@code predict}'s device memory does not hold them. Under fp32 there are
 * none. Pinned by {@code WorkingCopiesTest}, and by {@code measure}'s heap checks.
 */
public final class WorkingCopies {

    /** Which stored tensor of a row a working copy widens. */
    public enum Role {
        WEIGHT("weight"), GRADIENT("gradient"), FIRST_MOMENT("m"), SECOND_MOMENT("v"), ACTIVATION("activation"),
        WORKSPACE("workspace");

        private final String label;

        Role(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * @param tensorName the row's name
     * @param role       which of its stored tensors the copy widens
     * @param floats     float32 elements of the copy: one instance of the row
     */
    public record Entry(String tensorName, Role role, long floats) {
    }

    private WorkingCopies() {
    }

    /** True where the executed model holds a working copy of kept row {@code row}. */
    public static boolean copies(KeptActivation row, Shape shape) {
        return row.dataType(shape) == DataType.BFLOAT16
                && (row.instances(shape) > 0 || row.recomputeInstances(shape) > 0);
    }

    /** True where the executed model holds a working copy of workspace row {@code row}. */
    public static boolean copies(WorkspaceBuffer row, Shape shape) {
        return row.dataType(shape) == DataType.BFLOAT16 && row.instances(shape) > 0;
    }

    /** The parameter roles stored in bfloat16 under {@code shape}'s policy: each gets one copy per parameter row. */
    public static List<Role> parameterRoles(Shape shape) {
        PrecisionPolicy policy = shape.policy();
        List<Role> roles = new ArrayList<>();
        addIfBfloat16(roles, Role.WEIGHT, policy.weightType());
        addIfBfloat16(roles, Role.GRADIENT, policy.gradientType());
        addIfBfloat16(roles, Role.FIRST_MOMENT, policy.firstMomentType());
        addIfBfloat16(roles, Role.SECOND_MOMENT, policy.secondMomentType());
        return roles;
    }

    /** As above for one row: a frozen row ({@link ParameterTensor#trains}) stores its weights alone. */
    public static List<Role> parameterRoles(ParameterTensor row, Shape shape) {
        List<Role> roles = parameterRoles(shape);
        if (row.nf4(shape)) {
            // NF4 codes, dequantized into the workspace row's copy: nothing of its own in bfloat16
            roles.clear();
        } else if (!row.trains(shape)) {
            roles.retainAll(List.of(Role.WEIGHT));
        }
        return roles;
    }

    private static void addIfBfloat16(List<Role> roles, Role role, DataType type) {
        if (type == DataType.BFLOAT16) {
            roles.add(role);
        }
    }

    /** Every working copy at {@code shape}, in table order: parameters, kept activations, workspace. */
    public static List<Entry> entries(Shape shape) {
        List<Entry> entries = new ArrayList<>();
        for (ParameterTensor row : ParameterTensor.values()) {
            if (row.instances(shape) > 0) {
                for (Role role : parameterRoles(row, shape)) {
                    entries.add(new Entry(row.tensorName(), role, largest(row, shape)));
                }
            }
        }
        for (KeptActivation row : KeptActivation.values()) {
            if (copies(row, shape)) {
                entries.add(new Entry(row.tensorName(), Role.ACTIVATION, largest(row, shape)));
            }
        }
        for (WorkspaceBuffer row : WorkspaceBuffer.values()) {
            if (copies(row, shape)) {
                entries.add(new Entry(row.tensorName(), Role.WORKSPACE, largest(row, shape)));
            }
        }
        return entries;
    }

    /**
     * Elements of one instance of {@code row}, the largest among the kinds of block that hold it where blocks
     * differ (a dense layer's MLP among experts): the one copy every instance shares is that large.
     */
    private static long largest(TensorSpec row, Shape shape) {
        // a workspace row is one buffer every block shares, whatever its scope
        boolean blocks = row instanceof WorkspaceBuffer || row.scope() != Scope.ONCE
                && row.scope() != Scope.ONCE_UNLESS_TIED;
        if (!blocks || !shape.mixedBlocks()) {
            return row.elements(shape);
        }
        return shape.maxOverBlocks(view -> row.instances(view) > 0 || row instanceof KeptActivation kept
                && kept.recomputeInstances(view) > 0 ? row.elements(view) : 0);
    }

    /** Float32 bytes of every working copy: 4 per element. */
    public static long bytes(Shape shape) {
        long floats = 0;
        for (Entry entry : entries(shape)) {
            floats = Math.addExact(floats, entry.floats());
        }
        return floatBytes(floats);
    }

    /**
     * Bytes of {@code floats} working-copy elements, which are float32 under every policy.
     * <pre>
     *   bytes = floats x 4          (DataType.FLOAT32)
     * </pre>
     * Convention: the CPU model's copies only; a GPU holds none. Source: DESIGN ("float32 unless a
     * precision is named"). Pinned by {@code WorkingCopiesTest}.
     */
    public static long floatBytes(long floats) {
        return Math.multiplyExact(floats, (long) DataType.FLOAT32.bytes());
    }
}
