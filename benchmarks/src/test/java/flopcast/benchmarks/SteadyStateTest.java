package flopcast.benchmarks;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The warm-up's stopping rule on ops whose behaviour is known: one slow until a switch (as the
 * Vector API's fallbacks are until C2 compiles), one whose time never settles. Sleeps stand in for
 * work; what is checked is when the warm-up stops, not how fast anything runs.
 */
class SteadyStateTest {
    /** Long enough for any op below to settle many times over on a loaded machine. */
    private static final long BOUND_NANOS = 5_000_000_000L;

    private static Object sleep(long micros) {
        long until = System.nanoTime() + micros * 1000;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        return micros;
    }

    @Test
    void aSlowStartIsWaitedOutBeforeTheOpCountsAsSettled() {
        // 40 ms a call for the first 200 ms (two and a half rounds), then 1 ms a call: a round of the slow
        // phase never agrees with the fast phase, so the warm-up may only stop once three rounds ran fast
        long start = System.nanoTime();
        AtomicLong firstFast = new AtomicLong();
        AtomicLong lastCallEnd = new AtomicLong();
        SteadyState.Outcome outcome = SteadyState.settle(() -> {
            long now = System.nanoTime();
            if (now - start < 200_000_000L) {
                return sleep(40_000);
            }
            firstFast.compareAndSet(0, now);
            Object result = sleep(1_000);
            lastCallEnd.set(System.nanoTime());
            return result;
        }, BOUND_NANOS);
        assertTrue(outcome.settled(), "settled: " + outcome);
        // three whole rounds of at least 80 ms ran in the fast phase: measured as time, not as calls, so a
        // loaded machine that stretches each 1 ms call cannot fail it; one call's slack per round
        long fastNanos = lastCallEnd.get() - firstFast.get();
        long needed = SteadyState.QUIET_ROUNDS * (SteadyState.ROUND_NANOS - 1_000_000L);
        assertTrue(firstFast.get() > 0 && fastNanos >= needed,
                "it stopped after " + fastNanos / 1_000_000 + " ms of fast calls, under " + needed / 1_000_000 + " ms");
    }

    @Test
    void anOpThatNeverSettlesHitsTheBoundUnsettled() {
        // each call 20% slower than the last: successive rounds differ by 20% or more, three by 44%
        AtomicLong micros = new AtomicLong(200);
        SteadyState.Outcome outcome = SteadyState.settle(() -> sleep(micros.getAndUpdate(m -> m + m / 5 + 1)),
                1_000_000_000L);
        assertFalse(outcome.settled(), "settled: " + outcome);
    }

    @Test
    void noRoundBeforeTheMinimumCountsAsQuiet() {
        // a steady op settles in three rounds; with a 400 ms minimum it runs at least five rounds more
        long start = System.nanoTime();
        SteadyState.Outcome outcome = SteadyState.settle(() -> sleep(1_000), 400_000_000L, BOUND_NANOS);
        long ran = System.nanoTime() - start;
        assertTrue(outcome.settled(), "settled: " + outcome);
        assertTrue(ran >= 400_000_000L + SteadyState.QUIET_ROUNDS * SteadyState.ROUND_NANOS,
                "stopped after " + ran / 1_000_000 + " ms");
        assertTrue(outcome.rounds() >= 400 / 80 + SteadyState.QUIET_ROUNDS, "rounds: " + outcome);
    }
}
