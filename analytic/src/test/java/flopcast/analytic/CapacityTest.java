package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CapacityTest {
    @Test
    void gigabytesAreTenToTheNinthToThreeDecimals() {
        assertEquals("247.559 GB", Capacity.gigabytes(247_559_031_040L));
        assertEquals("0.000 GB", Capacity.gigabytes(0));
        assertEquals("16,356.378 GB", Capacity.gigabytes(16_356_377_724_928L));
    }

    @Test
    void gbIsTenToTheNinthAndGibTwoToTheThirtieth() {
        assertEquals(80_000_000_000L, Capacity.of(80, Capacity.Unit.GB, "--memory-gb").bytes());
        assertEquals(85_899_345_920L, Capacity.of(80, Capacity.Unit.GIB, "--memory-gib").bytes());
        assertEquals(1_500_000_000L, Capacity.of(1.5, Capacity.Unit.GB, "--memory-gb").bytes());
    }

    @Test
    void describeNamesTheUnitAndTheBytes() {
        assertEquals("80 GiB (85,899,345,920 bytes)", Capacity.of(80, Capacity.Unit.GIB, "--memory-gib").describe());
    }

    @Test
    void negativeNanAndHugeCapacitiesAreRefused() {
        assertThrows(InvalidInputException.class, () -> Capacity.of(-1, Capacity.Unit.GB, "--memory-gb"));
        assertThrows(InvalidInputException.class, () -> Capacity.of(Double.NaN, Capacity.Unit.GB, "--memory-gb"));
        assertThrows(InvalidInputException.class, () -> Capacity.of(1e30, Capacity.Unit.GIB, "--memory-gib"));
    }
}
