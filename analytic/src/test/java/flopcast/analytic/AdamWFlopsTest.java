package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class AdamWFlopsTest {
    @Test
    void gpt2XlAdamWStepIs14PerParameterPlus8() {
        assertEquals(new BigInteger("29778806408"), AdamWFlops.step(2_127_057_600L));
        assertEquals(BigInteger.valueOf(22), AdamWFlops.step(1));
    }

    /** The words the tables print come from the constants the count uses. */
    @Test
    void formulaIsRenderedFromTheCount() {
        assertEquals("14 per parameter + 8", AdamWFlops.formula());
        assertEquals(AdamWFlops.step(1).subtract(AdamWFlops.step(0)).longValue() + " per parameter + "
                + AdamWFlops.step(0), AdamWFlops.formula());
    }
}
