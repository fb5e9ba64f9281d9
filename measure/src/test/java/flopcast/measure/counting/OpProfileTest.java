package flopcast.measure.counting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Architecture;
import flopcast.analytic.AttentionKernel;
import flopcast.analytic.Bf16Conversions;
import flopcast.analytic.Component;
import flopcast.analytic.LinearBias;
import flopcast.analytic.NamedShape;
import flopcast.analytic.OverheadTraffic;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Recompute;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.model.TransformerModel;
import flopcast.measure.run.BackendChoice;
import flopcast.measure.run.StepProfile;
import flopcast.measure.run.TrainRun;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The profile of a step covers the step: every FLOP the counter records in a pass is executed
 * inside a class that was timed in that pass (so an op added without a timed class fails here),
 * the classes never overlap, their sum fits in the step and the remainder is what is left; and a
 * profile that is off records nothing.
 */
class OpProfileTest {
    /** The passes whose matmuls the counter keeps apart. */
    private static final Set<FlopCounter.Pass> MATMUL_PASSES =
            EnumSet.of(FlopCounter.Pass.FORWARD, FlopCounter.Pass.BACKWARD, FlopCounter.Pass.RECOMPUTE);

    /** CountingTest's sweep on one thread, and every tenth shape on two, where the loops and heads are split. */
    static Stream<Arguments> sweepOnThreads() {
        return Stream.concat(CountingTest.sweep().map(shape -> Arguments.of(shape, 1)),
                Stream.of(NamedShape.TINY.shape(), CountingTest.sweep().toList().get(13),
                        CountingTest.sweep().toList().get(20), CountingTest.sweep().toList().get(23))
                        .map(shape -> Arguments.of(shape, 2)));
    }

    /** One warm-up step unprofiled, then one step profiled; returns the counter of the profiled step. */
    private static FlopCounter profiledStep(Shape shape, MatmulBackend backend) {
        FlopCounter counter = new FlopCounter();
        TransformerModel model = new TransformerModel(shape, 7, counter, backend);
        int[][] batch = CountingTest.Counted.batch(shape, new Random(11));
        model.step(batch[0], batch[1]);
        counter.reset();
        counter.profile().enabled(true);
        model.step(batch[0], batch[1]);
        return counter;
    }

    @ParameterizedTest
    @MethodSource("sweepOnThreads")
    void everyComponentAndPassThatExecutesFlopsHasATimedClass(Shape shape, int threads) {
        FlopCounter counter = profiledStep(shape, BackendChoice.of("ejml", threads));
        OpProfile profile = counter.profile();
        int checked = 0;
        for (Component component : Component.values()) {
            OpClass op = OpClass.of(component);
            for (FlopCounter.Pass pass : MATMUL_PASSES) {
                long matmul = switch (pass) {
                    case FORWARD -> counter.forwardMatmulFlops(component);
                    case BACKWARD -> counter.backwardMatmulFlops(component);
                    default -> counter.recomputeMatmulFlops(component);
                };
                if (matmul > 0) {
                    assertEquals(matmul, profile.flops(op, pass), component + " " + pass + " matmul FLOPs");
                    assertTrue(profile.calls(op, pass) > 0, component + " " + pass + " has no timed call");
                    checked++;
                }
            }
        }
        long total = 0;
        for (OpClass op : OpClass.values()) {
            for (FlopCounter.Pass pass : FlopCounter.Pass.values()) {
                total += profile.flops(op, pass);
                if (profile.flops(op, pass) > 0) {
                    assertTrue(profile.calls(op, pass) > 0, op + " " + pass + " executed FLOPs but was never timed");
                    assertTrue(profile.nanos(op, pass) > 0, op + " " + pass + " timed no time");
                    checked++;
                }
            }
        }
        assertEquals(counter.forwardMatmulFlops() + counter.backwardMatmulFlops() + counter.recomputeMatmulFlops()
                + counter.elementwiseFlops() + counter.optimizerFlops(), total, "every counted FLOP is in a class");
        for (Component component : Component.values()) {
            if (!component.inBlock() || component == Component.RMSNORM || component == Component.ATTENTION_SOFTMAX
                    || component == Component.FFN_SILU) {
                // a component with no residual add: its elementwise FLOPs are its own class's, in some pass
                long elementwise = 0;
                for (FlopCounter.Pass pass : FlopCounter.Pass.values()) {
                    elementwise += profile.flops(OpClass.of(component), pass);
                }
                long matmul = counter.forwardMatmulFlops(component) + counter.backwardMatmulFlops(component)
                        + counter.recomputeMatmulFlops(component);
                // the softmax's class times the global layers' softmax too (a window pattern)
                long counted = counter.elementwiseFlops(component) + (component == Component.ATTENTION_SOFTMAX
                        ? counter.elementwiseFlops(Component.ATTENTION_SOFTMAX_GLOBAL) : 0);
                assertEquals(counted, elementwise - matmul, component + " elementwise");
            }
        }
        long residual = 0;
        long bias = 0;
        long qkNorm = 0;
        for (FlopCounter.Pass pass : FlopCounter.Pass.values()) {
            residual += profile.flops(OpClass.RESIDUAL_ADD, pass);
            bias += profile.flops(OpClass.BIAS, pass);
            qkNorm += profile.flops(OpClass.QK_NORM, pass);
        }
        long projections = 0;
        for (Component projection : List.of(Component.QKV_PROJECTION, Component.OUTPUT_PROJECTION, Component.FFN_W1,
                Component.FFN_W3, Component.FFN_W2)) {
            projections += counter.elementwiseFlops(projection);
        }
        assertEquals(projections, residual + bias + qkNorm, "the elementwise FLOPs counted under the projections are"
                + " the residual adds (output projection and W2), the biases and QK-norm");
        assertEquals(shape.architecture().bias() != LinearBias.NONE, bias > 0, "a bias timed where there is one");
        assertEquals(shape.architecture().qkNorm().active(), qkNorm > 0, "QK-norm timed where there is one");
        assertTrue(profile.calls(OpClass.ADAMW, FlopCounter.Pass.OPTIMIZER) > 0, "AdamW timed in the optimizer pass");
        assertTrue(checked >= 20, "checked " + checked + " classes and passes");
    }

