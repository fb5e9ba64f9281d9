package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * LoRA on the frozen model: PEFT's trainable count for Llama 2 7B, the model state of the adapters
 * alone, a frozen projection's backward, the rows a frozen model stops keeping, and the bad input it
 * refuses. {@code measure}'s {@code CountingTest} and {@code LoraTest} hold the executed model to it.
 */
class LoraTest {
    private static final Set<LoraTarget> QV = EnumSet.of(LoraTarget.QUERY, LoraTarget.VALUE);

    private static Shape lora(Shape shape, long rank, Set<LoraTarget> targets) {
        return shape.withSettings(shape.settings().withLora(Lora.of(rank, targets)));
    }

    /** PEFT's printout for meta-llama/Llama-2-7b-hf at r = 8 on q_proj and v_proj. */
    @Test
    void llama2AtRank8OnQueryAndValueHasPeftsCounts() {
        Shape shape = lora(Preset.LLAMA2_7B.shape(1), 8, QV);
        assertEquals(4_194_304L, ParameterTensor.trainable(shape), "trainable params");
        assertEquals(6_742_609_920L, ParameterTensor.total(shape), "all params");
        assertEquals(6_738_415_616L, ParameterTensor.total(Preset.LLAMA2_7B.shape(1)), "the model alone");
    }

    @Test
    void onlyTheAdaptersCarryGradientsMasterAndOptimizerState() {
        Shape shape = lora(Preset.LLAMA2_7B.shape(1), 16, EnumSet.allOf(LoraTarget.class))
                .withPolicy(PrecisionPolicy.BF16_MIXED);
        long all = ParameterTensor.total(shape);
        long trainable = ParameterTensor.trainable(shape);
        // per block r*(d + d) for Q, O; r*(d + h_kv*d_k) for K, V (h_kv = h); r*(d + d_ff) for W1, W3, W2
        assertEquals(32L * 16 * (4 * (4096 + 4096) + 3 * (4096 + 11008)), trainable);
        MemoryBreakdown memory = CompleteAccounting.predict(shape).memory();
        assertEquals(2 * all, memory.parametersBytes(), "every weight in bf16, the frozen ones included");
        assertEquals(2 * trainable, memory.gradientsBytes());
        assertEquals(4 * trainable, memory.masterWeightsBytes());
        assertEquals(8 * trainable, memory.optimizerStateBytes());
        assertEquals(memory.totalBytes(), memory.polynomial().bytesAt(1), "the batch polynomial holds the same state");
        assertEquals(AdamWFlops.step(trainable), CompleteAccounting.predict(shape).flops().optimizer());
    }

    /**
     * Backward matmuls: the frozen projections' and head's input gradients (1x their forward), Q K^T's
     * and P V's two gradients, and the adapters' four products (2x theirs).
     */
    @Test
    void aFrozenProjectionsBackwardIsItsInputGradientOnly() {
        Shape full = new Shape(512, 64, 2, 128, 4, 320, 2);
        Shape adapted = lora(full, 4, QV);
        FlopTotals trained = CompleteAccounting.predict(full).flops();
        FlopTotals frozen = CompleteAccounting.predict(adapted).flops();
        BigInteger weights = BigInteger.ZERO;
        for (Component component : Component.values()) {
            if (component.frozenWeights(adapted)) {
                weights = weights.add(MatmulFlops.forward(component, full)
                        .multiply(BigInteger.valueOf(component.instances(full))));
            }
        }
        BigInteger adapters = BigInteger.valueOf(2L * 2 * 64 * 4 * (128 + 128) * 2 * 2);   // 2 blocks, Q and V
        assertEquals(trained.forward().add(adapters), frozen.forward());
        assertEquals(trained.backward().subtract(weights).add(adapters.multiply(BigInteger.TWO)), frozen.backward(),
                "no weight gradient for a frozen weight");
    }

    /** Q and V adapted: the attention norm's output stays (their A reads it); no other projection input does. */
    @Test
    void aFrozenModelKeepsOnlyWhatItsAdaptersAndInputGradientsRead() {
        Shape full = new Shape(512, 64, 2, 128, 4, 320, 2);
        Shape adapted = lora(full, 4, QV);
        long n = 2 * 64;
        long dropped = 2 * (n * 128 + n * 128 + n * 320) + n * 128;   // ffn norm, attention and MLP output; final norm
        long hidden = 2 * 2 * n * 4;                                   // Q's and V's s * (x A), two blocks
        assertEquals(KeptActivation.totalFloats(full) - dropped + hidden, KeptActivation.totalFloats(adapted));
        assertEquals(0, KeptActivation.TOKEN_IDS.instances(adapted), "no embedding gradient, no ids");
        assertEquals(2, KeptActivation.ATTENTION_NORM_OUTPUT.instances(adapted));
        assertEquals(1, WorkspaceBuffer.FROZEN_NORM_OUTPUT.instances(adapted));
        assertEquals(1, WorkspaceBuffer.FROZEN_ATTENTION_OUTPUT.instances(adapted));
        assertEquals(1, WorkspaceBuffer.FROZEN_PRODUCT.instances(adapted));
        assertEquals(0, WorkspaceBuffer.FROZEN_PRODUCT.instances(full));
    }

