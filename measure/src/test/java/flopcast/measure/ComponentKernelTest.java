package flopcast.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flopcast.analytic.AdamWFlops;
import flopcast.analytic.Component;
import flopcast.analytic.ElementwiseFlops;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.Shape;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** Each isolated kernel does exactly one instance's work: what the analytic module predicts. */
class ComponentKernelTest {
    private static final Shape SHAPE = new Shape(13, 5, 2, 12, 3, 20, 2);

    @Test
    void everyComponentsForwardAndBackwardCountWhatOneInstancePredicts() {
        int checked = 0;
        for (Component component : Component.values()) {
            ComponentKernel kernel = ComponentKernel.of(component, SHAPE, 1);
            kernel.prepare();
            kernel.forward();
            kernel.prepare();
            kernel.backward();
            FlopCounter counter = kernel.counter();
            BigInteger forward = MatmulFlops.forward(component, SHAPE);
            assertEquals(forward, BigInteger.valueOf(counter.forwardMatmulFlops(component)
                    + counter.backwardMatmulFlops(component)).subtract(forward.multiply(BigInteger.TWO)),
                    component + ": forward + backward = 3 x forward");
            assertEquals(ElementwiseFlops.perInstance(component, SHAPE),
                    BigInteger.valueOf(counter.elementwiseFlops(component)), component + " elementwise");
            checked++;
        }
        assertEquals(Component.values().length, checked);
    }

    @Test
    void adamWKernelIsOneStep() {
        ComponentKernel kernel = ComponentKernel.adamW(1000, 1);
        kernel.forward();
        assertEquals(AdamWFlops.step(1000), BigInteger.valueOf(kernel.counter().optimizerFlops()));
    }
}
