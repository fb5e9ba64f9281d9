package flopcast.measure.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.AdamWFlops;
import flopcast.analytic.Component;
import flopcast.analytic.ElementwiseFlops;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Shape;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.CountingTest;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.model.AdamW;
import flopcast.measure.model.CausalSoftmax;
import flopcast.measure.model.CrossEntropy;
import flopcast.measure.model.Embedding;
import flopcast.measure.model.Gelu;
import flopcast.measure.model.LayerNorm;
import flopcast.measure.model.RmsNorm;
import flopcast.measure.model.SwiGlu;
import flopcast.measure.model.TransformerModel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The declared costs are what the loops execute: every op class runs its real loops (the scalar
 * reference kernels and its own scalar steps) on {@link CountingArithmetic}, and the operations
 * tallied as they ran equal what the op recorded, its element counts times the costs declared in
 * {@link ElementwiseFlops} and {@link AdamWFlops}, and the analytic formula. Add, drop or change an
 * operation in a loop body and one of these fails.
 */
public class ArithmeticCountTest {
    /** Two (rows, width) pairs, so a per-row cost cannot pass for a per-element one. */
    static Stream<int[]> rowsAndWidths() {
        return Stream.of(new int[] {3, 5}, new int[] {7, 2});
    }

    private final CountingArithmetic arithmetic = new CountingArithmetic();
    private final FlopCounter counter = new FlopCounter();
    private final CountingOps ops = new CountingOps(counter,
            new MatmulBackend.Ejml(1, new ScalarKernels(arithmetic)));
    private final Random random = new Random(5);

    @ParameterizedTest
    @MethodSource("rowsAndWidths")
    void rmsnormForwardAndBackward(int[] size) {
        int rows = size[0];
        int width = size[1];
        RmsNorm norm = new RmsNorm(ops, Component.RMSNORM);
        FMatrixRMaj x = random(rows, width);
        FMatrixRMaj gain = random(1, width);
        FMatrixRMaj out = new FMatrixRMaj(rows, width);
        FMatrixRMaj reciprocal = new FMatrixRMaj(rows, 1);
        norm.forward(x, gain, out, reciprocal);
        assertExecutedRecordedPredicted(Component.RMSNORM, ElementwiseFlops.rmsnormForward(rows, width));
        norm.backward(random(rows, width), x, gain, reciprocal, new FMatrixRMaj(rows, width), new FMatrixRMaj(1, width));
        assertExecutedRecordedPredicted(Component.RMSNORM, ElementwiseFlops.rmsnormBackward(rows, width));
    }

    @ParameterizedTest
    @MethodSource("rowsAndWidths")
    void layerNormForwardAndBackward(int[] size) {
        int rows = size[0];
        int width = size[1];
        LayerNorm norm = new LayerNorm(ops, Component.RMSNORM);
        FMatrixRMaj x = random(rows, width);
        FMatrixRMaj gain = random(1, width);
        FMatrixRMaj bias = random(1, width);
        FMatrixRMaj reciprocal = new FMatrixRMaj(rows, 1);
        FMatrixRMaj mean = new FMatrixRMaj(rows, 1);
        norm.forward(x, gain, bias, new FMatrixRMaj(rows, width), reciprocal, mean);
        assertExecutedRecordedPredicted(Component.RMSNORM, ElementwiseFlops.layerNormForward(rows, width));
        norm.backward(random(rows, width), x, gain, reciprocal, mean, new FMatrixRMaj(rows, width),
                new FMatrixRMaj(1, width), new FMatrixRMaj(1, width));
        assertExecutedRecordedPredicted(Component.RMSNORM, ElementwiseFlops.layerNormBackward(rows, width));
    }

    @ParameterizedTest
    @MethodSource("rowsAndWidths")
    void geluForwardAndBackward(int[] size) {
        int rows = size[0];
        int width = size[1];
        Gelu gelu = new Gelu(ops);
        FMatrixRMaj a = random(rows, width);
        gelu.forward(a, new FMatrixRMaj(rows, width));
        assertExecutedRecordedPredicted(Component.FFN_SILU, BigInteger.valueOf(ElementwiseFlops.GELU_FORWARD_PER_ELEMENT
                * rows * width));
        gelu.backward(random(rows, width), a);
        assertExecutedRecordedPredicted(Component.FFN_SILU, BigInteger.valueOf(ElementwiseFlops.GELU_BACKWARD_PER_ELEMENT
                * rows * width));
    }

