package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemoryPolynomialTest {
    private static final MemoryPolynomial POLYNOMIAL = new MemoryPolynomial(1_000_000_000L, 300_000_000L);

    @Test
    void largestBatchRoundsDown() {
        MemoryPolynomial.BatchFit fit = POLYNOMIAL.fit(Capacity.of(2, Capacity.Unit.GB, "--memory-gb"), "x");
        assertEquals(3, fit.batchSize());
        assertEquals(1_000_000_000.0 / 300_000_000.0, fit.fractional(), 0.0);
    }

    @Test
    void fixedPartFitsButNoSequenceIsBatchZero() {
        MemoryPolynomial.BatchFit fit = POLYNOMIAL.fit(Capacity.of(1.2, Capacity.Unit.GB, "--memory-gb"), "x");
        assertEquals(0, fit.batchSize());
        assertEquals(200_000_000L, fit.spareBytes());
    }

    @Test
    void capacityBelowTheFixedPartSaysWhatTheModelStateNeeds() {
        MemoryPolynomial.BatchFit fit = POLYNOMIAL.fit(Capacity.of(0.5, Capacity.Unit.GB, "--memory-gb"),
                "the model state");
        assertEquals(0, fit.batchSize());
        assertEquals(-500_000_000L, fit.spareBytes());
        assertFalse(fit.fixedPartFits());
        assertEquals("the model state alone needs 1,000,000,000 bytes (1.000 GB, 0.931 GiB), 500,000,000 more than"
                + " 0.5 GB (500,000,000 bytes)", fit.shortfall());
    }

    /** 2 GB holds 3 sequences (3.33): 3 fits, 4 does not; below the fixed part nothing fits. */
    @Test
    void fitsIsTheAskedBatchAgainstTheLargest() {
        MemoryPolynomial.BatchFit fit = POLYNOMIAL.fit(Capacity.of(2, Capacity.Unit.GB, "--memory-gb"), "x");
        assertTrue(fit.fits(1));
        assertTrue(fit.fits(3));
        assertFalse(fit.fits(4));
        MemoryPolynomial.BatchFit none = POLYNOMIAL.fit(Capacity.of(1.2, Capacity.Unit.GB, "--memory-gb"), "x");
        assertFalse(none.fits(1));
        MemoryPolynomial.BatchFit below = POLYNOMIAL.fit(Capacity.of(0.5, Capacity.Unit.GB, "--memory-gb"), "x");
        assertFalse(below.fits(0), "the fixed part alone does not fit: not even an empty batch");
        assertFalse(below.fits(1));
    }
}
