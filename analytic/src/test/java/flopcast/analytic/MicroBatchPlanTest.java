package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The largest micro-batch that fits and divides the batch, by hand. */
class MicroBatchPlanTest {
    @Test
    void theLargestDivisorThatFits() {
        assertEquals(new MicroBatchPlan(2, 512), MicroBatchPlan.largestDividing(1024, 3), "3 fit, 3 does not divide");
        assertEquals(new MicroBatchPlan(4, 32), MicroBatchPlan.largestDividing(128, 5));
        assertEquals(new MicroBatchPlan(12, 1), MicroBatchPlan.largestDividing(12, 89), "the whole batch fits");
        assertEquals(new MicroBatchPlan(1, 97), MicroBatchPlan.largestDividing(97, 96), "a prime: one a pass");
        assertEquals(new MicroBatchPlan(36, 36), MicroBatchPlan.largestDividing(1296, 40), "a square's root");
        assertNull(MicroBatchPlan.largestDividing(1024, 0), "not one sequence fits");
        assertNull(MicroBatchPlan.largestDividing(MicroBatchPlan.MAX_PLANNED_BATCH + 1, 3));
    }
}
