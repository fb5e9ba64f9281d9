package flopcast.benchmarks;

import flopcast.analytic.Component;
import flopcast.analytic.ElementwiseFlops;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.MinimumTraffic;
import flopcast.analytic.Shape;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the component benchmarks share: a named shape, a pass, one instance's kernel from the
 * model's own op classes, and its FLOPs and bytes per op from the analytic module.
 */
@State(Scope.Thread)
public abstract class ComponentBenchmark extends BenchmarkSettings {
    @Param({"forward", "backward"})
    public String pass;

    protected ComponentKernel kernel;
    protected Work.PerOp perOp;
    protected boolean forward;

    /** The component this trial measures. */
    protected abstract Component component();

    /** The named shape this trial runs at. */
    protected abstract String shape();

    /** The backend this trial's matmuls run on ({@link Backends}). */
    protected abstract String backend();

    @Setup(Level.Trial)
    public void buildKernel() {
        if (!shape().equals("tiny") && backend().startsWith("ejml")) {
            ModelProfileWarmup.run();
        }
        Shape at = NamedShape.byName(shape()).shape();
        Component component = component();
        forward = switch (pass) {
            case "forward" -> true;
            case "backward" -> false;
            default -> throw new IllegalArgumentException("pass must be forward or backward, got " + pass);
        };
        kernel = ComponentKernel.of(component, at, 1, Backends.of(backend()));
        long matmul = MatmulFlops.forward(component, at).multiply(java.math.BigInteger.valueOf(forward ? 1 : 2))
                .longValueExact();
        long elementwise = (forward ? ElementwiseFlops.forward(component, at) : ElementwiseFlops.backward(component, at))
                .longValueExact();
        long bytes = (forward ? MinimumTraffic.forward(component, at) : MinimumTraffic.backward(component, at))
                .longValueExact();
        perOp = new Work.PerOp(matmul, elementwise, 0, bytes);
        SteadyState.warm(() -> {
            kernel.prepare();
            return pass();
        });
    }

    /** Runs the pass once and records it. */
    protected ComponentKernel runOnce(Work work) {
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
