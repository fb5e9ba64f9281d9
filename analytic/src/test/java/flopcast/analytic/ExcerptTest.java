package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@link Excerpt}: short values whole, long ones by their start and length, a surrogate pair never cut. */
class ExcerptTest {

    @Test
    void aValueOfAtMost64CharactersIsQuotedWhole() {
        String whole = "q".repeat(Excerpt.WHOLE);
        assertEquals(whole, Excerpt.of(whole));
        assertEquals("", Excerpt.of(""));
    }

    @Test
    void aLongerValueIsItsFirst40CharactersAndItsLength() {
        assertEquals("q".repeat(40) + "... (65 characters)", Excerpt.of("q".repeat(Excerpt.WHOLE + 1)));
        assertEquals("9".repeat(40) + "... (20000000 characters)", Excerpt.of("9".repeat(20_000_000)));
    }

    @Test
    void aSurrogatePairAtTheCutIsLeftOutWhole() {
        String text = "a".repeat(Excerpt.SHOWN - 1) + "\uD83D\uDE00" + "b".repeat(100);
        assertEquals("a".repeat(Excerpt.SHOWN - 1) + "... (" + text.length() + " characters)", Excerpt.of(text));
    }

    @Test
    void theStartOfATextReadInPartEndsInDotsUnlessItEndedThere() {
        assertEquals("[[[", Excerpt.start("[[[", true));
        assertEquals("[[[...", Excerpt.start("[[[", false));
        assertEquals("[".repeat(40) + "...", Excerpt.start("[".repeat(160), true));
    }
}
