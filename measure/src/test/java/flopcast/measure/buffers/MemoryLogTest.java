package flopcast.measure.buffers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.AttentionKernel;
import flopcast.analytic.FrozenLayers;
import flopcast.analytic.Lora;
import flopcast.analytic.LoraTarget;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Recompute;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import flopcast.analytic.StepTimeline;
import flopcast.measure.counting.CountingTest;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.model.TransformerModel;
import flopcast.measure.run.BackendChoice;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.api.Test;

/**
 * The executed step's buffers, each alive from the phase that first used it to the last
 * ({@link MemoryLog}), against the predicted timeline ({@link StepTimeline}) with the gradients
 * zeroed in place, as the executed model zeroes them, and set to none, each alive from the backward
 * op that first accumulates into it: the weights, optimizer state, gradients and kept
 * activations equal in bytes at every phase, under every policy, kernel and recompute mode and
 * the architectures and fine-tuning the model executes. The workspace is predicted as one pool for
 * both passes; the log sees only the rows the ops reach through their storage (the attention kernels
 * keep their per-head scratch matrices), so the counted workspace is at most the predicted.
 */
class MemoryLogTest {
    /** Held and pooled losses on the vector backend, relative: a race or a stale array is far beyond it. */
    private static final float LOSS_TOLERANCE = 1e-4f;

    static List<Shape> shapes() {
        List<Shape> shapes = new ArrayList<>();
        Shape gqa = ShapeKey.parse("V=37 T=67 L=3 d=24 h=6 d_ff=40 B=2 h_kv=3");
        for (PrecisionPolicy policy : PrecisionPolicy.values()) {
            for (AttentionKernel kernel : AttentionKernel.values()) {
                for (Recompute mode : Recompute.values()) {
                    shapes.add(gqa.withSettings(new Settings(policy, kernel, mode)));
                }
            }
        }
        for (String layout : List.of("tied bias=all norm=layernorm positions=16 mlp=gelu", "h_kv=1 tied mlp=geglu",
                "h_kv=2 tied d_k=16 qk_norm", "qk_norm=projection norm_placement=post", "h_kv=2 window=8",
                "h_kv=2 tied bias=qkv", "h_kv=2 tied norm_placement=sandwich attention_softcap=50 logit_softcap=30",
                "experts=4:2 shared_expert=16", "experts=4:2 gates=unnormalized dense_layers=0 dense_ffn=64",
                "h_kv=2 bf16-mixed flash lora=4:query,value nf4", "freeze=embeddings,norms")) {
            shapes.add(ShapeKey.parse("V=64 T=16 L=2 d=32 h=4 d_ff=48 B=2 " + layout));
        }
        Shape small = ShapeKey.parse("V=64 T=16 L=3 d=32 h=4 d_ff=48 B=2");
        shapes.add(small.withSettings(small.settings().withLora(Lora.of(4, EnumSet.of(LoraTarget.QUERY,
                LoraTarget.VALUE)))));
        shapes.add(small.withSettings(small.settings().withFrozenLayers(new FrozenLayers(0, 0))));
        return shapes;
    }

    @Test
    void theExecutedStepKeepsWhatThePredictedTimelineHoldsAtEveryPhase() {
        for (Shape shape : shapes()) {
            TransformerModel model = new TransformerModel(shape, 3, new FlopCounter());
            int[][] batch = CountingTest.Counted.batch(shape, new Random(5));
            model.step(batch[0], batch[1]);
            for (StepTimeline.Gradients gradients : StepTimeline.Gradients.values()) {
                List<MemoryLog.Phase> counted = model.memoryLog().timeline(
                        gradients == StepTimeline.Gradients.SET_TO_NONE);
                compare(shape, gradients, counted, StepTimeline.of(shape, gradients, 1).phases());
            }
        }
    }