    /**
     * QLoRA: bitsandbytes' NF4 with double quantization for a 4096 x 4096 weight is 8,388,608 bytes of
     * codes, 262,144 quantized block maxima and 1,024 float32 constants; the embedding, norms and head
     * stay bf16; one projection's dequantized copy is workspace.
     */
    @Test
    void anNf4BaseStoresTheBlocksProjectionsInFourBits() {
        assertEquals(8_388_608L + 262_144 + 4 * 1_024, Lora.nf4Bytes(4096L * 4096));
        assertEquals(1 + 1 + 4, Lora.nf4Bytes(1), "one code, one block maximum, one constant");
        Shape bf16 = lora(Preset.LLAMA3_8B.shape(1), 16, QV).withPolicy(PrecisionPolicy.BF16_MIXED);
        Shape nf4 = bf16.withSettings(bf16.settings().withLora(bf16.settings().lora().withNf4Base(true)));
        long projections = 0;
        long projectionBytes = 0;
        for (ParameterTensor row : ParameterTensor.values()) {
            if (row.nf4(nf4)) {
                projections += row.totalElements(nf4);
                projectionBytes += row.instances(nf4) * Lora.nf4Bytes(row.elements(nf4));
            }
        }
        // per block Q and O 4096 x 4096, K and V 4096 x 1024, W1, W3 and W2 4096 x 14336
        assertEquals(32L * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336), projections);
        MemoryBreakdown memory = CompleteAccounting.predict(nf4).memory();
        assertEquals(CompleteAccounting.predict(bf16).memory().parametersBytes() - 2 * projections + projectionBytes,
                memory.parametersBytes());
        assertEquals(4096L * 14336 * 2, WorkspaceBuffer.DEQUANTIZED_WEIGHT.totalBytes(nf4), "W1's, in bf16");
        assertEquals(0, WorkspaceBuffer.DEQUANTIZED_WEIGHT.totalBytes(bf16));
        assertEquals(nf4, ShapeKey.parse(nf4.describe()));
        assertTrue(assertThrows(InvalidInputException.class, () -> nf4.withPolicy(PrecisionPolicy.FP32)).getMessage()
                .contains("a bf16 policy"));
        assertThrows(InvalidInputException.class, () -> Lora.NONE.withNf4Base(true));
    }

    @Test
    void describeAndParseRoundTrip() {
        Shape shape = lora(Preset.LLAMA3_8B.shape(2), 16, EnumSet.of(LoraTarget.KEY, LoraTarget.W2));
        assertTrue(shape.describe().endsWith(" lora=16:key,w2"), shape.describe());
        assertEquals(shape, ShapeKey.parse(shape.describe()));
        Shape alpha = shape.withSettings(shape.settings().withLora(new Lora(16, 32, EnumSet.of(LoraTarget.W1))));
        assertEquals(alpha, ShapeKey.parse(alpha.describe()));
    }

    @Test
    void badAdaptersAreRefusedInOneLine() {
        Shape gpt2 = Preset.GPT2.shape(1);
        InvalidInputException absent = assertThrows(InvalidInputException.class,
                () -> lora(gpt2, 8, EnumSet.of(LoraTarget.W3)));
        assertTrue(absent.getMessage().contains("'w3' (up_proj) is not a projection of this architecture"),
                absent.getMessage());
        InvalidInputException wide = assertThrows(InvalidInputException.class,
                () -> lora(new Shape(64, 8, 1, 32, 4, 48, 1), 33, QV));
        assertTrue(wide.getMessage().startsWith("LoRA rank 33 is above query's width 32"), wide.getMessage());
        assertThrows(InvalidInputException.class, () -> Lora.of(8, EnumSet.noneOf(LoraTarget.class)));
        assertThrows(InvalidInputException.class, () -> new Lora(4, 0, QV));
        assertEquals(LoraTarget.W2, LoraTarget.byName("down_proj"));
        assertThrows(InvalidInputException.class, () -> LoraTarget.byName("c_attn"));
    }
}