    /** The work no component's FLOPs describe is timed too, each where the shape's settings run it. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void theWorkTheFacadeDoesNotSeeHasItsClasses(int threads) {
        Shape bf16 = CountingTest.sweep().toList().get(17);
        assertEquals(PrecisionPolicy.BF16_MIXED, bf16.policy());
        OpProfile profile = profiledStep(bf16, BackendChoice.of("ejml", threads)).profile();
        for (OpClass op : new OpClass[] {OpClass.TOKEN_EMBEDDING, OpClass.HEAD_COPY, OpClass.ATTENTION_SPLIT,
                OpClass.RESIDUAL_ADD}) {
            assertTrue(profile.calls(op, FlopCounter.Pass.FORWARD) > 0, op + " forward");
        }
        assertTrue(profile.calls(OpClass.TOKEN_EMBEDDING, FlopCounter.Pass.BACKWARD) > 0, "the scatter-add");
        assertTrue(profile.calls(OpClass.GRADIENT_ZEROING, FlopCounter.Pass.BACKWARD) > 0, "gradient zeroing");
        for (FlopCounter.Pass pass : FlopCounter.Pass.values()) {
            if (pass != FlopCounter.Pass.RECOMPUTE) {
                assertTrue(profile.calls(OpClass.BF16_CONVERSION, pass) > 0, "bf16 conversions in " + pass);
            }
        }
        OpProfile float32 = profiledStep(NamedShape.TINY.shape(), BackendChoice.of("ejml", threads)).profile();
        for (FlopCounter.Pass pass : FlopCounter.Pass.values()) {
            assertEquals(0, float32.calls(OpClass.BF16_CONVERSION, pass), "float32 converts nothing in " + pass);
        }
    }

    /**
     * The step-time model's table of the work outside the components ({@link OverheadTraffic}) calls
     * each class in each pass exactly as often as the executed step does, over the whole sweep (every
     * attention kernel, recompute mode, grouped-query attention, a T that is not a multiple of the
     * tile), on one thread, where every call is the calling thread's.
     */
    @ParameterizedTest
    @MethodSource("flopcast.measure.counting.CountingTest#sweep")
    void theOverheadTableCallsEachClassAsTheStepDoes(Shape shape) {
        OpProfile profile = profiledStep(shape, BackendChoice.of("ejml", 1)).profile();
        java.util.Map<String, Long> predicted = new java.util.HashMap<>();
        for (OverheadTraffic.Traffic row : OverheadTraffic.of(shape)) {
            assertTrue(row.calls() > 0 && row.bytes().signum() > 0, row + " has work");
            predicted.merge(row.opClass() + " " + row.pass(), row.calls(), Long::sum);
        }
        // bytes where the step says what it moved: 12 per residual-add FLOP (two reads and a write of a
        // float per add), and the gradient zeroing's storage, each gradient in its own type
        for (OverheadTraffic.Traffic row : OverheadTraffic.of(shape)) {
            FlopCounter.Pass pass = FlopCounter.Pass.valueOf(row.pass().toUpperCase(java.util.Locale.ROOT));
            if (row.opClass().equals(OverheadTraffic.RESIDUAL_ADD)) {
                assertEquals(java.math.BigInteger.valueOf(12 * profile.flops(OpClass.RESIDUAL_ADD, pass)), row.bytes(),
                        "residual add bytes " + row.pass());
            }
            if (row.opClass().equals(OverheadTraffic.BIAS)) {
                // per added element: y read and written (forward) or dY read (backward), 4 bytes each,
                // besides each bias's own width read (and its gradient written) once a call
                long perElement = pass == FlopCounter.Pass.BACKWARD ? 4 : 8;
                assertTrue(row.bytes().compareTo(java.math.BigInteger.valueOf(perElement
                        * profile.flops(OpClass.BIAS, pass))) > 0, "bias bytes " + row.pass());
            }
        }
        FlopCounter counter = new FlopCounter();
        TransformerModel model = new TransformerModel(shape, 7, counter, BackendChoice.of("ejml", 1));
        long zeroed = model.trainableParameters().stream()
                .mapToLong(p -> p.grad.elements() * p.grad.dataType().bytes()).sum()
                + shape.tokens() * shape.dModel() * shape.policy().activationType().bytes();
        assertEquals(java.math.BigInteger.valueOf(zeroed), OverheadTraffic.zeroedBytes(shape), "zeroed bytes");
        for (OpClass op : new OpClass[] {OpClass.RESIDUAL_ADD, OpClass.BIAS, OpClass.QK_NORM, OpClass.HEAD_COPY,
                OpClass.GRADIENT_ZEROING}) {
            for (FlopCounter.Pass pass : FlopCounter.Pass.values()) {
                String key = op.jsonName() + " " + pass.name().toLowerCase(java.util.Locale.ROOT);
                assertEquals(predicted.getOrDefault(key, 0L), profile.calls(op, pass), key + " calls at " + shape);
            }
        }
    }

