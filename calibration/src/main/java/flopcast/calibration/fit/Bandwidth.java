package flopcast.calibration.fit;

import flopcast.analytic.InvalidInputException;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.measurements.MeasurementsSchema;
import java.util.Comparator;
import java.util.List;

/**
 * Bandwidth against footprint: the bandwidth probes at one thread count, from arrays that fit a
 * core's first cache level to arrays far larger than any cache. An op whose data occupies f bytes
 * (each distinct array once: its bytes per op, less what it writes where it read; AdamW's 16 per
 * parameter where it moves 28; {@code MinimumTraffic.footprint}) is held to the bandwidth at f, interpolated linearly in log(bytes)
 * between the two probes around it, and the nearest probe's beyond them: data that fits a cache
 * level streams at that level's rate, so a memory-bound efficiency is measured against what the level
 * its working set fits can do.
 *
 * <p>The JVM's probe is the update in place (a, c, d += s*b: 28 bytes moved per element over 16 of
 * footprint, and no write-allocate traffic it does not count); a file with none, such as the GPU
 * probe's or one written before it, is read through STREAM's triad (a = b + s*c: footprint its
 * bytes).
 *
 * @param points the probes, by footprint ascending
 * @param source what measured them, for reports: "update probe", "triad probe", or where a catalog's
 */
public record Bandwidth(List<Point> points, String source) {

    private static final String UPDATE = MeasurementsSchema.BANDWIDTH_UPDATE;
    private static final String TRIAD = MeasurementsSchema.BANDWIDTH_TRIAD;

    /** One probe: the bytes its arrays occupy (each once) and the bytes per second it moved. */
    public record Point(double footprint, double bytesPerSecond) {
    }

    public Bandwidth {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("no bandwidth probe");
        }
        points = points.stream().sorted(Comparator.comparingDouble(Point::footprint)).toList();
    }

    /** Probes measured by the JVM's update probe. */
    public Bandwidth(List<Point> points) {
        this(points, "update probe");
    }

    /** One bandwidth at every size (a device's catalog bandwidth). */
    public static Bandwidth constant(double bytesPerSecond) {
        return new Bandwidth(List.of(new Point(1, bytesPerSecond)), "catalog");
    }

    /**
     * The probes at {@code threads}: the update's where it ran there, else the triad's; refused with one
     * line where neither did.
     */
    public static Bandwidth of(List<Measurement> rows, int threads) {
        for (String probe : List.of(UPDATE, TRIAD)) {
            List<Point> points = rows.stream().filter(r -> r.component().equals(probe) && r.threads() == threads)
                    .map(r -> new Point(footprint(probe, r.bytes()), r.bytesPerSecond())).toList();
            if (!points.isEmpty()) {
                return new Bandwidth(points, probe.equals(UPDATE) ? "update probe" : "triad probe");
            }
        }
        throw new InvalidInputException("the measurements have no " + threads + "-thread " + UPDATE + " (or "
                + TRIAD + ") probe row: calibration needs the measured bandwidth");
    }

    /** The bytes a probe's arrays occupy: the update reads four arrays and writes three of them back. */
    static double footprint(String probe, double bytesPerOp) {
        return probe.equals(UPDATE) ? bytesPerOp * 4 / 7 : bytesPerOp;
    }

    /** Memory's bandwidth: the probe over the largest arrays. */
    public double memory() {
        return points.get(points.size() - 1).bytesPerSecond();
    }

    /** The bandwidth an op whose data occupies {@code footprint} bytes can reach. */
    public double at(double footprint) {
        Point first = points.get(0);
        if (footprint <= first.footprint()) {
            return first.bytesPerSecond();
        }
        for (int i = 1; i < points.size(); i++) {
            Point below = points.get(i - 1);
            Point above = points.get(i);
            if (footprint <= above.footprint()) {
                double t = Math.log(footprint / below.footprint()) / Math.log(above.footprint() / below.footprint());
                return below.bytesPerSecond() + t * (above.bytesPerSecond() - below.bytesPerSecond());
            }
        }
        return memory();
    }
}
