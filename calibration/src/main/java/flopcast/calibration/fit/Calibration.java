package flopcast.calibration.fit;

import flopcast.analytic.Component;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.MinimumTraffic;
import flopcast.analytic.Shape;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.measurements.OpClass;
import flopcast.calibration.measurements.RowMark;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A calibrated cost model of one backend at one thread count on one host: the measured peak and
 * bandwidth at that thread count, and an efficiency fit per op class from that backend's valid
 * component rows at that thread count. A class with no valid row there is fitted from its rows
 * that only their spread marked noisy, and the largest such spread is kept ({@link #noisySpread}):
 * it joins every held-out step's noise floor under this fit, so a fit from noisy rows makes its
 * steps undecided rather than vanishing. Step rows are never inputs. The vector backend's fits
 * describe the hardware (its GEMM reaches half the peak or more); the reference backend's (EJML, one
 * thread) describe EJML.
 */
public final class Calibration implements StepTimeModel.Efficiency {
    /** The project's reference backend (EJML's matmuls, plain Java loops). */
    public static final String REFERENCE_BACKEND = "ejml";
    /** The fast path: the Vector API GEMM and loops. */
    public static final String VECTOR_BACKEND = "vector";

    private final String backend;
    private final int threads;
    private final double peakFlopsPerSecond;
    private final Bandwidth bandwidth;
    private final Map<OpClass, EfficiencyFit> fits;
    private final Map<OpClass, Double> fromNoisyRows;

    private Calibration(String backend, int threads, double peakFlopsPerSecond, Bandwidth bandwidth,
            Map<OpClass, EfficiencyFit> fits, Map<OpClass, Double> fromNoisyRows) {
        this.fromNoisyRows = fromNoisyRows;
        this.backend = backend;
        this.threads = threads;
        this.peakFlopsPerSecond = peakFlopsPerSecond;
        this.bandwidth = bandwidth;
        this.fits = fits;
    }

    /** The reference backend on one thread, from the component rows {@code include} accepts. */
    public static Calibration fit(List<Measurement> rows, Predicate<Measurement> include) {
        return fit(rows, REFERENCE_BACKEND, 1, include);
    }

    /**
     * Fits every op class from {@code backend}'s valid component rows at {@code threads} that
     * {@code include} accepts, each against the probe at {@code threads}.
     */
    public static Calibration fit(List<Measurement> rows, String backend, int threads, Predicate<Measurement> include) {
        double peak = peak(rows, threads);
        Bandwidth bandwidth = Bandwidth.of(rows, threads);
        Map<OpClass, List<Measurement>> valid = byClass(rows, backend, threads, include, Measurement::valid);
        Map<OpClass, List<Measurement>> noisy = byClass(rows, backend, threads, include, Calibration::noisyOnly);
        Map<OpClass, EfficiencyFit> fits = new EnumMap<>(OpClass.class);
        Map<OpClass, Double> fromNoisyRows = new EnumMap<>(OpClass.class);
        Set<String> missing = new LinkedHashSet<>();
        for (OpClass op : OpClass.values()) {
            List<Measurement> measured = valid.get(op);
            if (measured == null && noisy.containsKey(op)) {
                measured = noisy.get(op);
                fromNoisyRows.put(op, measured.stream().mapToDouble(Measurement::spread).max().orElseThrow());
            }
            if (measured == null && !op.optional()) {
                missing.add(op.label());
            } else if (measured == null) {
                continue;
            } else {
                fits.put(op, EfficiencyFit.of(op, measured.stream().map(row -> point(op, row, peak, bandwidth))
                        .toList()));
            }
        }
        if (!missing.isEmpty()) {
            throw new InvalidInputException("the measurements have no valid " + label(backend, threads) + " rows for "
                    + String.join(", ", missing) + ": run the component benchmarks (mvn jmh:run) before calibrating");
        }
        return new Calibration(backend, threads, peak, bandwidth, fits, fromNoisyRows);
    }

    /** {@code backend}'s component rows at {@code threads} that {@code include} and {@code use} take, by op class. */
    private static Map<OpClass, List<Measurement>> byClass(List<Measurement> rows, String backend, int threads,
            Predicate<Measurement> include, Predicate<Measurement> use) {
        Map<OpClass, List<Measurement>> byClass = new EnumMap<>(OpClass.class);
        for (Measurement row : rows) {
            Optional<OpClass> opClass = OpClass.of(row);
            if (opClass.isPresent() && row.threads() == threads && row.backend().equals(backend) && use.test(row)
                    && include.test(row)) {
                byClass.computeIfAbsent(opClass.get(), k -> new ArrayList<>()).add(row);
            }
        }
        return byClass;
    }

    /**
     * The bytes a memory-bound row's arrays occupy, which decide its cache level: AdamW's 16 per
     * parameter; a component pass's bytes scaled by its kernel's {@link MinimumTraffic#footprint} over
     * its bytes (1 but where it writes over an input); an optional class's by its own ratio
     * ({@link OpClass#heldPerMoved}); an AdamW row without its parameters is one line.
     */
    private static double footprint(OpClass op, Measurement row) {
        if (op == OpClass.ADAMW) {
            if (row.parameters() == null) {
                throw new InvalidInputException("an adamw row at " + row.threads() + " thread(s) has no parameters: its"
                        + " footprint, 16 bytes a parameter, needs them; write the file again with mvn jmh:run");
            }
            return MinimumTraffic.adamWFootprint(row.parameters()).doubleValue();
        }
        if (op.optional()) {
            return row.bytes() * op.heldPerMoved();
        }
        if (op.computeBound() || row.shape() == null) {
            return row.bytes();
        }
        Component component = Component.byJsonName(row.component());
        boolean forward = row.pass().equals("forward");
        double moved = (forward ? MinimumTraffic.forward(component, row.shape())
                : MinimumTraffic.backward(component, row.shape())).doubleValue();
        return row.bytes() * MinimumTraffic.footprint(component, forward, row.shape()).doubleValue() / moved;
    }

    /** A row's efficiency at its size: FLOP/s over the peak, or bytes/s over the probe at its footprint. */
    private static EfficiencyFit.Point point(OpClass op, Measurement row, double peak, Bandwidth bandwidth) {
        double footprint = footprint(op, row);
        double efficiency = op.computeBound() ? row.flopsPerSecond() / peak
                : row.bytesPerSecond() / bandwidth.at(footprint);
        return new EfficiencyFit.Point(op.size(row.matmulFlops(), row.bytes()), efficiency);
    }

    /** A row whose only invalidating mark is its spread: timed right, but the host moved under it. */
    static boolean noisyOnly(Measurement row) {
        return !row.valid() && RowMark.noisyAlone(row.status());
    }

    /** The classes fitted from noisy rows (none had a valid row), each with the largest spread it was fitted from. */
    public Map<OpClass, Double> fromNoisyRows() {
        return fromNoisyRows;
    }

    /**
     * The largest spread of the noisy rows a class that {@code shape}'s step is predicted with was fitted
     * from ({@link OpClass#times}: the bf16 conversions' only a bf16 step's); 0 where every such class had
     * valid rows.
     */
    public double noisySpread(Shape shape) {
        return fromNoisyRows.entrySet().stream().filter(e -> e.getKey().times(shape))
                .mapToDouble(Map.Entry::getValue).max().orElse(0);
    }

    /** "vector, 2 threads". */
    public static String label(String backend, int threads) {
        return backend + ", " + threads + (threads == 1 ? " thread" : " threads");
    }

    public String label() {
        return label(backend, threads);
    }

    public String backend() {
        return backend;
    }

    public int threads() {
        return threads;
    }

    /** Whether {@code row} ran on this calibration's backend and thread count. */
    public boolean describes(Measurement row) {
        return row.backend().equals(backend) && row.threads() == threads;
    }

    /** The peak probe's FLOP/s at {@code threads}. */
    private static double peak(List<Measurement> rows, int threads) {
        return rows.stream().filter(r -> r.component().equals("peak_flops") && r.threads() == threads)
                .mapToDouble(Measurement::flopsPerSecond).findFirst()
                .orElseThrow(() -> new InvalidInputException("the measurements have no " + threads + "-thread "
                        + "peak_flops probe row: calibration needs the measured peak"));
    }

    @Override
    public double of(OpClass opClass, double size) {
        return fits.get(opClass).efficiency(size);
    }

    @Override
    public boolean fitted(OpClass opClass) {
        return fits.containsKey(opClass);
    }

    public Map<OpClass, EfficiencyFit> fits() {
        return fits;
    }

    public double peakFlopsPerSecond() {
        return peakFlopsPerSecond;
    }

    /** Memory's bandwidth: the probe over the largest arrays. */
    public double bandwidthBytesPerSecond() {
        return bandwidth.memory();
    }

    /** The bandwidth probes at every size this calibration's memory-bound efficiencies divide by. */
    public Bandwidth bandwidth() {
        return bandwidth;
    }

    /** The step-time model's terms on this host, one per component pass and AdamW. */
    public List<StepTimeModel.Term> terms(Shape shape) {
        return StepTimeModel.terms(shape, this, peakFlopsPerSecond, bandwidth, threads);
    }

    /** Predicted step time on this host. */
    public StepTimeModel.StepTime predictStep(Shape shape) {
        return StepTimeModel.predict(shape, this, peakFlopsPerSecond, bandwidth, threads);
    }
}
