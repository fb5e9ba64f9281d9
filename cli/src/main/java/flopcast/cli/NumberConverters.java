package flopcast.cli;

import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The command line's integers and decimals, parsed as picocli parses them ({@link Long#parseLong},
 * {@link Integer#parseInt}, {@link Double#parseDouble}) but refused with what is allowed: "'1e30'
 * is not a whole number from -9223372036854775808 to 9223372036854775807" rather than "is not a
 * long". Whether the value is in range for its option (positive, in (0, 1]) is the option's own
 * check. Pinned by {@code BadInputTest}.
 */
final class NumberConverters {

    private NumberConverters() {
    }

    /** Registers the converters on {@code commandLine} and the subcommands it holds. */
    static void register(CommandLine commandLine) {
        ITypeConverter<Long> longs = value -> whole(value, Long.MIN_VALUE, Long.MAX_VALUE);
        ITypeConverter<Integer> ints = value -> (int) whole(value, Integer.MIN_VALUE, Integer.MAX_VALUE);
        ITypeConverter<Double> doubles = NumberConverters::decimal;
        commandLine.registerConverter(Long.class, longs);
        commandLine.registerConverter(long.class, longs);
        commandLine.registerConverter(Integer.class, ints);
        commandLine.registerConverter(int.class, ints);
        commandLine.registerConverter(Double.class, doubles);
        commandLine.registerConverter(double.class, doubles);
    }

    private static long whole(String value, long min, long max) {
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new TypeConversionException("'" + value + "' is not a whole number from " + min + " to " + max);
    }

    private static double decimal(String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a decimal number (such as 0.4, 80 or 1e-3)");
        }
    }
}
