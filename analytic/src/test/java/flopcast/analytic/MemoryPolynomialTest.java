package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> POLYNOMIAL.fit(Capacity.of(0.5, Capacity.Unit.GB, "--memory-gb"), "the model state"));
        assertTrue(e.getMessage().contains("1,000,000,000 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("the model state alone needs"), e.getMessage());
    }
}