    /**
     * Three micro-batches a step: the first's phases as the prediction's first micro-batch, the second's
     * and the third's each as its second (the gradients alive throughout both, zeroed or set to none),
     * then the optimizer.
     */
    @Test
    void accumulationKeepsTheGradientsThroughTheLaterMicroBatches() {
        Shape gqa = ShapeKey.parse("V=37 T=67 L=3 d=24 h=6 d_ff=40 B=2 h_kv=3");
        int passes = 3;
        for (Shape shape : List.of(gqa, gqa.withSettings(new Settings(PrecisionPolicy.BF16_MIXED, AttentionKernel.FLASH,
                Recompute.FULL)), ShapeKey.parse("V=64 T=16 L=2 d=32 h=4 d_ff=48 B=2 h_kv=2 tied lora=4:query,value"))) {
            TransformerModel model = new TransformerModel(shape, 3, new FlopCounter());
            int[][] tokens = new int[passes][];
            int[][] targets = new int[passes][];
            Random random = new Random(5);
            for (int pass = 0; pass < passes; pass++) {
                int[][] batch = CountingTest.Counted.batch(shape, random);
                tokens[pass] = batch[0];
                targets[pass] = batch[1];
            }
            model.step(tokens, targets);
            for (StepTimeline.Gradients gradients : StepTimeline.Gradients.values()) {
                List<StepTimeline.Phase> expected = StepTimeline.of(shape, gradients, passes).runOrder();
                List<MemoryLog.Phase> counted = model.memoryLog().timeline(
                        gradients == StepTimeline.Gradients.SET_TO_NONE);
                compare(shape, gradients, counted, expected);
                assertEquals(List.of(1, 2, 3, 0), counted.stream().map(MemoryLog.Phase::microBatch).distinct().toList());
            }
        }
    }

    /**
     * Pooled from the second step on, the model allocates and releases its buffers as the timeline says: the pool's
     * live bytes at every phase equal the predicted timeline's in every kind, the workspace included, and the
     * steps compute exactly what the same steps compute with every buffer held throughout (losses, weights and
     * gradients equal to the bit), with the gradients zeroed in place and set to none, over one micro-batch a
     * step and three; and on the vector backend's two threads, the losses to 1e-4 ({@link #exact}).
     */
    @Test
    void aPooledStepHoldsExactlyThePredictedBytesAndComputesWhatAnUnpooledStepDoes() {
        List<Shape> shapes = new ArrayList<>(shapes());
        // two tokens' four choices among eight experts: at least four experts reach no token, and still write
        // their gradients (zeros), allocated where set to none
        shapes.add(ShapeKey.parse("V=64 T=2 L=2 d=32 h=4 d_ff=48 B=1 experts=8:2 lora=4:w1,w2"));
        shapes.add(ShapeKey.parse("V=64 T=2 L=2 d=32 h=4 d_ff=48 B=1 experts=8:2"));
        for (int i = 0; i < shapes.size(); i++) {
            for (StepTimeline.Gradients gradients : StepTimeline.Gradients.values()) {
                // three micro-batches at every fourth shape: policies, kernels and modes among them
                for (int passes : i % 4 == 0 ? new int[] {1, 3} : new int[] {1}) {
                    pooledAgainstUnpooled(shapes.get(i), gradients, passes, MatmulBackend.ejml());
                }
            }
        }
        // the vector backend on two threads: its workers get matrices the model thread has already allocated (the
        // losses to 1e-4 and the pool's bytes exactly: its first steps round as the Vector API's fallbacks do)
        for (Shape shape : List.of(shapes.get(0), shapes.get(5), shapes.get(shapes.size() - 1))) {
            pooledAgainstUnpooled(shape, StepTimeline.Gradients.SET_TO_NONE, 2, BackendChoice.of("vector", 2));
        }
    }