    @ParameterizedTest
    @MethodSource("rowsAndWidths")
    void gegluForwardAndBackward(int[] size) {
        int rows = size[0];
        int width = size[1];
        Gelu gelu = new Gelu(ops);
        FMatrixRMaj a = random(rows, width);
        FMatrixRMaj b = random(rows, width);
        FMatrixRMaj activation = new FMatrixRMaj(rows, width);
        gelu.forward(a, b, activation, new FMatrixRMaj(rows, width));
        assertExecutedRecordedPredicted(Component.FFN_SILU, BigInteger.valueOf(
                ElementwiseFlops.GEGLU_FORWARD_PER_ELEMENT * rows * width));
        gelu.backward(random(rows, width), a, b, activation, new FMatrixRMaj(rows, width));
        assertExecutedRecordedPredicted(Component.FFN_SILU, BigInteger.valueOf(
                ElementwiseFlops.GEGLU_BACKWARD_PER_ELEMENT * rows * width));
    }

    @Test
    void causalSoftmaxForwardAndBackward() {
        for (int context : new int[] {1, 4, 9}) {
            CausalSoftmax softmax = new CausalSoftmax(ops, context, 4);
            FMatrixRMaj scores = random(context, context);
            softmax.forward(scores);
            assertExecutedRecordedPredicted(Component.ATTENTION_SOFTMAX,
                    ElementwiseFlops.causalSoftmaxForward(context));
            softmax.backward(scores, random(context, context));
            assertExecutedRecordedPredicted(Component.ATTENTION_SOFTMAX,
                    ElementwiseFlops.causalSoftmaxBackward(context));
        }
    }

    /** Soft-capped scores, over a window of 3: the cap's 7 operations a score forward and 3 backward. */
    @Test
    void cappedCausalSoftmaxForwardAndBackward() {
        for (int context : new int[] {1, 4, 9}) {
            CausalSoftmax softmax = new CausalSoftmax(ops, 3, 4, 2f, Component.ATTENTION_SOFTMAX);
            FMatrixRMaj scores = random(context, context);
            FMatrixRMaj tanh = new FMatrixRMaj(context, context);
            softmax.forward(scores, tanh);
            assertExecutedRecordedPredicted(Component.ATTENTION_SOFTMAX,
                    ElementwiseFlops.causalSoftmaxForward(context, 3, true));
            softmax.backward(scores, random(context, context), tanh);
            assertExecutedRecordedPredicted(Component.ATTENTION_SOFTMAX,
                    ElementwiseFlops.causalSoftmaxBackward(context, 3, true));
        }
    }

    @ParameterizedTest
    @MethodSource("rowsAndWidths")
    void cappedCrossEntropyForwardAndBackward(int[] size) {
        int rows = size[0];
        int vocab = size[1];
        CrossEntropy loss = new CrossEntropy(ops, new FMatrixRMaj(rows, 1), 3f);
        FMatrixRMaj logits = random(rows, vocab);
        FMatrixRMaj tanh = new FMatrixRMaj(rows, vocab);
        int[] targets = new int[rows];
        for (int row = 0; row < rows; row++) {
            targets[row] = random.nextInt(vocab);
        }
        loss.forward(logits, targets, tanh);
        assertExecutedRecordedPredicted(Component.CROSS_ENTROPY,
                ElementwiseFlops.crossEntropyForward(rows, vocab, true));
        loss.backward(logits, targets, tanh);
        assertExecutedRecordedPredicted(Component.CROSS_ENTROPY,
                ElementwiseFlops.crossEntropyBackward(rows, vocab, true));
    }

    @ParameterizedTest
    @MethodSource("rowsAndWidths")
    void swigluForwardAndBackward(int[] size) {
        int rows = size[0];
        int width = size[1];
        SwiGlu swiGlu = new SwiGlu(ops);
        FMatrixRMaj a = random(rows, width);
        FMatrixRMaj b = random(rows, width);
        FMatrixRMaj silu = new FMatrixRMaj(rows, width);
        swiGlu.forward(a, b, silu, new FMatrixRMaj(rows, width));
        assertExecutedRecordedPredicted(Component.FFN_SILU, ElementwiseFlops.swigluForward((long) rows * width));
        swiGlu.backward(random(rows, width), a, b, silu, new FMatrixRMaj(rows, width));
        assertExecutedRecordedPredicted(Component.FFN_SILU, ElementwiseFlops.swigluBackward((long) rows * width));
    }

    @ParameterizedTest
    @MethodSource("rowsAndWidths")
    void crossEntropyForwardAndBackward(int[] size) {
        int rows = size[0];
        int vocab = size[1];
        CrossEntropy loss = new CrossEntropy(ops, new FMatrixRMaj(rows, 1));
        FMatrixRMaj logits = random(rows, vocab);
        int[] targets = new int[rows];
        for (int row = 0; row < rows; row++) {
            targets[row] = random.nextInt(vocab);
        }
        loss.forward(logits, targets);
        assertExecutedRecordedPredicted(Component.CROSS_ENTROPY, ElementwiseFlops.crossEntropyForward(rows, vocab));
        loss.backward(logits, targets);
        assertExecutedRecordedPredicted(Component.CROSS_ENTROPY, ElementwiseFlops.crossEntropyBackward(rows, vocab));
    }

