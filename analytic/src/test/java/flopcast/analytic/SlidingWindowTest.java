package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A sliding window as long as the context changes no count; a shorter one is refused. */
class SlidingWindowTest {
    private static final Shape PLAIN = new Shape(7, 6, 2, 8, 4, 6, 2, new Architecture(2, true));

    private static Shape windowed(long window, long context) {
        return new Shape(7, context, 2, 8, 4, 6, 2, new Architecture(2, true, LinearBias.NONE,
                Architecture.HEAD_DIM_FROM_WIDTH, false, window));
    }

    /** w = T and w > T: every key within reach, so every count of every accounting is the windowless one. */
    @Test
    void aWindowAtLeastTheContextChangesNoCount() {
        for (long window : new long[] {6, 7, 100}) {
            Shape shape = windowed(window, 6);
            for (Accounting accounting : Accounting.values()) {
                Prediction with = accounting.predict(shape);
                Prediction without = accounting.predict(PLAIN);
                assertEquals(without.parameters(), with.parameters(), accounting + " w=" + window);
                assertEquals(without.memory(), with.memory(), accounting + " w=" + window);
                assertEquals(without.flops(), with.flops(), accounting + " w=" + window);
            }
            assertEquals(shape, ShapeKey.parse(shape.describe()), shape.describe());
        }
        assertEquals("V=7 T=6 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 tied window=6", windowed(6, 6).describe());
        String note = Diff.between(windowed(6, 6), Capacity.of(1, Capacity.Unit.GB, "--memory-gb"), null).stream()
                .filter(term -> term.term().equals("parameters")).findFirst().orElseThrow().note();
        assertTrue(note.contains("no sliding window, RMSNorm, no position table and SwiGLU, this shape has h_kv = 2,"
                + " a tied head, a sliding window of 6 (the whole context)"), note);
    }

    @Test
    void aContextLongerThanTheWindowIsRefused() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> windowed(5, 6));
        assertEquals("context_length 6 is longer than the sliding_window 5: attention cut to a window shorter than the"
                + " context is not modelled (allowed: a context of at most 5, where the window leaves every earlier"
                + " key in reach)", e.getMessage());
        assertThrows(InvalidInputException.class, () -> windowed(-1, 6));
    }
}