    private static void pooledAgainstUnpooled(Shape shape, StepTimeline.Gradients gradients, int passes,
            MatmulBackend backend) {
        String where = shape.describe() + ", gradients " + gradients.cliName() + ", " + passes + " micro-batches, "
                + backend.name() + " on " + backend.threads();
        TransformerModel held = new TransformerModel(shape, 3, new FlopCounter(), backend);
        TransformerModel pooled = new TransformerModel(shape, 3, new FlopCounter(), backend);
        Random random = new Random(5);
        BufferPool pool = null;
        for (int step = 0; step < 3; step++) {
            int[][] tokens = new int[passes][];
            int[][] targets = new int[passes][];
            for (int pass = 0; pass < passes; pass++) {
                int[][] batch = CountingTest.Counted.batch(shape, random);
                tokens[pass] = batch[0];
                targets[pass] = batch[1];
            }
            float expected = held.step(tokens, targets);
            float loss = pooled.step(tokens, targets);
            assertEquals(expected, loss, exact(backend) ? 0f : LOSS_TOLERANCE * Math.abs(expected), where + ": step "
                    + step + " loss");
            if (step == 0) {
                pool = pooled.memoryLog().pool(gradients == StepTimeline.Gradients.SET_TO_NONE);
            }
        }
        for (int i = 0; exact(backend) && i < held.parameters().size(); i++) {
            Parameter expected = held.parameters().get(i);
            Parameter actual = pooled.parameters().get(i);
            assertArrayEquals(expected.value.values(), actual.value.values(), where + ": " + expected.row() + " value");
            if (expected.grad != null) {
                assertArrayEquals(expected.grad.values(), actual.grad.values(), where + ": " + expected.row() + " grad");
            }
        }
        List<MemoryLog.Phase> counted = pool.timeline();
        List<StepTimeline.Phase> predicted = StepTimeline.of(shape, gradients, passes).runOrder();
        assertEquals(predicted.stream().map(StepTimeline.Phase::name).toList(),
                counted.stream().map(MemoryLog.Phase::name).toList(), where);
        for (int i = 0; i < counted.size(); i++) {
            MemoryLog.Phase c = counted.get(i);
            StepTimeline.Live p = predicted.get(i).live();
            String at = where + ", " + c.name() + " (" + i + ")";
            assertEquals(p.weights(), c.weights(), at + ": weights");
            assertEquals(p.optimizerState(), c.optimizerState(), at + ": optimizer state");
            assertEquals(p.gradients(), c.gradients(), at + ": gradients");
            assertEquals(p.activations(), c.activations(), at + ": activations");
            assertEquals(p.workspace(), c.workspace(), at + ": workspace");
        }
        assertTrue(pool.events() > 0 && pool.allocatedBytes() > 0, where + ": the pool released nothing");
    }

    /**
     * A pool over one kept activation and one weight, by hand: the activation's array dropped after its last use
     * (its matrix's floats gone, not kept) and allocated anew, zeroed, at its next step's first; the pool's bytes
     * at each phase; a read after the release, within the step or between steps, refused.
     */
    @Test
    void thePoolDropsAReleasedArrayAndRefusesAUseAfterIt() {
        MemoryLog log = new MemoryLog();
        FMatrixRMaj keptMatrix = new FMatrixRMaj(2, 3);
        StoredTensor kept = StoredTensor.float32(keptMatrix);
        kept.track(log, MemoryLog.Kind.ACTIVATIONS);
        StoredTensor weight = StoredTensor.float32(new FMatrixRMaj(1, 4));
        weight.track(log, MemoryLog.Kind.WEIGHTS);
        Runnable step = () -> {
            log.startStep();
            log.startMicroBatch(1);
            log.phase("write");
            kept.open().set(0, 0, 7f);
            log.phase("read");
            assertEquals(7f, kept.load().get(0, 0));
            log.phase("weights");
            weight.load();
            log.startMicroBatch(0);
            log.phase("optimizer");
            log.endStep();
        };
        step.run();
        BufferPool pool = log.pool(false);
        assertNull(keptMatrix.data, "released as the pool starts: a step starts without it");
        assertThrows(IllegalStateException.class, kept::load, "between steps");
        step.run();
        assertNull(keptMatrix.data, "released after its last use");
        assertEquals(List.of(16L + 24, 16L + 24, 16L, 16L), pool.timeline().stream().map(MemoryLog.Phase::total)
                .toList());
        assertEquals(2, pool.events(), "one acquire and one release");
        log.startStep();
        log.startMicroBatch(1);
        log.phase("write");
        assertEquals(0f, kept.open().get(0, 0), "allocated anew, zeroed");
        log.phase("read");
        kept.load();
        log.phase("weights");
        IllegalStateException after = assertThrows(IllegalStateException.class, kept::load);
        assertEquals("a buffer of 24 bytes (activations) is used at phase weights after the pool released it: the"
                + " step differs from the recorded one", after.getMessage());
    }