    /**
     * Shapes the bf16 conversion table covers: the sweep's bfloat16 shapes that it covers, and each
     * policy at one, two and three blocks under every attention kernel and recomputation mode, with
     * grouped-query attention, a tied head and a head width other than d / h.
     */
    static Stream<Shape> convertedShapes() {
        Stream<Shape> sweep = CountingTest.sweep().filter(s -> s.policy() != PrecisionPolicy.FP32
                && Bf16Conversions.uncovered(s).isEmpty());
        java.util.List<Shape> more = new java.util.ArrayList<>();
        Shape[] bases = {new Shape(13, 5, 1, 12, 3, 20, 2), new Shape(16, 4, 2, 16, 4, 24, 2)
                .withArchitecture(new Architecture(2, true)), new Shape(11, 9, 3, 12, 3, 16, 1)
                .withArchitecture(new Architecture(1, false, LinearBias.NONE, 6, false))};
        for (Shape base : bases) {
            for (PrecisionPolicy policy : new PrecisionPolicy[] {PrecisionPolicy.BF16_MIXED,
                PrecisionPolicy.BF16_MIXED_FP32_GRADS, PrecisionPolicy.BF16}) {
                for (AttentionKernel kernel : AttentionKernel.values()) {
                    for (Recompute mode : Recompute.values()) {
                        more.add(base.withSettings(new Settings(policy, kernel, mode)));
                    }
                }
            }
        }
        return Stream.concat(sweep, more.stream());
    }

