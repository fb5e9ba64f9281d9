package flopcast.calibration.fit;

import flopcast.calibration.measurements.OpClass;
import java.util.List;

/**
 * Efficiency of one op class against size: e(size) = intercept + slope * ln(size), least squares
 * over the measured points, then held within the efficiencies observed, so that a size far outside
 * the measured range gets the nearest measured behaviour rather than a line run off to zero or
 * past one. With fewer than two distinct sizes the fit is the mean efficiency.
 *
 * @param opClass    what was fitted
 * @param points     measured points used
 * @param intercept  e at size 1
 * @param slope      change of e per unit of ln(size)
 * @param sizeMin    smallest measured size
 * @param sizeMax    largest measured size
 * @param efficiencyMin smallest measured efficiency
 * @param efficiencyMax largest measured efficiency
 */
public record EfficiencyFit(OpClass opClass, int points, double intercept, double slope, double sizeMin,
        double sizeMax, double efficiencyMin, double efficiencyMax) {

    /** One measured point. */
    public record Point(double size, double efficiency) {
    }

    public static EfficiencyFit of(OpClass opClass, List<Point> points) {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("no points for " + opClass.label());
        }
        int n = points.size();
        double meanX = 0;
        double meanY = 0;
        double sizeMin = Double.POSITIVE_INFINITY;
        double sizeMax = 0;
        double effMin = Double.POSITIVE_INFINITY;
        double effMax = 0;
        for (Point point : points) {
            meanX += Math.log(point.size()) / n;
            meanY += point.efficiency() / n;
            sizeMin = Math.min(sizeMin, point.size());
            sizeMax = Math.max(sizeMax, point.size());
            effMin = Math.min(effMin, point.efficiency());
            effMax = Math.max(effMax, point.efficiency());
        }
        double sxx = 0;
        double sxy = 0;
        for (Point point : points) {
            double dx = Math.log(point.size()) - meanX;
            sxx += dx * dx;
            sxy += dx * (point.efficiency() - meanY);
        }
        double slope = sxx > 0 ? sxy / sxx : 0;
        return new EfficiencyFit(opClass, n, meanY - slope * meanX, slope, sizeMin, sizeMax, effMin, effMax);
    }

    /** The fitted efficiency at {@code size}, within the measured efficiencies. */
    public double efficiency(double size) {
        double line = intercept + slope * Math.log(size);
        return Math.max(efficiencyMin, Math.min(efficiencyMax, line));
    }
}
