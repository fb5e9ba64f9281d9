package flopcast.cli;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.Locale;

/** Number formatting for tables, independent of the default locale. */
final class NumberText {
    /** The seed prints 9 significant digits: 3.27463424e10, 1.11325552e20. */
    static final int SEED_SIGNIFICANT_DIGITS = 9;

    private NumberText() {
    }

    /** Scientific notation as the seed writes it: 9 significant digits, no trailing zeros. */
    static String seed(BigInteger value) {
        return seed(new BigDecimal(value));
    }

    static String seed(double value) {
        return seed(new BigDecimal(value));
    }

    private static String seed(BigDecimal value) {
        if (value.signum() == 0) {
            return "0";
        }
        BigDecimal rounded = value.round(new MathContext(SEED_SIGNIFICANT_DIGITS));
        int exponent = rounded.precision() - rounded.scale() - 1;
        BigDecimal mantissa = rounded.movePointLeft(exponent).stripTrailingZeros();
        String digits = mantissa.scale() <= 0 ? mantissa.toBigInteger().toString() : mantissa.toPlainString();
        return exponent == 0 ? digits : digits + "e" + exponent;
    }

    /** Thousands separated: 3,985,261,568. */
    static String grouped(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    static String grouped(BigInteger value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    /** Thousands separated with fixed decimals: 11,418,005.37. */
    static String grouped(double value, int decimals) {
        return String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    /** A value that may be absent, for tables. */
    static String groupedOrDash(BigInteger value) {
        return value == null ? "-" : grouped(value);
    }

    /** Plain decimal, 6 significant digits, no trailing zeros: 19.5. */
    /**
     * A fractional batch to three decimals, never rounded up to the next whole batch: 1.9999999993
     * sequences is 1.999, not the 2.000 that would say two fit where one does; 3.5649 is 3.565.
     */
    static String fractionalBatch(double value) {
        double rounded = Math.round(value * 1000) / 1000.0;
        return String.format(java.util.Locale.ROOT, "%.3f", Math.floor(rounded) > Math.floor(value)
                ? Math.floor(value) + 0.999 : rounded);
    }

    static String plain(double value) {
        return BigDecimal.valueOf(value).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** A fraction as a percentage: 0.5 is 50%. */
    static String percent(double fraction) {
        return plain(fraction * 100) + "%";
    }
}
