package flopcast.measure.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Splitting a loop: every item once, parts aligned and no smaller than asked, their returns summed. */
class WorkersTest {

    @Test
    void everyItemRunsExactlyOnceAndTheSumIsExact() {
        Workers workers = new Workers(3);
        for (int count : new int[] {0, 1, 2, 7, 64, 1000, 1001}) {
            AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(1, count));
            long sum = workers.split(count, 1, 1, (part, from, to) -> {
                for (int i = from; i < to; i++) {
                    seen.incrementAndGet(i);
                }
                return 3L * (to - from) + 1;
            });
            for (int i = 0; i < count; i++) {
                assertEquals(1, seen.get(i), "item " + i + " of " + count);
            }
            int parts = workers.parts(count, 1);
            assertEquals(3L * count + parts, sum, "each part's return counted once, for " + count + " items");
        }
    }

    @Test
    void partsRespectGrainAndAlignment() {
        Workers workers = new Workers(4);
        assertEquals(1, workers.parts(15, 8), "fewer than two grains: one part");
        assertEquals(2, workers.parts(16, 8));
        assertEquals(4, workers.parts(1000, 8), "never more parts than threads");
        assertEquals(1, workers.parts(1_000_000, Integer.MAX_VALUE));
        AtomicIntegerArray starts = new AtomicIntegerArray(4);
        workers.split(1000, 8, 8, (part, from, to) -> {
            starts.set(part, from);
            assertEquals(0, from % 8, "part " + part + " starts at a multiple of the alignment");
            return 0;
        });
        assertTrue(starts.get(3) > starts.get(2) && starts.get(2) > starts.get(1) && starts.get(1) > 0);
    }

    @Test
    void aSplitInsideAPartRunsWholeOnItsThread() {
        Workers workers = new Workers(2);
        long total = workers.split(4, 1, 1, (part, from, to) -> {
            Thread outer = Thread.currentThread();
            return workers.split(100, 1, 1, (inner, innerFrom, innerTo) -> {
                assertSame(outer, Thread.currentThread(), "nested parts stay on the calling thread");
                assertEquals(0, innerFrom);
                assertEquals(100, innerTo);
                return innerTo - innerFrom;
            });
        });
        assertEquals(200, total, "two outer parts, each running the inner loop whole");
    }

    @Test
    void aFailingPartFailsTheSplit() {
        Workers workers = new Workers(2);
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> workers.split(10, 1, 1, (part, from, to) -> {
                    if (part == 1) {
                        throw new ArithmeticException("part 1");
                    }
                    return 0;
                }));
        assertEquals("part 1", failure.getCause().getMessage());
        assertEquals(10, workers.split(10, 1, 1, (part, from, to) -> to - from), "usable after a failure");
    }

    @Test
    void atLeastOneThread() {
        assertThrows(IllegalArgumentException.class, () -> new Workers(0));
    }
}
