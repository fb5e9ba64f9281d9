package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** Soft-capped scores and logits (Gemma 2's), counted by hand. */
class SoftCapTest {
    /** (V, T, L, d, h, d_ff, B) = (7, 3, 2, 8, 4, 6, 2): N = 6, B*h = 8 heads of 3 x 3, 6 attended entries each. */
    private static final Shape PLAIN = new Shape(7, 3, 2, 8, 4, 6, 2);
    private static final Shape CAPPED = PLAIN.withArchitecture(PLAIN.architecture().withSoftCap(new SoftCap(50, 30)));

    /** No parameter; eager keeps tanh of every score (B*h*T*T = 72 a block) and of every logit (N*V = 42). */
    @Test
    void keptRows() {
        assertEquals(ParameterTensor.total(PLAIN), ParameterTensor.total(CAPPED));
        assertEquals(72, KeptActivation.ATTENTION_SOFTCAP.elements(CAPPED));
        assertEquals(2, KeptActivation.ATTENTION_SOFTCAP.instances(CAPPED));
        assertEquals(42, KeptActivation.LOGIT_SOFTCAP.elements(CAPPED));
        assertEquals(KeptActivation.totalFloats(PLAIN) + 2 * 72 + 42, KeptActivation.totalFloats(CAPPED));
        assertEquals(0, KeptActivation.ATTENTION_SOFTCAP.instances(PLAIN));
        Shape flash = CAPPED.withSettings(new Settings(PrecisionPolicy.FP32, AttentionKernel.FLASH, Recompute.NONE));
        assertEquals(0, KeptActivation.ATTENTION_SOFTCAP.instances(flash), "flash recomputes it in a tile");
        assertEquals(9, WorkspaceBuffer.TILE_SOFTCAP.elements(flash));
        assertEquals(0, WorkspaceBuffer.TILE_SOFTCAP.instances(CAPPED));
        Shape selective = CAPPED.withSettings(new Settings(PrecisionPolicy.FP32, AttentionKernel.EAGER,
                Recompute.SELECTIVE));
        assertEquals(0, KeptActivation.ATTENTION_SOFTCAP.instances(selective));
        assertEquals(1, WorkspaceBuffer.HEAD_SOFTCAP.instances(selective), "rebuilt one head at a time");
        assertEquals(0, WorkspaceBuffer.HEAD_SOFTCAP.instances(PLAIN));
    }

    /**
     * The cap adds 7 FLOPs a value forward and 3 backward: softmax 8 heads x 6 entries x 7 = 336 forward
     * (eager's 8 x (6*6 + 3) = 312 before) and 8 x 6 x 3 = 144 backward; the logits 42 x 7 and 42 x 3; flash's
     * backward recomputes the cap, 8 x 6 x (7 + 3) more.
     */
    @Test
    void flops() {
        assertEquals(BigInteger.valueOf(312 + 336), ElementwiseFlops.forward(Component.ATTENTION_SOFTMAX, CAPPED));
        assertEquals(BigInteger.valueOf(8 * 6 * 5 + 144), ElementwiseFlops.backward(Component.ATTENTION_SOFTMAX,
                CAPPED));
        assertEquals(ElementwiseFlops.forward(Component.CROSS_ENTROPY, PLAIN).add(BigInteger.valueOf(42 * 7)),
                ElementwiseFlops.forward(Component.CROSS_ENTROPY, CAPPED));
        assertEquals(ElementwiseFlops.backward(Component.CROSS_ENTROPY, PLAIN).add(BigInteger.valueOf(42 * 3)),
                ElementwiseFlops.backward(Component.CROSS_ENTROPY, CAPPED));
        Settings flashing = new Settings(PrecisionPolicy.FP32, AttentionKernel.FLASH, Recompute.NONE);
        assertEquals(ElementwiseFlops.backward(Component.ATTENTION_SOFTMAX, PLAIN.withSettings(flashing))
                .add(BigInteger.valueOf(8 * 6 * 10)), ElementwiseFlops.backward(Component.ATTENTION_SOFTMAX,
                        CAPPED.withSettings(flashing)));
        assertEquals(CompleteAccounting.predict(PLAIN).flops().forward(),
                CompleteAccounting.predict(CAPPED).flops().forward(), "no matmul FLOP: MFU's FLOPs unchanged");
    }

    @Test
    void describedParsedAndRefused() {
        assertEquals("V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 attention_softcap=50 logit_softcap=30", CAPPED.describe());
        assertEquals(CAPPED, ShapeKey.parse(CAPPED.describe()));
        Shape fractional = PLAIN.withArchitecture(PLAIN.architecture().withSoftCap(new SoftCap(0, 2.5)));
        assertEquals(fractional, ShapeKey.parse(fractional.describe()));
        InvalidInputException refused = assertThrows(InvalidInputException.class, () -> new SoftCap(-1, 0));
        assertEquals("attention_softcap -1.0 must be a positive finite number (or none)", refused.getMessage());
    }

    /**
     * The pytorch profile (checked by the probe): tanh's result, B*h*T*T floats a layer and B*T*V once, and
     * the cap as a float64 scalar for div and again for mul, each time.
     */
    @Test
    void thePytorchProfileSavesTanhAndTheCapTwice() {
        assertTrue(TorchSavedTensor.covers(CAPPED));
        assertEquals(TorchSavedTensor.savedBytes(PLAIN) + 2 * (72 * 4 + 2 * 8) + 42 * 4 + 2 * 8,
                TorchSavedTensor.savedBytes(CAPPED));
    }
}