    /**
     * On the model: the pool's phase hook sees the next step's phases, in order, then is dropped; a second pool
     * and a step whose phases differ from the recorded one's (two micro-batches after one) are refused.
     */
    @Test
    void thePoolFollowsOneStepsPhases() {
        Shape shape = ShapeKey.parse("V=37 T=16 L=2 d=24 h=6 d_ff=40 B=2 h_kv=3");
        TransformerModel model = new TransformerModel(shape, 3, new FlopCounter());
        int[][] batch = CountingTest.Counted.batch(shape, new Random(5));
        model.step(batch[0], batch[1]);
        BufferPool pool = model.memoryLog().pool(false);
        List<Integer> seen = new ArrayList<>();
        pool.atPhaseEnds(seen::add);
        model.step(batch[0], batch[1]);
        int phases = StepTimeline.of(shape, StepTimeline.Gradients.ZEROED, 1).runOrder().size();
        assertEquals(IntStream.range(0, phases).boxed().toList(), seen);
        model.step(batch[0], batch[1]);
        assertEquals(phases, seen.size(), "the hook is the next step's alone");
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> model.memoryLog().pool(true));
        assertEquals("the buffers are pooled already", twice.getMessage());
        IllegalStateException other = assertThrows(IllegalStateException.class,
                () -> model.step(new int[][] {batch[0], batch[0]}, new int[][] {batch[1], batch[1]}));
        assertTrue(other.getMessage().contains("but the recorded step's was optimizer"), other.getMessage());
    }

    /**
     * Whether held and pooled steps agree to the bit: on EJML. The vector backend's first steps run the Vector
     * API's Java fallbacks until C2 compiles its kernels, which round otherwise, so two held models differ in the
     * last bit too, and AdamW's first steps turn such a difference in a near-zero gradient into one the size of a
     * step; there the losses are compared to {@link #LOSS_TOLERANCE} and the weights not at all.
     */
    private static boolean exact(MatmulBackend backend) {
        return backend.name().equals("ejml");
    }

    private static void compare(Shape shape, StepTimeline.Gradients gradients, List<MemoryLog.Phase> counted,
            List<StepTimeline.Phase> predicted) {
        assertEquals(predicted.stream().map(StepTimeline.Phase::name).toList(),
                counted.stream().map(MemoryLog.Phase::name).toList(), shape.describe());
        for (int i = 0; i < counted.size(); i++) {
            MemoryLog.Phase c = counted.get(i);
            StepTimeline.Live p = predicted.get(i).live();
            String where = shape.describe() + ", gradients " + gradients.cliName() + ", " + c.name();
            assertEquals(p.weights(), c.weights(), where + ": weights");
            assertEquals(p.optimizerState(), c.optimizerState(), where + ": optimizer state");
            assertEquals(p.gradients(), c.gradients(), where + ": gradients");
            assertEquals(p.activations(), c.activations(), where + ": activations");
            assertTrue(c.workspace() <= p.workspace(), where + ": workspace " + c.workspace() + " over "
                    + p.workspace());
            // the head's and every block's backward write the gradient along the residual stream, a workspace row
            // the log sees (a frozen embedding's backward runs nothing)
            boolean writesResidual = c.name().startsWith("backward") && !c.name().equals("backward: embedding");
            assertTrue(!writesResidual || c.workspace() > 0, where + ": no workspace seen");
        }
    }
}
