package flopcast.analytic;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The one lookup of a constant by the name a person types (case-insensitive), refused in one line
 * that lists what is allowed, and that list.
 */
public final class Names {

    private Names() {
    }

    /** The constant of {@code values} whose {@code name} is {@code given}; else "unknown WHAT 'given': allowed are ...". */
    public static <E> E byName(E[] values, Function<E, String> name, String what, String given) {
        String wanted = given.toLowerCase(Locale.ROOT);
        for (E value : values) {
            if (name.apply(value).equals(wanted)) {
                return value;
            }
        }
        throw new InvalidInputException("unknown " + what + " '" + given + "': allowed are " + list(values, name));
    }

    /** The names, comma separated, in declaration order. */
    public static <E> String list(E[] values, Function<E, String> name) {
        return Arrays.stream(values).map(name).collect(Collectors.joining(", "));
    }
}
