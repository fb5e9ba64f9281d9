package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The pytorch profile by hand at (V, T, L, d, h, d_ff, B) = (11, 5, 1, 6, 3, 7, 2), B*T = 10:
 * <pre>
 *   one RMSNorm           3 * 60 + 10 + 60 (its output) = 250 floats
 *   attention core        3 * 60 (Q, K^T, V copies) + 150 (B*h*T*T) floats, 8 bytes (scale), 25 bytes (mask)
 *   rest of a layer       2 norms 500 + heads' output 60 + 4 * 70 (FFN) = 840 floats
 *   once                  final norm 250 + 110 log-probabilities floats, 2 * 80 bytes of int64 ids, 4 bytes
 *   fp32 none             (840 + 330) * 4 + 33 + 360 * 4 + 164 = 6,317 bytes
 *   h_kv = 1              + 2 indices of 3 int64 = 6,365
 *   bf16                  (1170 + 250) * 2 + 33 + 110 * 4 + 164 = 3,477 (the log-probabilities stay float32)
 *   selective             6,317 - 330 * 4 - 33 = 4,964;  full: only the once rows, 1,604
 * </pre>
 * probes/torch's CI run counts the same with saved_tensors_hooks on PyTorch 1.13 at other shapes.
 */
class TorchSavedTensorTest {

    @ParameterizedTest(name = "{0} {1} h_kv={2}")
    @CsvSource({"fp32, none, 3, 6317", "fp32, none, 1, 6365", "bf16, none, 3, 3477", "fp32, selective, 3, 4964",
        "fp32, full, 3, 1604", "bf16, full, 1, 1104"})
    void savedBytesByHand(String policy, String recompute, long kvHeads, long bytes) {
        Shape shape = new Shape(11, 5, 1, 6, 3, 7, 2, new Architecture(kvHeads, false),
                new Settings(PrecisionPolicy.byName(policy), AttentionKernel.EAGER, Recompute.byName(recompute)));
        assertEquals(bytes, TorchSavedTensor.savedBytes(shape));
    }

    /**
     * LoRA of rank 2 on Q and V at L = 2 (B*T = 10): a frozen matmul saves no input, a frozen gain no
     * normalized rows, and block 0, whose input is the frozen embedding's, saves only what its adapters'
     * gradients need:
     * <pre>
     *   block 0   attention norm output 60 (the adapters' A); K^T copy 60 (for dQ; Q's copy only for dK,
     *             and K needs none), probabilities 150, V copy 60, scale 8 bytes, mask 25 bytes; FFN norm's
     *             own 130; the MLP's three 210; the adapters' hidden values 2 * 20     = 710 floats,
     *             and each adapter's scale alpha / r, a float64 0-dimensional tensor: 2 * 8 bytes
     *   block 1   as block 0 with the attention norm's own 130 and Q's copy 60        = 900 floats
     *   once      final norm's own 130 (no normalized rows, no output: the head is frozen), 110
     *             log-probabilities; no token ids; 80 bytes of targets, 4 of the divisor
     *   total     (710 + 900 + 240) * 4 + 2 * (33 + 16) + 84 = 7,582 bytes
     * </pre>
     */
    @Test
    void loraSavesOnlyWhatTheAdaptersAndInputGradientsNeed() {
        Shape shape = new Shape(11, 5, 2, 6, 3, 7, 2);
        Shape lora = shape.withSettings(shape.settings().withLora(Lora.of(2, java.util.EnumSet.of(LoraTarget.QUERY,
                LoraTarget.VALUE))));
        assertTrue(TorchSavedTensor.covers(lora));
        assertEquals(7_582, TorchSavedTensor.savedBytes(lora));
        assertFalse(TorchSavedTensor.covers(lora.withPolicy(PrecisionPolicy.BF16).withSettings(lora
                .withPolicy(PrecisionPolicy.BF16).settings().withLora(lora.settings().lora().withNf4Base(true)))));
    }

    @Test
    void tyingSavesNothingMore() {
        Shape untied = new Shape(11, 5, 2, 6, 3, 7, 2);
        assertEquals(TorchSavedTensor.savedBytes(untied), TorchSavedTensor.savedBytes(untied.withArchitecture(new Architecture(3, true))));
    }

    @Test
    void namesAreUniqueAndEveryRowSaysWhoSavesIt() {
        Set<String> names = new HashSet<>();
        for (TorchSavedTensor tensor : TorchSavedTensor.ROWS) {
            assertTrue(names.add(tensor.tensorName()), tensor.tensorName());
            assertFalse(tensor.reader().isBlank(), tensor.tensorName());
        }
    }

    @Test
    void coversEagerAttentionUnderEveryPolicy() {
        Shape shape = new Shape(11, 5, 1, 6, 3, 7, 2);
        assertTrue(TorchSavedTensor.covers(shape));
        assertTrue(TorchSavedTensor.covers(shape.withPolicy(PrecisionPolicy.BF16)));
        assertTrue(TorchSavedTensor.covers(shape.withPolicy(PrecisionPolicy.BF16_MIXED)));
        assertEquals(TorchSavedTensor.savedBytes(shape.withPolicy(PrecisionPolicy.BF16)),
                TorchSavedTensor.savedBytes(shape.withPolicy(PrecisionPolicy.BF16_MIXED)));
        assertTrue(TorchSavedTensor.covers(shape.withPolicy(PrecisionPolicy.BF16_MIXED_FP32_GRADS)));
        assertFalse(TorchSavedTensor.covers(shape.withSettings(new Settings(PrecisionPolicy.FP32,
                AttentionKernel.FLASH, Recompute.NONE))));
        // the probe's model builds QK-norm (QkNormTest) but no head width of its own
        assertTrue(TorchSavedTensor.covers(shape.withArchitecture(new Architecture(3, false, LinearBias.NONE, 0,
                true))));
        assertFalse(TorchSavedTensor.covers(shape.withArchitecture(new Architecture(3, false, LinearBias.NONE, 4))));
    }
}
