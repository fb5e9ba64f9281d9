package flopcast.benchmarks;

import flopcast.analytic.NamedShape;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.calibration.measurements.Derivation;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.run.BackendChoice;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Who a trial is, read from its own {@code @Param}s: the component and pass it measures, the shape
 * (where it has one), the backend and the kernel's threads. The same parameters reach JMH's JSON,
 * which is all the derivation reads of a row's identity: nothing is inferred from a class name.
 *
 * <p>{@code threads} is {@code 1} or {@code all} (every processor of the JVM the trial runs in); it is
 * turned into a count here only, and the count rides along as the {@code kernelThreads} counter.
 */
record Identity(String component, String pass, String shapeName, String backend, int threads, Settings settings) {

    static Identity of(BenchmarkParams params) {
        return of(params.getBenchmark(), values(params));
    }

    /** A trial's {@code @Param} values by name. */
    static Map<String, String> values(BenchmarkParams params) {
        Map<String, String> values = new HashMap<>();
        for (String key : params.getParamsKeys()) {
            values.put(key, params.getParam(key));
        }
        return values;
    }

    /** The identity of {@code benchmark}'s trial with parameters {@code values}: a turn of {@link InterleavedBenchmark}. */
    static Identity of(String benchmark, Map<String, String> values) {
        return new Identity(require(benchmark, values, "component"), require(benchmark, values, "pass"),
                values.get("shape"), require(benchmark, values, "backend"),
                threads(require(benchmark, values, "threads")), Derivation.settings(values));
    }

    /**
     * The named shape at the trial's settings ({@link Derivation#settings}: the defaults where it
     * names none); refused where the benchmark has no shape.
     */
    Shape shape() {
        if (shapeName == null) {
            throw new IllegalStateException("this benchmark has no shape parameter");
        }
        return NamedShape.byName(shapeName).shape().withSettings(settings);
    }

    /** The kernel's thread count for a {@code threads} parameter. */
    static int threads(String param) {
        return switch (param) {
            case "1" -> 1;
            case "all" -> Runtime.getRuntime().availableProcessors();
            default -> throw new IllegalArgumentException("threads must be 1 or all, got " + param);
        };
    }

    MatmulBackend matmulBackend() {
        return BackendChoice.of(backend, threads);
    }

    /** Refuses a parameter overridden to something this benchmark does not measure. */
    void expect(String component, String pass) {
        if (!this.component.equals(component) || !this.pass.equals(pass)) {
            throw new IllegalArgumentException("this benchmark measures component " + component + ", pass " + pass
                    + "; got " + this.component + ", " + this.pass);
        }
    }

    private static String require(String benchmark, Map<String, String> values, String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalStateException(benchmark + " has no @Param " + name
                    + ": every flopcast benchmark names its component, pass, backend and threads");
        }
        return value;
    }
}
