package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.math.BigDecimal;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/**
 * Model and hardware FLOPs by hand: forward 100, backward 200, recompute 30 make a step of 300
 * model FLOPs and 330 hardware FLOPs, 1.1 hardware FLOPs per model FLOP; at 40% MFU the hardware
 * is 44% busy.
 */
class FlopTotalsTest {
    private static final FlopTotals BY_HAND = new FlopTotals(BigInteger.valueOf(100), BigInteger.valueOf(200),
            BigInteger.ZERO, BigInteger.ZERO, BigInteger.valueOf(30));

    @Test
    void hardwareIsModelPlusRecompute() {
        assertEquals(BigInteger.valueOf(300), BY_HAND.step());
        assertEquals(BigInteger.valueOf(330), BY_HAND.hardware());
        assertEquals(0, new BigDecimal("1.1").compareTo(BY_HAND.hardwarePerModelFlop()));
    }

    @Test
    void hfuIsMfuTimesHardwarePerModelFlop() {
        assertEquals(0.44, BY_HAND.hfu(0.4), 1e-15);
        FlopTotals none = new FlopTotals(BigInteger.valueOf(100), BigInteger.valueOf(200), BigInteger.ZERO,
                BigInteger.ZERO, BigInteger.ZERO);
        assertEquals(0.5, none.hfu(0.5), 0.0, "nothing recomputed: HFU = MFU");
    }

    /** The seed counts no recompute: no hardware FLOPs, no HFU. */
    @Test
    void seedHasNoHfu() {
        FlopTotals seed = SeedAccounting.predict(Preset.SEED_GPT2_XL.shape(1)).flops();
        assertNull(seed.hardware());
        assertNull(seed.hardwarePerModelFlop());
        assertNull(seed.hfu(0.5));
    }

    /** Llama 3 8B under flash at T = 8192 recomputes one Q K^T a layer: 1.0371 hardware FLOPs per model FLOP. */
    @Test
    void flashOnLlama3_8bIs1_0371() {
        Shape shape = Preset.byName("llama3-8b").shape(1).withSettings(new Settings(PrecisionPolicy.BF16_MIXED,
                AttentionKernel.FLASH, Recompute.NONE));
        FlopTotals flops = CompleteAccounting.predict(shape).flops();
        assertEquals("1.0371", String.format(java.util.Locale.ROOT, "%.4f", flops.hardwarePerModelFlop()));
    }
}
