package flopcast.measure.calibration;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A calibrated cost model of one host: its measured one-thread peak and bandwidth, and an
 * efficiency fit per op class from the single-thread component rows of the reference backend
 * (EJML). Step rows are never inputs.
 */
public final class Calibration implements StepTimeModel.Efficiency {
    /** The backend whose single-thread rows the fits use (the project's reference). */
    public static final String REFERENCE_BACKEND = "ejml";

    private final double peakFlopsPerSecond;
    private final double bandwidthBytesPerSecond;
    private final Map<OpClass, EfficiencyFit> fits;

    private Calibration(double peakFlopsPerSecond, double bandwidthBytesPerSecond, Map<OpClass, EfficiencyFit> fits) {
        this.peakFlopsPerSecond = peakFlopsPerSecond;
        this.bandwidthBytesPerSecond = bandwidthBytesPerSecond;
        this.fits = fits;
    }

    /** Fits every op class from the component rows {@code include} accepts. */
    public static Calibration fit(List<Measurement> rows, Predicate<Measurement> include) {
        double peak = probe(rows, "peak_flops", true);
        double bandwidth = probe(rows, "bandwidth_triad", false);
        Map<OpClass, List<EfficiencyFit.Point>> points = new EnumMap<>(OpClass.class);
        for (Measurement row : rows) {
            Optional<OpClass> opClass = OpClass.of(row);
            if (opClass.isEmpty() || row.threads() != 1 || !row.backend().equals(REFERENCE_BACKEND)
                    || !include.test(row)) {
                continue;
            }
            OpClass op = opClass.get();
            double efficiency = op.computeBound() ? row.flopsPerSecond() / peak : row.bytesPerSecond() / bandwidth;
            points.computeIfAbsent(op, k -> new ArrayList<>())
                    .add(new EfficiencyFit.Point(op.size(row.matmulFlops(), row.bytes()), efficiency));
        }
        Map<OpClass, EfficiencyFit> fits = new EnumMap<>(OpClass.class);
        Set<String> missing = new LinkedHashSet<>();
        for (OpClass op : OpClass.values()) {
            List<EfficiencyFit.Point> measured = points.get(op);
            if (measured == null) {
                missing.add(op.label());
            } else {
                fits.put(op, EfficiencyFit.of(op, measured));
            }
        }
        if (!missing.isEmpty()) {
            throw new InvalidInputException("the measurements have no single-thread rows for " + String.join(", ", missing)
                    + ": run the component benchmarks (mvn jmh:run) before calibrating");
        }
        return new Calibration(peak, bandwidth, fits);
    }

    /** The one-thread probe's rate: FLOP/s for the peak, bytes/s for the bandwidth. */
    private static double probe(List<Measurement> rows, String component, boolean flops) {
        return rows.stream().filter(r -> r.component().equals(component) && r.threads() == 1)
                .mapToDouble(r -> flops ? r.flopsPerSecond() : r.bytesPerSecond()).findFirst()
                .orElseThrow(() -> new InvalidInputException("the measurements have no one-thread " + component
                        + " probe row: calibration needs the measured " + (flops ? "peak" : "bandwidth")));
    }

    @Override
    public double of(OpClass opClass, double size) {
        return fits.get(opClass).efficiency(size);
    }

    public Map<OpClass, EfficiencyFit> fits() {
        return fits;
    }

    public double peakFlopsPerSecond() {
        return peakFlopsPerSecond;
    }

    public double bandwidthBytesPerSecond() {
        return bandwidthBytesPerSecond;
    }

    /** Predicted step time on this host. */
    public StepTimeModel.StepTime predictStep(Shape shape) {
        return StepTimeModel.predict(shape, this, peakFlopsPerSecond, bandwidthBytesPerSecond);
    }
}
