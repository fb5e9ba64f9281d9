package flopcast.measure.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flopcast.analytic.Component;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.run.BackendChoice;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Every pair runs once, on its part's ops, and what the parts count lands in the shared counter's pass. */
class HeadPartsTest {

    @Test
    void everyPairRunsOnceAndPartsCountIntoTheSharedCounterInItsPass() {
        FlopCounter counter = new FlopCounter();
        HeadParts parts = new HeadParts(new CountingOps(counter, BackendChoice.of("ejml", 2)), 6);
        assertEquals(2, parts.parts());
        AtomicIntegerArray runs = new AtomicIntegerArray(6);
        counter.pass(FlopCounter.Pass.BACKWARD);
        parts.each((part, pair) -> {
            runs.incrementAndGet(pair);
            parts.ops(part).counter().matmul(Component.ATTENTION_SCORES, 10);
        });
        for (int pair = 0; pair < 6; pair++) {
            assertEquals(1, runs.get(pair), "pair " + pair);
        }
        assertEquals(60, counter.backwardMatmulFlops(Component.ATTENTION_SCORES));
        assertEquals(0, counter.forwardMatmulFlops(Component.ATTENTION_SCORES));
        parts.each((part, pair) -> parts.ops(part).counter().matmul(Component.ATTENTION_SCORES, 1));
        assertEquals(66, counter.backwardMatmulFlops(Component.ATTENTION_SCORES), "part counters reset after a split");
    }
}
