package flopcast.benchmarks;

import flopcast.measure.run.BackendChoice;
import static org.junit.jupiter.api.Assertions.assertEquals;

import flopcast.analytic.AdamWFlops;
import flopcast.analytic.Component;
import flopcast.analytic.ElementwiseFlops;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.Shape;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/**
 * Each isolated kernel does exactly one instance's work, pass by pass: its forward counts what the
 * analytic module predicts for one forward, its backward what it predicts for one backward (matmul
 * FLOPs 2x forward's), and nothing lands on another component or the other pass.
 */
class ComponentKernelTest {
    private static final Shape SHAPE = new Shape(13, 5, 2, 12, 3, 20, 2);

    @Test
    void everyComponentsForwardCountsOneInstancesForwardPrediction() {
        int checked = 0;
        for (Component component : Component.values()) {
            ComponentKernel kernel = ComponentKernel.of(component, SHAPE, 1);
            kernel.prepare();
            kernel.forward();
            assertCounts(component, kernel.counter(), MatmulFlops.forward(component, SHAPE), BigInteger.ZERO,
                    ElementwiseFlops.forward(component, SHAPE), "forward");
            checked++;
        }
        assertEquals(Component.values().length, checked);
    }

    @Test
    void everyComponentsBackwardCountsOneInstancesBackwardPrediction() {
        int checked = 0;
        for (Component component : Component.values()) {
            ComponentKernel kernel = ComponentKernel.of(component, SHAPE, 1);
            kernel.prepare();
            kernel.backward();
            assertCounts(component, kernel.counter(), BigInteger.ZERO,
                    MatmulFlops.forward(component, SHAPE).multiply(BigInteger.TWO),
                    ElementwiseFlops.backward(component, SHAPE), "backward");
            checked++;
        }
        assertEquals(Component.values().length, checked);
    }

    /** The heads split across two threads count what one thread does, in the pass it runs in. */
    @Test
    void attentionKernelsOnTwoThreadsCountEachPassAsOneThreadDoes() {
        int checked = 0;
        for (Component component : new Component[] {Component.ATTENTION_SCORES, Component.ATTENTION_SOFTMAX,
            Component.ATTENTION_WEIGHTED_SUM}) {
            ComponentKernel kernel = ComponentKernel.of(component, SHAPE, 1, BackendChoice.of("ejml", 2));
            kernel.prepare();
            kernel.backward();
            assertCounts(component, kernel.counter(), BigInteger.ZERO,
                    MatmulFlops.forward(component, SHAPE).multiply(BigInteger.TWO),
                    ElementwiseFlops.backward(component, SHAPE), "backward on 2 threads");
            checked++;
        }
        assertEquals(3, checked);
    }

    @Test
    void adamWKernelIsOneStep() {
        ComponentKernel kernel = ComponentKernel.adamW(1000, 1);
        kernel.forward();
        assertEquals(AdamWFlops.step(1000), BigInteger.valueOf(kernel.counter().optimizerFlops()));
    }

    /** The counter's totals are the component's own, so no FLOP went to another component. */
    private static void assertCounts(Component component, FlopCounter counter, BigInteger forwardMatmul,
            BigInteger backwardMatmul, BigInteger elementwise, String pass) {
        assertEquals(forwardMatmul, BigInteger.valueOf(counter.forwardMatmulFlops(component)),
                component + " " + pass + ": forward matmul");
        assertEquals(backwardMatmul, BigInteger.valueOf(counter.backwardMatmulFlops(component)),
                component + " " + pass + ": backward matmul");
        assertEquals(elementwise, BigInteger.valueOf(counter.elementwiseFlops(component)),
                component + " " + pass + ": elementwise");
        assertEquals(counter.forwardMatmulFlops(component), counter.forwardMatmulFlops(), component + " total forward");
        assertEquals(counter.backwardMatmulFlops(component), counter.backwardMatmulFlops(),
                component + " total backward");
        assertEquals(counter.elementwiseFlops(component), counter.elementwiseFlops(), component + " total elementwise");
    }
}
