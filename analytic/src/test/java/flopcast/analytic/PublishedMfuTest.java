package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PublishedMfuTest {
    @Test
    void figuresAreReferencesMdsAndAllBf16WithASource() {
        assertEquals(0.514, PublishedMfu.MEGATRON_175B.mfu(), 0.0);
        assertEquals(0.37, PublishedMfu.NANOGPT_124M.mfu(), 0.0);
        assertEquals(0.642, PublishedMfu.MPT_7B.mfu(), 0.0);
        int checked = 0;
        for (PublishedMfu figure : PublishedMfu.values()) {
            assertEquals(Precision.BF16, figure.precision());
            assertFalse(figure.source().isBlank());
            assertTrue(figure.mfu() > 0.3 && figure.mfu() < 0.7, figure.name());
            checked++;
        }
        assertEquals(10, checked);
    }

    @Test
    void achievableMatmulIsMamf() {
        assertEquals(0.869, AchievableMatmul.bf16Fraction(Device.A100_80GB), 0.0005);
        assertEquals(0.803, AchievableMatmul.bf16Fraction(Device.H200), 0.0005);
    }
}
