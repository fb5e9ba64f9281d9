package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The float32 working copies of the executed model under each policy, worked out by hand at
 * (V, T, L, d, h, d_ff, B) = (7, 3, 2, 6, 3, 10, 2), d_k = 2:
 * <pre>
 *   one instance of each parameter row  V*d + 2d + 4d^2 + d + 3*d*d_ff + d + d*V
 *                                       = 42 + 6 + 144 + 6 + 180 + 6 + 42 = 426 (384 tied: no d x V head)
 *   kept bfloat16 rows, one instance    10 of B*T*d (embedding and norm outputs, Q, K, V, attention
 *                                       output and residual, FFN residual) = 360, 4 of B*T*d_ff = 240,
 *                                       B*h*T*T = 54 (eager's probabilities), B*T*V = 42: 696
 *                                       (642 under flash; the reciprocal RMS rows and the
 *                                       log-sum-exp stay float32 and have none)
 *   workspace bfloat16 rows             4 of B*T*d + 2 of B*T*h_kv*d_k + 2 of B*T*d_ff = 336
 *                                       (the head scratch stays float32)
 * </pre>
 * Each parameter row has one copy per role the policy stores in bfloat16: weights and gradients
 * (bf16-mixed), weights (bf16-mixed-fp32-grads), weights, gradients, m and v (bf16).
 */
class WorkingCopiesTest {

    @ParameterizedTest
    @CsvSource({"fp32, eager, false, 0", "bf16-mixed, eager, false, 1884", "bf16-mixed-fp32-grads, eager, false, 1458",
            "bf16, eager, false, 2736", "bf16-mixed, flash, true, 1746"})
    void floatsAreOneInstanceOfEveryBfloat16Row(String policy, String attention, boolean tied, long floats) {
        Shape shape = new Shape(7, 3, 2, 6, 3, 10, 2).withArchitecture(new Architecture(3, tied)).withSettings(new Settings(
                PrecisionPolicy.byName(policy), AttentionKernel.byName(attention),
                attention.equals("flash") ? Recompute.SELECTIVE : Recompute.NONE));
        assertEquals(4 * floats, WorkingCopies.bytes(shape));
        List<WorkingCopies.Entry> entries = WorkingCopies.entries(shape);
        for (WorkingCopies.Entry entry : entries) {
            assertTrue(!entry.tensorName().endsWith("reciprocal_rms") && !entry.tensorName().startsWith("head.")
                    && !entry.tensorName().startsWith("flash.") && !entry.tensorName().equals("attention.logsumexp"),
                    entry.tensorName() + " stays float32 and needs no working copy");
        }
    }

    /** Full recomputation's one block of buffers is bfloat16 too, and its rows keep their one copy. */
    @ParameterizedTest
    @CsvSource({"none", "full"})
    void fullRecomputationKeepsTheSameCopies(String mode) {
        Shape shape = new Shape(7, 3, 2, 6, 3, 10, 2).withSettings(new Settings(PrecisionPolicy.BF16_MIXED,
                AttentionKernel.EAGER, Recompute.byName(mode)));
        assertEquals(4 * 1884, WorkingCopies.bytes(shape));
    }

    /**
     * QLoRA: the seven NF4 projection rows (4 d^2 + 3 d*d_ff = 324 floats a copy under LoRA) have no
     * copy of their own; each is dequantized into the one workspace row of d*max(h*d_k, d_ff) = 60.
     */
    @Test
    void anNf4RowIsDequantizedIntoTheWorkspaceRowsCopyAlone() {
        Shape lora = new Shape(7, 3, 2, 6, 3, 10, 2).withPolicy(PrecisionPolicy.BF16_MIXED);
        lora = lora.withSettings(lora.settings().withLora(Lora.of(2, EnumSet.allOf(LoraTarget.class))));
        Shape qlora = lora.withSettings(lora.settings().withLora(lora.settings().lora().withNf4Base(true)));
        assertEquals(WorkingCopies.bytes(lora) - 4 * 324 + 4 * 60, WorkingCopies.bytes(qlora));
        for (WorkingCopies.Entry entry : WorkingCopies.entries(qlora)) {
            for (ParameterTensor row : ParameterTensor.values()) {
                assertTrue(!row.nf4(qlora) || !entry.tensorName().equals(row.tensorName()), entry.tensorName());
            }
        }
        assertTrue(WorkingCopies.entries(qlora).contains(new WorkingCopies.Entry(
                WorkspaceBuffer.DEQUANTIZED_WEIGHT.tensorName(), WorkingCopies.Role.WORKSPACE, 60)));
    }

    /** A working copy is float32 whatever the policy: 4 bytes an element, exact past 2^31 elements. */
    @Test
    void floatBytesAreFourPerElement() {
        assertEquals(0, WorkingCopies.floatBytes(0));
        assertEquals(4 * 1884, WorkingCopies.floatBytes(1884));
        assertEquals(12_000_000_000L, WorkingCopies.floatBytes(3_000_000_000L));
    }
}
