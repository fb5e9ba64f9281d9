package flopcast.benchmarks;

import flopcast.measure.run.BackendChoice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.AdamWFlops;
import flopcast.analytic.Component;
import flopcast.analytic.ElementwiseFlops;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.Shape;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.model.TransformerModel;
import java.math.BigInteger;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each isolated kernel (every component's but LoRA's adapters, which no benchmark times alone)
 * does exactly one instance's work, pass by pass: its forward counts what the
 * analytic module predicts for one forward, its backward what it predicts for one backward (matmul
 * FLOPs 2x forward's), nothing lands on another component or the other pass, and one instance
 * times the component's instances is what the executed model counts for that component in one
 * step. A kernel that ran a different op than the model (a missing residual add, a transposed
 * product of other size) fails the last even where the analytic formula were wrong alike.
 */
class ComponentKernelTest {
    private static final Shape SHAPE = new Shape(13, 5, 2, 12, 3, 20, 2);
    /** The components whose forward is a matmul: every other kernel must count no matmul FLOP. */
    private static final Set<Component> MATMULS = EnumSet.of(Component.QKV_PROJECTION, Component.ATTENTION_SCORES,
            Component.ATTENTION_WEIGHTED_SUM, Component.OUTPUT_PROJECTION, Component.FFN_W1, Component.FFN_W3,
            Component.FFN_W2, Component.OUTPUT_EMBEDDING);
    /** One forward and backward of the executed model at {@link #SHAPE}, counted per component. */
    private static final FlopCounter MODEL_STEP = modelStep();

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Component.class, mode = EnumSource.Mode.EXCLUDE, names = {"LORA", "ROUTER",
        "ATTENTION_SOFTMAX_GLOBAL"})
    void forwardCountsOneInstancesForwardPrediction(Component component) {
        assertCounts(component, run(component, true), MatmulFlops.forward(component, SHAPE), BigInteger.ZERO,
                ElementwiseFlops.forward(component, SHAPE), "forward");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Component.class, mode = EnumSource.Mode.EXCLUDE, names = {"LORA", "ROUTER",
        "ATTENTION_SOFTMAX_GLOBAL"})
    void backwardCountsOneInstancesBackwardPrediction(Component component) {
        assertCounts(component, run(component, false), BigInteger.ZERO,
                MatmulFlops.forward(component, SHAPE).multiply(BigInteger.TWO),
                ElementwiseFlops.backward(component, SHAPE), "backward");
    }

    /**
     * The kernel is one instance of what the model runs: its counts times the component's instances
     * (L or 2L in the blocks, 1 outside) equal the executed model's step, pass by pass; its work is
     * never zero; matmul FLOPs only where the component is a matmul.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Component.class, mode = EnumSource.Mode.EXCLUDE, names = {"LORA", "ROUTER",
        "ATTENTION_SOFTMAX_GLOBAL"})
    void instancesTimesTheKernelIsWhatTheModelExecutes(Component component) {
        long instances = component.scope().instances(SHAPE);
        FlopCounter forward = run(component, true);
        FlopCounter backward = run(component, false);
        assertEquals(MODEL_STEP.forwardMatmulFlops(component), instances * forward.forwardMatmulFlops(component),
                "forward matmul");
        assertEquals(MODEL_STEP.backwardMatmulFlops(component), instances * backward.backwardMatmulFlops(component),
                "backward matmul");
        assertEquals(MODEL_STEP.elementwiseFlops(component),
                instances * (forward.elementwiseFlops(component) + backward.elementwiseFlops(component)), "elementwise");
        assertEquals(MATMULS.contains(component), forward.forwardMatmulFlops(component) > 0, "a matmul component");
        assertTrue(forward.elementwiseFlops() + forward.forwardMatmulFlops() + backward.elementwiseFlops()
                + backward.backwardMatmulFlops() > 0, "the kernel executes work");
    }

    /** The heads split across two threads count what one thread does, in the pass it runs in. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Component.class, names = {"ATTENTION_SCORES", "ATTENTION_SOFTMAX", "ATTENTION_WEIGHTED_SUM"})
    void attentionKernelsOnTwoThreadsCountEachPassAsOneThreadDoes(Component component) {
        ComponentKernel kernel = ComponentKernel.of(component, SHAPE, 1, BackendChoice.of("ejml", 2));
        kernel.prepare();
        kernel.backward();
        assertCounts(component, kernel.counter(), BigInteger.ZERO,
                MatmulFlops.forward(component, SHAPE).multiply(BigInteger.TWO),
                ElementwiseFlops.backward(component, SHAPE), "backward on 2 threads");
        assertEquals(run(component, false).backwardMatmulFlops(), kernel.counter().backwardMatmulFlops());
    }

    @Test
    void adamWKernelIsOneStep() {
        ComponentKernel kernel = ComponentKernel.adamW(1000, 1);
        kernel.forward();
        assertEquals(AdamWFlops.step(1000), BigInteger.valueOf(kernel.counter().optimizerFlops()));
        assertEquals(0, kernel.counter().elementwiseFlops() + kernel.counter().forwardMatmulFlops());
    }

    /** One pass of {@code component}'s kernel on one thread, counted. */
    private static FlopCounter run(Component component, boolean forward) {
        ComponentKernel kernel = ComponentKernel.of(component, SHAPE, 1);
        kernel.prepare();
        if (forward) {
            kernel.forward();
        } else {
            kernel.backward();
        }
        return kernel.counter();
    }

    private static FlopCounter modelStep() {
        FlopCounter counter = new FlopCounter();
        TransformerModel model = new TransformerModel(SHAPE, 1, counter);
        int tokens = Math.toIntExact(SHAPE.tokens());
        int[] ids = new int[tokens];
        int[] targets = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            ids[i] = (int) (i % SHAPE.vocabSize());
            targets[i] = (int) ((i + 1) % SHAPE.vocabSize());
        }
        model.forward(ids, targets);
        model.backward();
        return counter;
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