    @ParameterizedTest
    @MethodSource("rowsAndWidths")
    void residualAddAndEmbeddingScatterAdd(int[] size) {
        int rows = size[0];
        int width = size[1];
        ops.addEquals(Component.OUTPUT_PROJECTION, random(rows, width), random(rows, width));
        assertExecutedRecordedPredicted(Component.OUTPUT_PROJECTION, ElementwiseFlops.residualAdd((long) rows * width));
        int[] ids = new int[rows];
        for (int row = 0; row < rows; row++) {
            ids[row] = random.nextInt(4);
        }
        new Embedding(ops).backward(ids, random(rows, width), new FMatrixRMaj(4, width));
        assertExecutedRecordedPredicted(Component.TOKEN_EMBEDDING,
                ElementwiseFlops.embeddingBackward((long) rows * width));
    }

    @Test
    void adamWStepOverTwoTensors() {
        List<Parameter> parameters = List.of(parameter(3, 5), parameter(1, 7));
        new AdamW(ops, AdamW.Hyperparameters.defaults()).step(parameters);
        BigInteger predicted = AdamWFlops.step(3 * 5 + 7);
        assertEquals(predicted, BigInteger.valueOf(arithmetic.operations()), "executed");
        assertEquals(predicted, BigInteger.valueOf(counter.optimizerFlops()), "recorded");
    }

    /** A whole step of the model: every operation it executed is one it recorded, and the reverse. */
    @ParameterizedTest
    @MethodSource("flopcast.measure.counting.CountingTest#sweep")
    void aWholeStepExecutesWhatItRecords(Shape shape) {
        TransformerModel model = new TransformerModel(shape, 7, counter, ops.backend());
        arithmetic.reset();
        int[][] batch = CountingTest.Counted.batch(shape, new Random(11));
        model.step(batch[0], batch[1]);
        assertEquals(counter.elementwiseFlops() + counter.optimizerFlops(), arithmetic.operations());
    }

    /**
     * Mutation of the real model: its kernels skip one method's work (a kernel that returns
     * without computing), the op classes still record that work, and the tally is short. Every
     * kernel method the model calls is mutated in turn.
     */
    @Test
    void skippingAnyKernelsWorkIsCaught() {
        Shape shape = new Shape(13, 5, 2, 12, 3, 20, 2);
        int[][] batch = CountingTest.Counted.batch(shape, new Random(11));
        ElementwiseKernels exact = new ScalarKernels(arithmetic);
        int mutants = 0;
        for (Method skipped : ElementwiseKernels.class.getMethods()) {
            if (skipped.getName().equals("arithmetic")) {
                continue;
            }
            ElementwiseKernels mutant = skipping(exact, skipped);
            FlopCounter mutantCounter = new FlopCounter();
            TransformerModel model = new TransformerModel(shape, 7, mutantCounter, new MatmulBackend.Ejml(1, mutant));
            arithmetic.reset();
            model.step(batch[0], batch[1]);
            long recorded = mutantCounter.elementwiseFlops() + mutantCounter.optimizerFlops();
            assertTrue(arithmetic.operations() < recorded, "skipping " + skipped.getName() + " went unnoticed: "
                    + arithmetic.operations() + " executed, " + recorded + " recorded");
            mutants++;
        }
        assertEquals(10, mutants, "kernel methods mutated");
    }

    /** {@code exact}, but {@code skipped} does nothing and returns 0. */
    private static ElementwiseKernels skipping(ElementwiseKernels exact, Method skipped) {
        return (ElementwiseKernels) Proxy.newProxyInstance(ElementwiseKernels.class.getClassLoader(),
                new Class<?>[] {ElementwiseKernels.class}, (proxy, method, args) -> {
                    if (method.equals(skipped)) {
                        return method.getReturnType() == float.class ? 0f : null;
                    }
                    try {
                        return method.invoke(exact, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Executed (tallied), recorded (the counter) and predicted (analytic) agree; then both restart. */
    private void assertExecutedRecordedPredicted(Component component, BigInteger predicted) {
        assertEquals(predicted, BigInteger.valueOf(arithmetic.operations()), component + " executed");
        assertEquals(predicted, BigInteger.valueOf(counter.elementwiseFlops(component)), component + " recorded");
        arithmetic.reset();
        counter.reset();
    }

    private Parameter parameter(int rows, int cols) {
        return new Parameter(ParameterTensor.values()[0], 0, random(rows, cols), random(rows, cols), random(rows, cols),
                new FMatrixRMaj(rows, cols));
    }

    private FMatrixRMaj random(int rows, int cols) {
        FMatrixRMaj matrix = new FMatrixRMaj(rows, cols);
        for (int i = 0; i < matrix.data.length; i++) {
            matrix.data[i] = (float) random.nextGaussian();
        }
        return matrix;
    }
}
