package flopcast.calibration.fit;

import flopcast.analytic.InvalidInputException;
import flopcast.calibration.measurements.Measurement;
import java.util.Comparator;
import java.util.List;

/**
 * Bandwidth against bytes per op: the triad probes at one thread count, from arrays that fit a
 * core's first cache level to arrays far larger than any cache. An op that moves b bytes is held to
 * the bandwidth at b, interpolated linearly in log(bytes) between the two probes around it, and the
 * nearest probe's beyond them: data that fits a cache level streams at that level's rate, so a
 * memory-bound efficiency is measured against what the level its working set fits can do, and
 * stays at or below 1 where the probes bracket it.
 *
 * @param points the probes, by bytes per op ascending
 */
public record Bandwidth(List<Point> points) {

    /** One probe: bytes per op (all arrays, each once) and bytes per second. */
    public record Point(double bytes, double bytesPerSecond) {
    }

    public Bandwidth {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("no bandwidth probe");
        }
        points = points.stream().sorted(Comparator.comparingDouble(Point::bytes)).toList();
    }

    /** One bandwidth at every size (a device's catalog bandwidth). */
    public static Bandwidth constant(double bytesPerSecond) {
        return new Bandwidth(List.of(new Point(1, bytesPerSecond)));
    }

    /** The triad probes at {@code threads}; refused with one line where none ran there. */
    public static Bandwidth of(List<Measurement> rows, int threads) {
        List<Point> points = rows.stream().filter(r -> r.component().equals("bandwidth_triad") && r.threads() == threads)
                .map(r -> new Point(r.bytes(), r.bytesPerSecond())).toList();
        if (points.isEmpty()) {
            throw new InvalidInputException("the measurements have no " + threads + "-thread bandwidth_triad probe row:"
                    + " calibration needs the measured bandwidth");
        }
        return new Bandwidth(points);
    }

    /** Memory's bandwidth: the probe over the largest arrays. */
    public double memory() {
        return points.get(points.size() - 1).bytesPerSecond();
    }

    /** The bandwidth an op moving {@code bytes} per op can reach. */
    public double at(double bytes) {
        Point first = points.get(0);
        if (bytes <= first.bytes()) {
            return first.bytesPerSecond();
        }
        for (int i = 1; i < points.size(); i++) {
            Point below = points.get(i - 1);
            Point above = points.get(i);
            if (bytes <= above.bytes()) {
                double t = Math.log(bytes / below.bytes()) / Math.log(above.bytes() / below.bytes());
                return below.bytesPerSecond() + t * (above.bytesPerSecond() - below.bytesPerSecond());
            }
        }
        return memory();
    }
}