    /**
     * The bf16 conversion table ({@link Bf16Conversions}) calls the class in each pass exactly as often
     * as the executed step does and moves exactly the bytes it moves; under float32 it has no row.
     */
    @ParameterizedTest
    @MethodSource("convertedShapes")
    void theConversionTableConvertsAsTheStepDoes(Shape shape) {
        OpProfile profile = profiledStep(shape, BackendChoice.of("ejml", 1)).profile();
        java.util.Map<String, Bf16Conversions.Pass> table = new java.util.HashMap<>();
        for (Bf16Conversions.Pass pass : Bf16Conversions.of(shape)) {
            table.put(pass.pass(), pass);
        }
        List<String> predicted = new java.util.ArrayList<>();
        List<String> executed = new java.util.ArrayList<>();
        for (FlopCounter.Pass pass : FlopCounter.Pass.values()) {
            Bf16Conversions.Pass row = table.get(pass.name().toLowerCase(java.util.Locale.ROOT));
            predicted.add(pass + " " + (row == null ? 0 : row.calls()) + " calls "
                    + (row == null ? 0 : row.bytes()) + " bytes");
            executed.add(pass + " " + profile.calls(OpClass.BF16_CONVERSION, pass) + " calls "
                    + profile.bytes(OpClass.BF16_CONVERSION, pass) + " bytes");
        }
        assertEquals(predicted, executed, "conversions at " + shape);
        assertTrue(table.containsKey("forward") && table.containsKey("optimizer"), "conversions forward and after");
        assertTrue(Bf16Conversions.of(shape.withPolicy(PrecisionPolicy.FP32)).isEmpty(), "float32 converts nothing");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ejml", "vector"})
    void theRemainderIsTheStepLessTheClassesAndTheClassesFitInTheStep(String backend) {
        TrainRun.Report report = TrainRun.run(NamedShape.TINY.shape(), 3, 1, BackendChoice.of(backend, 2), true);
        StepProfile profile = report.profile().orElseThrow();
        assertEquals(2, profile.steps(), "the steps after the warm-up");
        double sum = 0;
        for (StepProfile.Row row : profile.rows()) {
            sum += row.seconds();
        }
        assertEquals(profile.stepSeconds() - sum, profile.remainderSeconds(), 1e-12, "remainder = step - sum");
        assertTrue(profile.timedSeconds() > 0, "something was timed");
        assertTrue(profile.timedSeconds() <= profile.stepSeconds(),
                profile.timedSeconds() + " s timed in a " + profile.stepSeconds() + " s step");
        assertTrue(profile.rows().stream().anyMatch(row -> row.flopsPerSecond().isPresent()), "matmuls rated");
        assertTrue(profile.rows().stream().anyMatch(row -> row.bytesPerSecond().isPresent()), "loops rated");
    }

    @Test
    void profilingOffRecordsNothing() {
        FlopCounter counter = new FlopCounter();
        TransformerModel model = new TransformerModel(CountingTest.sweep().toList().get(17), 7, counter,
                BackendChoice.of("ejml", 2));
        int[][] batch = CountingTest.Counted.batch(model.shape(), new Random(11));
        model.step(batch[0], batch[1]);
        OpProfile profile = counter.profile();
        assertEquals(0, profile.timedNanos());
        for (OpClass op : OpClass.values()) {
            for (FlopCounter.Pass pass : FlopCounter.Pass.values()) {
                assertEquals(0, profile.calls(op, pass), op + " " + pass);
                assertEquals(0, profile.flops(op, pass), op + " " + pass);
            }
        }
        assertTrue(counter.forwardMatmulFlops() > 0, "the step ran");
        assertTrue(TrainRun.run(NamedShape.TINY.shape(), 2, 1).profile().isEmpty(), "no profile unless asked");
    }

    @Test
    void aRegionInsideAnotherIsRefused() {
        OpProfile profile = new FlopCounter().profile();
        profile.enabled(true);
        long start = profile.start();
        assertThrows(IllegalStateException.class, profile::start);
        profile.stop(OpClass.ADAMW, start);
        profile.stop(OpClass.ADAMW, profile.start());
        assertEquals(2, profile.calls(OpClass.ADAMW, FlopCounter.Pass.FORWARD));
    }

    @Test
    void aProfileNeedsAStepAfterTheWarmUp() {
        assertThrows(IllegalArgumentException.class,
                () -> TrainRun.run(NamedShape.TINY.shape(), 1, 1, MatmulBackend.ejml(), true));
    }
}
