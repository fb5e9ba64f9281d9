package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each policy's bytes per tensor kind, and the complete accounting's memory under it, by hand. */
class PrecisionPolicyTest {

    /** The issue's table: fp32 4+4+0+4+4, bf16-mixed 2+2+4+4+4, Megatron's 2+4+4+4+4, pure bf16 2+2+0+2+2. */
    @ParameterizedTest
    @CsvSource({"fp32, 4, 4, 0, 8, 16, float32, fp32", "bf16-mixed, 2, 2, 4, 8, 16, bfloat16, bf16",
            "bf16-mixed-fp32-grads, 2, 4, 4, 8, 18, bfloat16, bf16", "bf16, 2, 2, 0, 4, 8, bfloat16, bf16"})
    void bytesPerParameterAreTheIssuesTable(String name, int weights, int gradients, int master, int moments,
            int total, String activations, String compute) {
        PrecisionPolicy policy = PrecisionPolicy.byName(name);
        assertEquals(weights, policy.weightBytes());
        assertEquals(gradients, policy.gradientBytes());
        assertEquals(master, policy.masterWeightBytes());
        assertEquals(moments, policy.optimizerStateBytes());
        assertEquals(total, policy.bytesPerParameter());
        assertEquals(activations, policy.activationType().label());
        assertEquals(compute, policy.compute().cliName());
    }

    /**
     * (V, T, L, d, h, d_ff, B) = (7, 3, 2, 6, 3, 10, 2): P = 762 (CompleteAccountingTest); kept
     * float elements and workspace float elements from the fp32 prediction's bytes / 4, int32 ids and
     * targets 2*B*T = 12 elements, 48 bytes, under every policy. The float32-under-every-policy rows
     * are worked out by hand: the reciprocal RMS of 2L + 1 norms, (2L + 1)*B*T = 5*6 = 30 kept
     * floats; the eager head scratch, 7*T*d_k + T^2 = 7*3*2 + 9 = 51 workspace floats.
     */
    @ParameterizedTest
    @CsvSource({"fp32, 16, 4", "bf16-mixed, 16, 2", "bf16-mixed-fp32-grads, 18, 2", "bf16, 8, 2"})
    void memoryFollowsThePolicy(String name, int perParameter, int perFloat) {
        Shape fp32 = new Shape(7, 3, 2, 6, 3, 10, 2);
        PrecisionPolicy policy = PrecisionPolicy.byName(name);
        MemoryBreakdown reference = CompleteAccounting.predict(fp32).memory();
        MemoryBreakdown memory = CompleteAccounting.predict(fp32.withPolicy(policy)).memory();
        long ints = 2L * 2 * 3 * 4;
        long rmsFloats = 30;
        long scratchFloats = 51;
        long keptFloats = (reference.activationsBytes() - ints) / 4 - rmsFloats;
        long workspaceFloats = reference.workspaceBytes() / 4 - scratchFloats;
        assertEquals(762L * policy.weightBytes(), memory.parametersBytes());
        assertEquals(762L * policy.gradientBytes(), memory.gradientsBytes());
        assertEquals(762L * policy.masterWeightBytes(), memory.masterWeightsBytes());
        assertEquals(762L * policy.optimizerStateBytes(), memory.optimizerStateBytes());
        assertEquals(keptFloats * perFloat + rmsFloats * 4 + ints, memory.activationsBytes());
        assertEquals(workspaceFloats * perFloat + scratchFloats * 4, memory.workspaceBytes().longValue());
        assertEquals(762L * perParameter + (keptFloats + workspaceFloats) * perFloat
                + (rmsFloats + scratchFloats) * 4 + ints, memory.totalBytes());
        MemoryPolynomial polynomial = memory.polynomial();
        assertEquals(memory.totalBytes(), polynomial.fixedBytes() + 2 * polynomial.perBatchElementBytes(),
                "the polynomial at B = 2 is the total");
    }

    /** Llama 3 8B (P = 8,030,261,248) holds 128.5 GB of model state under bf16-mixed, 64.2 GB under bf16. */
    @ParameterizedTest
    @CsvSource({"fp32, 128484179968", "bf16-mixed, 128484179968", "bf16-mixed-fp32-grads, 144544702464",
            "bf16, 64242089984"})
    void llama3ModelStateUnderEachPolicy(String name, long expected) {
        Shape shape = Preset.LLAMA3_8B.shape(1).withPolicy(PrecisionPolicy.byName(name));
        MemoryBreakdown memory = CompleteAccounting.predict(shape).memory();
        assertEquals(expected, memory.parametersBytes() + memory.gradientsBytes() + memory.masterWeightsBytes()
                + memory.optimizerStateBytes());
    }
}
