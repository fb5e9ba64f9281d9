package flopcast.analytic;

/**
 * A value a person gave, as an {@link InvalidInputException}'s one line quotes it: whole when
 * short, otherwise its first {@value #SHOWN} characters and its length, so that a
 * 20-million-character string or a 1000-digit number is named without being echoed. Pinned by
 * {@code ExcerptTest} and the command line's {@code BadInputTest}.
 */
public final class Excerpt {
    /** The longest text quoted whole. */
    public static final int WHOLE = 64;
    /** Characters kept of a longer one. */
    public static final int SHOWN = 40;

    private Excerpt() {
    }

    /** {@code text} whole, or {@code "first 40 characters... (N characters)"}. */
    public static String of(String text) {
        if (text.length() <= WHOLE) {
            return text;
        }
        return first(text) + "... (" + text.length() + " characters)";
    }

    /**
     * The start of a longer text of which only {@code text} was read: its first {@value #SHOWN}
     * characters, and "..." unless {@code whole} says the text ends there.
     */
    public static String start(String text, boolean whole) {
        return whole && text.length() <= SHOWN ? text : first(text) + "...";
    }

    private static String first(String text) {
        if (text.length() <= SHOWN) {
            return text;
        }
        return text.substring(0, Character.isHighSurrogate(text.charAt(SHOWN - 1)) ? SHOWN - 1 : SHOWN);
    }
}
