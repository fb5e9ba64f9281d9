package flopcast.benchmarks;

import flopcast.analytic.Component;
import flopcast.analytic.ElementwiseFlops;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.MinimumTraffic;
import flopcast.analytic.Shape;
import flopcast.analytic.NamedShape;
import java.math.BigInteger;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * What the component benchmarks share: one instance's kernel from the model's own op classes at a
 * named shape, a pass, and its FLOPs and bytes per op from the analytic module. Subclasses declare
 * which components, shapes, backends and threads they run as {@code @Param}s ({@link Identity}).
 */
@State(Scope.Thread)
public abstract class ComponentBenchmark extends BenchmarkSettings {
    @Param({"forward", "backward"})
    public String pass;

    protected ComponentKernel kernel;
    private Work.PerOp perOp;
    private boolean forward;

    @Setup(Level.Trial)
    public void buildKernel(BenchmarkParams params) {
        Identity identity = Identity.of(params);
        kernel = kernel(identity);
        forward = forward(identity);
        perOp = perOp(identity, forward);
        SteadyState.warm(() -> {
            kernel.prepare();
            return pass();
        });
    }

    /**
     * The row of {@code benchmark} (Class.method) with parameters {@code params} as a turn of
     * {@link InterleavedBenchmark}: the kernel this class's trial would build and time, its inputs
     * restored before each call where {@code restoresInputs} (as {@link VectorElementwiseBenchmark}'s
     * invocation setup restores them).
     */
    static Turn turn(String benchmark, Map<String, String> params, boolean restoresInputs) {
        Identity identity = Identity.of(benchmark, params);
        ComponentKernel kernel = kernel(identity);
        boolean forward = forward(identity);
        SteadyState.Op op = forward ? () -> {
            kernel.forward();
            return kernel;
        } : () -> {
            kernel.backward();
            return kernel;
        };
        return new Turn(op, restoresInputs ? kernel::prepare : () -> { }, perOp(identity, forward),
                false);
    }

    private static ComponentKernel kernel(Identity identity) {
        if (!identity.shapeName().equals(NamedShape.TINY.paramName()) && identity.backend().equals("ejml")) {
            ModelProfileWarmup.run(identity.backend(), identity.threads());
        }
        return ComponentKernel.of(Component.byJsonName(identity.component()), identity.shape(), 1,
                identity.matmulBackend());
    }

    private static boolean forward(Identity identity) {
        return switch (identity.pass()) {
            case "forward" -> true;
            case "backward" -> false;
            default -> throw new IllegalArgumentException("pass must be forward or backward, got " + identity.pass());
        };
    }

    /** One pass's FLOPs and bytes, from the analytic module, on the identity's threads. */
    private static Work.PerOp perOp(Identity identity, boolean forward) {
        Shape at = identity.shape();
        Component component = Component.byJsonName(identity.component());
        long matmul = MatmulFlops.forward(component, at).multiply(BigInteger.valueOf(forward ? 1 : 2))
                .longValueExact();
        long elementwise = (forward ? ElementwiseFlops.forward(component, at) : ElementwiseFlops.backward(component, at))
                .longValueExact();
        long bytes = (forward ? MinimumTraffic.forward(component, at) : MinimumTraffic.backward(component, at))
                .longValueExact();
        return new Work.PerOp(matmul, elementwise, 0, bytes).onThreads(identity.threads());
    }

    /** Runs the pass once and records it. */
    @Benchmark
    public ComponentKernel run(Work work) {
        pass();
        work.add(perOp);
        return kernel;
    }

    private ComponentKernel pass() {
        if (forward) {
            kernel.forward();
        } else {
            kernel.backward();
        }
        return kernel;
    }
}
