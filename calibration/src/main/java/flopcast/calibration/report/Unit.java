package flopcast.calibration.report;

import java.util.Locale;

/**
 * The unit of a calibration number, as {@code calibration.csv}'s {@code unit} column writes it, and
 * how a fractional value in it reads for people (counts read as grouped integers, whatever their unit).
 */
public enum Unit {
    ROWS("rows"),
    /** Dimensionless: a fraction (efficiency, MFU, error) or a plain count. */
    ONE("1"),
    FLOPS_PER_BYTE("FLOPs per byte"),
    BYTES_PER_OP("bytes per op"),
    FLOPS_PER_SECOND("FLOP/s"),
    BYTES_PER_SECOND("B/s"),
    SECONDS("s"),
    DAYS("days"),
    BYTES("B"),
    /** A ratio of two like quantities. */
    RATIO("-"),
    SEQUENCES("sequences"),
    MICRO_BATCHES("micro-batches");

    private final String symbol;

    Unit(String symbol) {
        this.symbol = symbol;
    }

    /** As {@code calibration.csv} writes it. */
    public String symbol() {
        return symbol;
    }

    /** The unit whose symbol is {@code symbol}, such as an op class's size meaning. */
    public static Unit bySymbol(String symbol) {
        for (Unit unit : values()) {
            if (unit.symbol.equals(symbol)) {
                return unit;
            }
        }
        throw new IllegalArgumentException("no unit '" + symbol + "'");
    }

    /** A fractional value as people read it: percents, seconds to 0.1 ms, days grouped, rates in giga. */
    public String text(double value) {
        return switch (this) {
            case ONE -> String.format(Locale.ROOT, "%.2f%%", 100 * value);
            case SECONDS -> String.format(Locale.ROOT, "%.4f s", value);
            case DAYS -> String.format(Locale.ROOT, "%,.2f", value);
            case FLOPS_PER_SECOND -> String.format(Locale.ROOT, "%.1f GFLOP/s", value / 1e9);
            case BYTES_PER_SECOND -> String.format(Locale.ROOT, "%.1f GB/s", value / 1e9);
            default -> String.format(Locale.ROOT, "%.4f", value);
        };
    }
}
