package flopcast.measure.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import flopcast.analytic.StepTimeline;
import flopcast.measure.counting.CountingTest;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.model.TransformerModel;
import java.lang.ref.Reference;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TrainRunTest {
    /** V=8192, T=16, one block of d=512: about 200 MB predicted, mostly model state; a step is quick. */
    private static final Shape LARGE = new Shape(8192, 16, 1, 512, 8, 2048, 2);
    /** The bound: measured live bytes within 5% of predicted when the prediction is 64 MB or more. */
    private static final double HEAP_TOLERANCE = 0.05;
    /** After warm-up, a step allocates at most the arrays its pool allocates and 1% of the predicted bytes more. */
    private static final double ALLOCATION_BOUND = 0.01;

    /**
     * The seed's settings, and grouped-query attention with a tied head under selective and under full
     * recomputation and under flash attention (their buffers from the same tables: no probabilities
     * kept, one block of recomputation buffers, tiles), and each bf16 policy (bfloat16 bits in
     * short[], float32 master weights and moments where the policy keeps them, the working copies),
     * and LoRA on the frozen model (no gradient or moments but the adapters'), and a mixture of experts
     * (every expert's state, the routed rows, the dispatch's int32 buffers), and QLoRA (the NF4 codes,
     * maxima and constants in byte[] and float[], one dequantized weight), and Qwen2-MoE's block (the softmax
     * over all E kept, a shared expert's rows), and blocks frozen by range (their weights alone), and dense layers among experts (each buffer
     * blocks share sized for the larger kind), each 64 MB or more.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "V=8192 T=16 L=2 d=512 h=8 d_ff=2048 B=2 h_kv=2 tied recompute=selective",
            "V=8192 T=16 L=2 d=512 h=8 d_ff=2048 B=2 h_kv=4 recompute=full",
            "V=8192 T=16 L=2 d=512 h=8 d_ff=2048 B=2 h_kv=2 tied flash recompute=selective",
            "V=8192 T=16 L=2 d=512 h=8 d_ff=2048 B=2 h_kv=2 tied bf16-mixed flash recompute=selective",
            "V=8192 T=16 L=2 d=512 h=8 d_ff=2048 B=2 h_kv=4 bf16-mixed-fp32-grads",
            "V=8192 T=16 L=3 d=512 h=8 d_ff=2048 B=2 tied bf16 recompute=full",
            "V=8192 T=16 L=2 d=512 h=8 d_ff=2048 B=2 h_kv=2 lora=16:query,value",
            "V=8192 T=16 L=3 d=512 h=8 d_ff=2048 B=2 tied flash recompute=full lora=8:query,key,value,output,w1,w3,w2",
            "V=8192 T=16 L=2 d=512 h=8 d_ff=1024 B=2 h_kv=2 experts=4:2",
            "V=8192 T=32 L=2 d=384 h=6 d_ff=768 B=2 tied bf16-mixed flash recompute=full experts=8:2",
            "V=8192 T=16 L=2 d=512 h=8 d_ff=2048 B=2 h_kv=2 bf16-mixed lora=16:query,key,value,output,w1,w3,w2 nf4",
            "V=8192 T=32 L=3 d=384 h=6 d_ff=768 B=3 experts=8:2 bf16 flash recompute=full lora=8:query,value nf4",
            "V=8192 T=32 L=2 d=384 h=6 d_ff=512 B=2 bias=qkv experts=8:2 gates=unnormalized shared_expert=1024",
            "V=8192 T=16 L=2 d=512 h=8 d_ff=2048 B=2 qk_norm=projection norm_placement=post",
            "V=8192 T=16 L=2 d=512 h=8 d_ff=2048 B=2 h_kv=2 qk_norm norm_placement=sandwich bf16-mixed flash",
            "V=8192 T=16 L=3 d=512 h=8 d_ff=2048 B=2 qk_norm=projection norm_placement=post lora=16:w2",
            "V=8192 T=32 L=2 d=512 h=8 d_ff=2048 B=2 h_kv=4 norm_placement=sandwich attention_softcap=50"
                    + " logit_softcap=30 mlp=geglu tied",
            "V=8192 T=16 L=3 d=512 h=8 d_ff=2048 B=2 freeze=embeddings,head freeze_layers=0-1",
            "V=8192 T=16 L=3 d=512 h=8 d_ff=2048 B=2 h_kv=2 tied bf16-mixed flash recompute=full freeze_layers=1",
            "V=8192 T=32 L=3 d=384 h=6 d_ff=512 B=2 experts=8:2 dense_layers=0 dense_ffn=1536",
            "V=8192 T=32 L=3 d=384 h=6 d_ff=768 B=2 tied bf16-mixed flash recompute=full experts=8:2 dense_layers=1"
                    + " dense_ffn=256"})
    void heapWithinFivePercentCountsEqualAndPooledStepsAllocateTheirPool(String described) {
        Shape shape = described.isEmpty() ? LARGE : ShapeKey.parse(described);
        TrainRun.Report report = TrainRun.run(shape, 3, 1);
        assertTrue(report.predictedHeapBytes() >= 64_000_000L, "shape too small: " + report.predictedHeapBytes());
        assertEquals(report.predicted(), report.counted());
        assertEquals(1.0, report.heapRatio(), HEAP_TOLERANCE,
                "measured " + report.measuredLiveBytes() + " vs predicted " + report.predictedHeapBytes());
        TrainRun.Pooled pooled = report.pooled().orElseThrow();
        // an upper bound alone: the meter sums the threads alive as it reads, and a pool's thread may end mid-step
        assertTrue(report.allocatedBytesPerStep() < pooled.allocatedBytes()
                        + ALLOCATION_BOUND * report.predictedHeapBytes(),
                "a step allocated " + report.allocatedBytesPerStep() + ", its pool " + pooled.allocatedBytes());
        assertTrue(pooled.allocatedBytes() > 0, "the pool allocated nothing");
        assertEquals(1.0, pooled.heapRatio(), HEAP_TOLERANCE, "at the peak " + pooled.measuredPeakBytes() + " vs "
                + pooled.predictedPeakBytes());
        assertTrue(report.secondsPerStep() > 0);
    }

    /**
     * Shapes whose kept activations are most of the step's bytes, under each gradient lifetime, a bf16 policy,
     * recomputation and accumulation: the pooled step's live heap at the predicted peak's phase is within 5% of
     * the predicted peak.
     */
    @ParameterizedTest
    @ValueSource(strings = {"zeroed:1:V=2048 T=256 L=4 d=256 h=4 d_ff=1024 B=4",
            "set-to-none:2:V=2048 T=128 L=4 d=256 h=4 d_ff=1024 B=4 h_kv=2 tied",
            "set-to-none:1:V=4096 T=256 L=3 d=256 h=4 d_ff=1024 B=4 bf16-mixed flash recompute=selective",
            "zeroed:1:V=2048 T=256 L=4 d=256 h=4 d_ff=1024 B=4 recompute=full"})
    void theHeapAtThePeakIsThePredictedPeak(String described) {
        String[] parts = described.split(":", 3);
        Shape shape = ShapeKey.parse(parts[2]);
        TrainRun.Report report = TrainRun.run(shape, 2, 1, MatmulBackend.ejml(), false, Integer.parseInt(parts[1]),
                StepTimeline.Gradients.byName(parts[0]));
        TrainRun.Pooled pooled = report.pooled().orElseThrow();
        assertTrue(pooled.predictedPeakBytes() >= 64_000_000L, "shape too small: " + pooled.predictedPeakBytes());
        assertEquals(1.0, pooled.heapRatio(), HEAP_TOLERANCE, "at the peak " + pooled.measuredPeakBytes() + " vs "
                + pooled.predictedPeakBytes());
    }

    /**
     * The JVM's live heap at the end of every phase of a pooled step, gradients set to none, against the
     * predicted timeline (plus nothing: float32 has no working copies): within 5% at each of the 13 phases,
     * which range from the weights and moments alone to twice as much, so a heap that held the sum throughout
     * would miss most of them.
     */
    @Test
    void theHeapFollowsThePredictedTimelineAtEveryPhase() {
        Shape shape = ShapeKey.parse("V=2048 T=256 L=4 d=256 h=4 d_ff=1024 B=4");
        List<StepTimeline.Phase> predicted = StepTimeline.of(shape, StepTimeline.Gradients.SET_TO_NONE, 1).runOrder();
        long before = HeapMeter.liveArrayBytes();
        TransformerModel model = new TransformerModel(shape, 1, new FlopCounter());
        int[][] batch = CountingTest.Counted.batch(shape, new Random(2));
        model.step(batch[0], batch[1]);
        long[] heap = new long[predicted.size()];
        model.memoryLog().pool(true).atPhaseEnds(phase -> heap[phase] = HeapMeter.liveArrayBytes() - before);
        model.step(batch[0], batch[1]);
        Reference.reachabilityFence(model);
        long least = Long.MAX_VALUE;
        long most = 0;
        for (int i = 0; i < predicted.size(); i++) {
            long bytes = predicted.get(i).live().total();
            least = Math.min(least, bytes);
            most = Math.max(most, bytes);
            assertTrue(bytes >= 64_000_000L, predicted.get(i).name() + " too small: " + bytes);
            assertEquals(1.0, (double) heap[i] / bytes, HEAP_TOLERANCE, predicted.get(i).name() + ": heap " + heap[i]
                    + " vs predicted " + bytes);
        }
        assertTrue(most > 2 * least * (1 - HEAP_TOLERANCE), "the phases range from " + least + " to " + most);
    }

    @Test
    void firstAndLastLossAreReported() {
        TrainRun.Report report = TrainRun.run(new Shape(13, 5, 2, 12, 3, 20, 2), 4, 2);
        assertEquals(4, report.steps());
        assertTrue(report.firstLoss() > 0 && report.lastLoss() > 0);
        assertTrue(report.countsEqual());
    }
}
