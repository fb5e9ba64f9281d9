package flopcast.calibration.measurements;

import flopcast.analytic.Excerpt;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import java.util.Map;
import java.util.function.Function;

/**
 * One row of {@code measurements.csv} as calibration uses it. Absent values are null.
 *
 * @param component   model component, step, adamw or a probe name
 * @param pass        forward, backward, step, optimizer, probe, widen and round (the bf16 conversions' two loops), or overhead (a loop outside the components' kernels)
 * @param backend     ejml or probe
 * @param shape       the model shape; null for AdamW and probes
 * @param parameters  AdamW rows: parameters per op; null otherwise
 * @param threads     threads the kernel used
 * @param matmulFlops matmul FLOPs per op (step rows: model FLOPs)
 * @param bytes       minimum bytes per op
 * @param secondsPerOp the lower quartile of the row's samples (JMH's score on a row written before it)
 * @param flopsPerSecond achieved FLOP/s as the derivation wrote it (the row's matmul FLOPs, or its
 *                     elementwise and optimizer FLOPs where it has none); NaN where empty
 * @param bytesPerSecond achieved bytes/s as the derivation wrote it; NaN where empty
 * @param hostCpu     the host it ran on
 * @param predictedHeapBytes step and AdamW rows: predicted bytes
 * @param measuredHeapBytes  step and AdamW rows: measured live bytes
 * @param valid       false when the derivation marked the row invalid (calibration never fits it)
 * @param status      ok, or the row's marks
 * @param spread      how closely the row's fastest samples agree ({@link Samples#spread}); NaN where unknown
 */
public record Measurement(String component, String pass, String backend, Shape shape, Long parameters, int threads,
        long matmulFlops, long bytes, double secondsPerOp, double flopsPerSecond, double bytesPerSecond, String hostCpu, Long predictedHeapBytes,
        Long measuredHeapBytes, boolean valid, String status, double spread) {

    /** Parses a row read by {@code MeasurementsCsv}; a value that does not parse is refused with one line. */
    public static Measurement of(Map<String, String> row, int line) {
        try {
            Shape shape = Measurement.shape(row);
            String timeColumn = row.get("lower_quartile_seconds_per_op").isEmpty() ? "score_seconds_per_op"
                    : "lower_quartile_seconds_per_op";
            double seconds = doubleOf(row, timeColumn);
            if (!(seconds > 0) || Double.isInfinite(seconds)) {
                throw new NumberFormatException(timeColumn + " " + seconds + " is not a positive time");
            }
            return new Measurement(row.get("component"), row.get("pass"), row.get("backend"), shape,
                    optionalLong(row, "parameters"), intOf(row, "threads"), longOf(row, "predicted_flops"),
                    longOf(row, "predicted_bytes"), seconds, optionalDouble(row, "achieved_flops_per_second"),
                    optionalDouble(row, "achieved_bytes_per_second"), row.get("host_cpu"),
                    optionalLong(row, "predicted_heap_bytes"), optionalLong(row, "measured_heap_bytes"),
                    booleanOf(row, "valid"), row.get("status"), optionalDouble(row, "spread"));
        } catch (NumberFormatException | InvalidInputException e) {
            throw new InvalidInputException("measurements row " + line + " is malformed: " + e.getMessage());
        }
    }

    /**
     * The row's shape, from its {@link ShapeKey} columns; null where they are empty (a probe's row).
     * A number that does not parse throws {@link NumberFormatException}.
     */
    public static Shape shape(Map<String, String> row) {
        return row.get(ShapeKey.VOCAB_SIZE.key()).isEmpty() ? null
                : ShapeKey.shape(key -> longOf(row, key.key())).withSettings(MeasurementsSchema.settings(row));
    }

    private static boolean booleanOf(Map<String, String> row, String column) {
        return switch (row.get(column)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new NumberFormatException(column + " '" + Excerpt.of(row.get(column))
                    + "' is neither true nor false");
        };
    }

    private static long longOf(Map<String, String> row, String column) {
        return parsed(row, column, "an integer", Long::parseLong);
    }

    private static int intOf(Map<String, String> row, String column) {
        return parsed(row, column, "an integer", Integer::parseInt);
    }

    private static double doubleOf(Map<String, String> row, String column) {
        return parsed(row, column, "a number", Double::parseDouble);
    }

    /** The column's value through {@code parse}; a value it rejects names the column and {@code what} it needs. */
    private static <T> T parsed(Map<String, String> row, String column, String what, Function<String, T> parse) {
        try {
            return parse.apply(row.get(column));
        } catch (NumberFormatException e) {
            throw notA(what, row, column);
        }
    }

    private static Long optionalLong(Map<String, String> row, String column) {
        return row.get(column).isEmpty() ? null : longOf(row, column);
    }

    private static double optionalDouble(Map<String, String> row, String column) {
        return row.get(column).isEmpty() ? Double.NaN : doubleOf(row, column);
    }

    /** The column and its value, which is not {@code what} (an integer, a number) as the column needs. */
    private static NumberFormatException notA(String what, Map<String, String> row, String column) {
        return new NumberFormatException(column + " '" + Excerpt.of(row.get(column)) + "' is not " + what);
    }

    /**
     * Whether the row was timed right: valid, or marked noisy alone ({@link RowMark#noisyAlone}): a
     * step the held-out table shows (undecided where noisy) and the in-situ profile profiles.
     */
    public boolean timedRight() {
        return valid || RowMark.noisyAlone(status);
    }
}
