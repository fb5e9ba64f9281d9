package flopcast.analytic;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * A memory capacity, always with its unit: GB is 10^9 bytes (the seed's "80GB" is 80e9 bytes),
 * GiB is 2^30 bytes.
 *
 * @param bytes  the capacity in bytes, rounded down to a whole byte
 * @param amount the number as given
 * @param unit   the unit it was given in
 */
public record Capacity(long bytes, double amount, Unit unit) {

    public enum Unit {
        GB("GB", BigDecimal.valueOf(1_000_000_000L)),
        GIB("GiB", BigDecimal.valueOf(1L << 30));

        private final String symbol;
        private final BigDecimal bytes;

        Unit(String symbol, BigDecimal bytes) {
            this.symbol = symbol;
            this.bytes = bytes;
        }

        public String symbol() {
            return symbol;
        }
    }

    /** {@code amount} of {@code unit}; {@code optionName} names the input in the error. */
    public static Capacity of(double amount, Unit unit, String optionName) {
        if (!Double.isFinite(amount) || amount < 0) {
            throw new InvalidInputException(optionName + " must be a non-negative number of " + unit.symbol
                    + ", got " + amount);
        }
        BigDecimal exact = new BigDecimal(Double.toString(amount)).multiply(unit.bytes)
                .setScale(0, RoundingMode.FLOOR);
        if (exact.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new InvalidInputException(optionName + " " + amount + " " + unit.symbol
                    + " is more bytes than flopcast counts (at most 2^63 - 1)");
        }
        return new Capacity(exact.longValueExact(), amount, unit);
    }

    /** For example {@code 80 GB (80,000,000,000 bytes)}. */
    public String describe() {
        return String.format(Locale.ROOT, "%s %s (%,d bytes)", BigDecimal.valueOf(amount).stripTrailingZeros()
                .toPlainString(), unit.symbol, bytes);
    }

    /** Bytes in GB alone (10^9 bytes), for a short line: {@code 247.559 GB}. */
    public static String gigabytes(long bytes) {
        return String.format(Locale.ROOT, "%,.3f GB", bytes / 1e9);
    }

    /** Bytes in GB and GiB, for messages. */
    public static String humanBytes(long bytes) {
        return String.format(Locale.ROOT, "%,.3f GB, %,.3f GiB", bytes / 1e9, bytes / (double) (1L << 30));
    }
}
