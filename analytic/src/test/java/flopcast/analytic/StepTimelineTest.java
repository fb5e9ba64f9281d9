package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.StepTimeline.Gradients;
import flopcast.analytic.StepTimeline.Options;
import flopcast.analytic.StepTimeline.Phase;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The step's timeline against the sum it refines, over every setting and architecture the accounting
 * has, and by hand at the tiny shape.
 */
class StepTimelineTest {

    /** V = 64, T = 8, L = 4, d = 16, h = 4, expert d_ff = 8, B = 2; 4 experts, 2 a token, layer 0 dense. */
    private static Shape moe() {
        Shape moe = new Shape(64, 8, 4, 16, 4, 8, 2)
                .withArchitecture(new Architecture(4, false).withExperts(new Experts(4, 2)));
        return moe.withArchitecture(moe.architecture().withExperts(moe.architecture().experts()
                .withDense(new DenseLayers(List.of(0L), 32))));
    }

    /** Every policy x kernel x recompute mode at a GQA shape, and architectures, fine-tuning and mixed blocks. */
    static List<Shape> shapes() {
        List<Shape> shapes = new ArrayList<>();
        Shape gqa = new Shape(37, 67, 3, 24, 6, 40, 2, new Architecture(3, false));
        for (PrecisionPolicy policy : PrecisionPolicy.values()) {
            for (AttentionKernel kernel : AttentionKernel.values()) {
                for (Recompute mode : Recompute.values()) {
                    shapes.add(gqa.withSettings(new Settings(policy, kernel, mode)));
                }
            }
        }
        shapes.add(NamedShape.TINY.shape());
        shapes.add(Preset.GPT2.shape(2));
        shapes.add(Preset.QWEN3_0_6B.shape(1));
        shapes.add(Preset.GEMMA_2B.shape(1));
        Shape lora = Preset.LLAMA2_7B.shape(1);
        shapes.add(lora.withSettings(lora.settings().withLora(Lora.of(8, EnumSet.of(LoraTarget.QUERY,
                LoraTarget.VALUE)))));
        Shape moe = moe();
        shapes.add(moe);
        shapes.add(moe.withSettings(moe.settings().withFrozenLayers(new FrozenLayers(0, 1))));
        shapes.add(moe.withSettings(moe.settings().withFrozen(EnumSet.of(FrozenKind.EMBEDDINGS))));
        return shapes;
    }

    private static Phase named(StepTimeline timeline, int microBatch, String name) {
        return timeline.phases().stream().filter(p -> p.microBatch() == microBatch && p.name().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError(name + " in " + timeline.phases()));
    }

    @Test
    void zeroedGradientsPeakAtTheSum() {
        for (Shape shape : shapes()) {
            MemoryBreakdown memory = CompleteAccounting.predict(shape).memory();
            StepTimeline timeline = StepTimeline.of(shape, Gradients.ZEROED, 1);
            Phase head = named(timeline, 1, "backward: head");
            // every kind at its accounting's row: the phases own all of each, no more; reached when the head's
            // forward has kept its rows, held through its backward
            assertEquals(memory.totalBytes(), timeline.peak().live().total(), shape.describe());
            assertEquals("forward: head", timeline.peak().name(), shape.describe());
            assertEquals(timeline.peak().live(), head.live());
            assertEquals(memory.activationsBytes() + memory.workspaceBytes(),
                    head.live().activations() + head.live().workspace(), shape.describe());
            assertEquals(memory.gradientsBytes(), head.live().gradients(), shape.describe());
            assertEquals(memory.parametersBytes(), head.live().weights(), shape.describe());
            assertEquals(memory.masterWeightsBytes() + memory.optimizerStateBytes(), head.live().optimizerState());
            for (Gradients gradients : Gradients.values()) {
                for (long micro : new long[] {1, 2, 5}) {
                    StepTimeline line = StepTimeline.of(shape, gradients, micro);
                    assertTrue(line.peak().live().total() <= memory.totalBytes(), shape.describe());
                    assertEquals(memory.totalBytes(), line.sum());
                    // every gradient written by the last backward phase, every activation given back
                    Phase last = named(line, (int) Math.min(2, micro), "backward: embedding");
                    assertEquals(memory.gradientsBytes(), last.live().gradients(), shape.describe());
                    Phase optimizer = line.phases().get(line.phases().size() - 1);
                    assertEquals("optimizer", optimizer.name());
                    assertEquals(0, optimizer.live().activations() + optimizer.live().workspace());
                }
            }
        }
    }

    /**
     * The tiny shape (V=512 T=64 L=2 d=128 h=4 d_ff=512 B=2, float32) by hand. A block's parameters:
     * 2d + 4d^2 + 3 d d_ff = 262,400, 1,049,600 bytes of gradient; the head's d + d V = 65,664
     * (262,656 bytes); the embedding's V d = 65,536 (262,144 bytes). A block keeps 4BTd + 2BThd_k +
     * 2BTh_kv d_k + 4BTd_ff + BhT^2 + 2BT = 426,240 floats (1,704,960 bytes), of which its output, the
     * next block's input, is B T d (65,536 bytes); the head keeps its final norm's output and reciprocal
     * RMS and the B T V probabilities (328,192 bytes); the embedding's forward writes the int32 token
     * ids and targets (512 bytes each) and its output (65,536 bytes).
     */
    @Test
    void theTinyStepByHand() {
        Shape tiny = NamedShape.TINY.shape();
        long blockGradients = 1_049_600;
        long headGradients = 262_656;
        long blockKept = 1_704_960;
        long blockOutput = 65_536;
        long headKept = 328_192;
        long ids = 512;
        long embeddingKept = ids + ids + 65_536;
        long allKept = 2 * blockKept + headKept + embeddingKept;
        assertEquals(CompleteAccounting.predict(tiny).memory().activationsBytes(), allKept);
        StepTimeline none = StepTimeline.of(tiny, Gradients.SET_TO_NONE, 1);
        assertEquals(List.of("forward: embedding", "forward: block 0", "forward: block 1", "forward: head",
                "backward: head", "backward: block 1", "backward: block 0", "backward: embedding", "optimizer"),
                none.phases().stream().map(Phase::name).toList());
        assertEquals(0, named(none, 1, "forward: head").live().gradients());
        assertEquals(allKept, named(none, 1, "forward: head").live().activations());
        assertEquals(embeddingKept + blockKept, named(none, 1, "forward: block 0").live().activations());
        assertEquals(headGradients, named(none, 1, "backward: head").live().gradients());
        // block 1's backward: its gradients beside its activations; the head's rows, the targets and block 1's
        // output (read by the final norm's backward) given back
        Phase peak = none.peak();
        assertEquals("backward: block 1", peak.name());
        assertEquals(headGradients + blockGradients, peak.live().gradients());
        assertEquals(allKept - headKept - ids - blockOutput, peak.live().activations());
        // block 0's output went with block 1's backward; block 0's other rows, the embedding's output and the ids stay
        assertEquals(blockKept - blockOutput + 65_536 + ids, named(none, 1, "backward: block 0").live().activations());
        assertEquals(ids, named(none, 1, "backward: embedding").live().activations());
        assertEquals(headGradients + 2 * blockGradients + 262_144, named(none, 1, "backward: embedding").live()
                .gradients());
        assertEquals(none.sum() - (262_144 + blockGradients) - (headKept + ids + blockOutput), peak.live().total());
    }

    @Test
    void accumulationMovesThePeakToTheSecondMicroBatch() {
        Shape tiny = NamedShape.TINY.shape();
        StepTimeline twice = StepTimeline.of(tiny, Gradients.SET_TO_NONE, 4);
        assertEquals(2, twice.peak().microBatch());
        assertEquals("forward: head", twice.peak().name());
        assertEquals("micro-batches 2 to 4: forward: head", twice.peak().describe(4));
        assertEquals(twice.sum(), twice.peak().live().total(), "every gradient beside every activation");
        assertEquals(2 * 8 + 1, twice.phases().size(), "two micro-batches listed, then the optimizer");
        assertTrue(named(twice, 2, "forward: embedding").live().gradients() > 0);
    }

    /**
     * The largest batch by the peak: set to none, the seed's GPT-2 XL on 80 GB, the largest B whose
     * step's peak fits and B + 1's does not, above the sum's 3; zeroed, the sum's own answer; and a
     * capacity under the model state alone refused at any batch.
     */
    @Test
    void theLargestBatchIsTheLargestWhosePeakFits() {
        Shape xl = Preset.SEED_GPT2_XL.shape(1);
        Capacity eighty = Capacity.of(80, Capacity.Unit.GB, "80 GB");
        StepTimeline none = StepTimeline.of(xl, Gradients.SET_TO_NONE, 1);
        MemoryPolynomial.BatchFit fit = none.fit(eighty, "the model state");
        long batch = fit.batchSize();
        assertTrue(StepTimeline.of(xl.withBatchSize(batch), Gradients.SET_TO_NONE, 1).peak().live().total()
                <= eighty.bytes());
        assertTrue(StepTimeline.of(xl.withBatchSize(batch + 1), Gradients.SET_TO_NONE, 1).peak().live().total()
                > eighty.bytes());
        MemoryPolynomial.BatchFit sum = CompleteAccounting.predict(xl).fit(eighty);
        assertEquals(3, sum.batchSize());
        assertTrue(batch > sum.batchSize(), batch + " by the peak, " + sum.batchSize() + " by the sum");
        MemoryPolynomial.BatchFit zeroed = StepTimeline.of(xl, Gradients.ZEROED, 1).fit(eighty, "the model state");
        assertEquals(sum.batchSize(), zeroed.batchSize());
        assertEquals(sum.fractional(), zeroed.fractional(), 1e-9);
        // accumulating, every gradient is alive beside the second micro-batch's activations: the sum's answer
        assertEquals(sum.batchSize(), StepTimeline.of(xl, Gradients.SET_TO_NONE, 4).fit(eighty, "x").batchSize());
        MemoryPolynomial.BatchFit small = none.fit(Capacity.of(8, Capacity.Unit.GB, "8 GB"), "the model state");
        assertTrue(!small.fixedPartFits() && small.batchSize() == 0, small.toString());
    }

    /** tiny over 2 ranks: root unit 131,200 elements, each block 262,400, a rank's flat shard 328,000. */
    private static StepTimeline tinyOverTwo(Sharding sharding, Options options) {
        return StepTimeline.of(NamedShape.TINY.shape(), new DataParallel(2, sharding, false), 1, options);
    }

    /**
     * FSDP's units at the moments they live, by hand: zero3 holds the root throughout, a block at its
     * forward and backward and the block before it prefetched during its backward; zero2 holds each block
     * from its forward through its backward. Unsharded gradients live until their unit's reduce-scatter.
     */
    @Test
    void aRankGathersItsUnitsWhenTheyRun() {
        Options none = Options.of(Framework.FLOPCAST).withGradients(Gradients.SET_TO_NONE);
        long shard = 328_000 * 4;
        long root = 131_200 * 4;
        long block = 262_400 * 4;
        StepTimeline zero3 = tinyOverTwo(Sharding.ZERO3, none);
        assertEquals(shard + root, named(zero3, 1, "forward: embedding").live().weights());
        assertEquals(shard + root + block, named(zero3, 1, "forward: block 0").live().weights());
        assertEquals(shard + root, named(zero3, 1, "forward: head").live().weights());
        assertEquals(shard + root + block, named(zero3, 1, "backward: head").live().weights(), "block 1 prefetched");
        assertEquals(shard + root + 2 * block, named(zero3, 1, "backward: block 1").live().weights(),
                "block 0 prefetched");
        assertEquals(shard + root + block, named(zero3, 1, "backward: block 0").live().weights());
        assertEquals(shard, named(zero3, 0, "optimizer").live().weights());
        assertEquals(2 * shard, named(zero3, 1, "forward: head").live().optimizerState(), "m and v of the shard");
        assertEquals(0, named(zero3, 1, "forward: head").live().gradients());
        assertEquals(root, named(zero3, 1, "backward: head").live().gradients(), "the root's, unsharded");
        assertEquals(block / 2 + root + block, named(zero3, 1, "backward: block 1").live().gradients());
        assertEquals(2 * (block / 2) + root + block, named(zero3, 1, "backward: block 0").live().gradients());
        assertEquals(shard + root, named(zero3, 1, "backward: embedding").live().gradients());
        assertEquals(shard, named(zero3, 0, "optimizer").live().gradients());
        StepTimeline zero2 = tinyOverTwo(Sharding.ZERO2, none);
        assertEquals(shard + root + 2 * block, named(zero2, 1, "forward: head").live().weights());
        assertEquals(shard + root + block, named(zero2, 1, "backward: block 0").live().weights());
        // zeroed, the shard is alive throughout
        StepTimeline zeroed = tinyOverTwo(Sharding.ZERO3, Options.of(Framework.FLOPCAST));
        assertEquals(shard, named(zeroed, 1, "forward: head").live().gradients());
        // the sum's one gathered unit is a block's: zero3's peak, holding the root and two blocks, is over it
        assertTrue(zero3.peak().live().total() > zero3.sum() - 2 * block, zero3.peak() + " against " + zero3.sum());
    }

    /**
     * The optimizer's temporaries (tiny: 656,000 parameters, the three MLP matrices of a block 65,536 each
     * in a row, a zero3 rank's shards 65,600 for the root and 131,200 a block), the eager loss's copies of the 65,536 logits, pytorch's kept set at the head
     * (every row of the table alive at once) and DDP's second copy of the gradients.
     */
    @Test
    void whatAFrameworkAddsByHand() {
        Shape tiny = NamedShape.TINY.shape();
        Options flopcast = Options.of(Framework.FLOPCAST);
        assertEquals(0, named(StepTimeline.of(tiny, DataParallel.SINGLE, 1, flopcast), 0, "optimizer").live()
                .temporaries());
        assertEquals(656_000 * 4, named(StepTimeline.of(tiny, DataParallel.SINGLE, 1,
                flopcast.withOptimizer(OptimizerStep.FOREACH)), 0, "optimizer").live().temporaries());
        // W3 after W2 (65,536 each): W2's denominator and two of W3's own
        assertEquals(3 * 65_536 * 4, named(StepTimeline.of(tiny, DataParallel.SINGLE, 1,
                flopcast.withOptimizer(OptimizerStep.FOR_LOOP)), 0, "optimizer").live().temporaries());
        assertEquals(328_000 * 4, named(tinyOverTwo(Sharding.ZERO3, flopcast.withOptimizer(OptimizerStep.FOREACH)), 0,
                "optimizer").live().temporaries());
        assertEquals((131_200 + 2 * 131_200) * 4, named(tinyOverTwo(Sharding.ZERO3,
                flopcast.withOptimizer(OptimizerStep.FOR_LOOP)), 0, "optimizer").live().temporaries(), "two block shards");

        long logits = 2 * 64 * 512;
        StepTimeline torch = StepTimeline.of(tiny, DataParallel.SINGLE, 1, Options.of(Framework.PYTORCH));
        assertEquals(logits * 4, named(torch, 1, "forward: head").live().temporaries(), "float32 logits, no copy");
        // the head's backward: the loss's two float32 gradients (524,288) come before the head's gradients
        // (262,656) and the gradients of activations (the 991,232-byte workspace table), which hold more
        Phase head = named(torch, 1, "backward: head");
        assertEquals(0, head.live().temporaries());
        assertEquals(262_656, head.live().gradients());
        assertEquals(991_232, head.live().workspace());
        assertEquals(0, named(torch, 1, "forward: block 1").live().workspace(), "no workspace before backward");
        // at 8 times the vocabulary the loss's moment holds more: no head gradient, no workspace beside it
        Shape wide = new Shape(4096, 64, 2, 128, 4, 512, 2);
        Phase loss = named(StepTimeline.of(wide, DataParallel.SINGLE, 1, Options.of(Framework.PYTORCH)), 1,
                "backward: head");
        assertEquals(2 * 2 * 64 * 4096 * 4, loss.live().temporaries());
        assertEquals(0, loss.live().gradients());
        assertEquals(0, loss.live().workspace());
        assertEquals(TorchSavedTensor.savedBytes(tiny), named(torch, 1, "forward: head").live().activations());
        Shape mixed = tiny.withSettings(tiny.settings().withPolicy(PrecisionPolicy.BF16_MIXED));
        StepTimeline eager = StepTimeline.of(mixed, DataParallel.SINGLE, 1, Options.of(Framework.PYTORCH));
        assertEquals(logits * (2 + 4), named(eager, 1, "forward: head").live().temporaries());
        StepTimeline own = StepTimeline.of(mixed, DataParallel.SINGLE, 1, flopcast);
        StepTimeline ownFp32 = StepTimeline.of(mixed, DataParallel.SINGLE, 1, flopcast.withLoss(LossPrecision.FP32));
        assertEquals(logits * (4 - 2), named(ownFp32, 1, "forward: head").live().activations()
                - named(own, 1, "forward: head").live().activations(), "the logits kept in float32");
        assertEquals(0, named(ownFp32, 1, "forward: head").live().temporaries(), "in place: no copy");
        assertEquals(TorchSavedTensor.savedBytes(mixed) - logits * 2, named(StepTimeline.of(mixed, DataParallel.SINGLE,
                1, Options.of(Framework.PYTORCH).withLoss(LossPrecision.COMPUTE)), 1, "forward: head").live()
                .activations(), "the log-probabilities in bf16");

        StepTimeline ddp = tinyOverTwo(Sharding.NONE, Options.of(Framework.PYTORCH));
        assertEquals(656_000 * 4, named(ddp, 1, "forward: embedding").live().gradients(), "the buckets' copy alone");
        assertEquals(2 * 656_000 * 4, named(ddp, 0, "optimizer").live().gradients());
        assertEquals(0, named(tinyOverTwo(Sharding.NONE, flopcast), 1, "forward: embedding").live().gradients() - 656_000
                * 4, "zeroed, no buckets");
    }

    /** Llama 3 8B at context {@code context}, one sequence, under {@code settings}. */
    private static Shape llama3(long context, Settings settings) {
        Shape llama = Preset.LLAMA3_8B.shape(1);
        return new Shape(llama.vocabSize(), context, llama.layers(), llama.dModel(), llama.heads(), llama.dFf(), 1,
                llama.architecture(), settings);
    }

    /** Bytes a token a layer that {@code framework} keeps under {@code mode} at Llama 3 8B, in bf16. */
    private static long perTokenPerLayer(Framework framework, Recompute mode) {
        Shape one = llama3(1, new Settings(PrecisionPolicy.BF16_MIXED, AttentionKernel.FLASH, mode));
        long bytes = 0;
        for (FrameworkKept row : FrameworkKept.values()) {
            if (row.framework() == framework && row.inBlock() && row.keptUnder(mode)) {
                bytes += row.bytes(one, 1);
            }
        }
        return bytes;
    }

    /**
     * The frameworks' tables at Llama 3 8B against what was read off their code: torchtitan's 63,616 bytes a
     * token a layer under its op-level policy and 225,416 without recomputation; Megatron's 2 (4d + 2 h d_k +
     * 2 h_kv d_k + 3 d_ff) + 4h + 8 = 139,400 (Korthikanti's 34 s b h with SwiGLU, grouped K and V, flash's
     * float32 log-sum-exp and RMSNorm's rsigma in place of GELU, the s*s terms and the dropout masks); the
     * block input alone under full recomputation.
     */
    @Test
    void theFrameworksKeepWhatTheirCodeSaves() {
        assertEquals(63_616, perTokenPerLayer(Framework.TORCHTITAN, Recompute.SELECTIVE));
        assertEquals(225_416, perTokenPerLayer(Framework.TORCHTITAN, Recompute.NONE));
        assertEquals(2 * 4096, perTokenPerLayer(Framework.TORCHTITAN, Recompute.FULL));
        assertEquals(139_400, perTokenPerLayer(Framework.MEGATRON, Recompute.NONE));
        assertEquals(139_400 - 2 * 1024 - 4 * 32 + 2 * (4096 + 2 * 1024), perTokenPerLayer(Framework.MEGATRON,
                Recompute.SELECTIVE), "core_attn: the QKV output kept whole through v's view, no v copy, no LSE");
        assertEquals(2 * 4096, perTokenPerLayer(Framework.MEGATRON, Recompute.FULL));

        // in the timeline: at the head's forward every block's rows are alive; torchtitan under full recomputation
        // holds each block's input, and rebuilds a block's no-recompute set in its backward
        Shape llama = llama3(64, new Settings(PrecisionPolicy.BF16_MIXED, AttentionKernel.FLASH, Recompute.FULL));
        Options titan = Options.of(Framework.TORCHTITAN);
        StepTimeline full = StepTimeline.of(llama, DataParallel.SINGLE, 1, titan);
        long input = 64L * 4096 * 2;
        long once = 64L * 8 + 64L * (4096 * 4 * 2 + 4) + input + 64L * 128_256 * 4 + 64L * 8;
        assertEquals(32 * input + once, named(full, 1, "forward: head").live().activations());
        assertEquals(input + 64L * 8 + 64L * 225_416, named(full, 1, "backward: block 0").live().activations(),
                "block 0's input and its rebuilt rows, the token ids");
        assertEquals(Framework.KeptSet.COMPLETE, Framework.TORCHTITAN.keptSet(llama3(64, new Settings(
                PrecisionPolicy.BF16_MIXED, AttentionKernel.EAGER, Recompute.FULL))), "eager attention: not tabled");

        // FSDP2: the embedding a unit of its own, the head's unit held through the head
        StepTimeline zero3 = StepTimeline.of(llama, new DataParallel(8, Sharding.ZERO3, false), 1, titan);
        long[] units = new DataParallel(8, Sharding.ZERO3, false).unitShardsEmbeddingApart(llama);
        long shard = java.util.Arrays.stream(units).sum() * 2;
        assertEquals(shard + units[0] * 8 * 2, named(zero3, 1, "forward: embedding").live().weights());
        assertEquals(shard + units[6] * 8 * 2, named(zero3, 1, "forward: block 5").live().weights());
        assertEquals(shard + units[33] * 8 * 2, named(zero3, 1, "forward: head").live().weights());
        assertEquals(shard + (units[33] + units[32]) * 8 * 2, named(zero3, 1, "backward: head").live().weights());
        assertEquals(shard + (units[1] + units[0]) * 8 * 2, named(zero3, 1, "backward: block 0").live().weights(),
                "the embedding's unit prefetched");
        // block 5's unsharded gradients in bf16 and the float32 copy FSDP2 reduce-scatters, beside the shards
        // written by the blocks after it (set to none)
        long written = 0;
        for (int block = 5; block < 32; block++) {
            written += units[block + 1] * 2;
        }
        written += units[33] * 2;
        assertEquals(written + units[6] * 8 * (2 + 4), named(zero3, 1, "backward: block 5").live().gradients());

        // tied, torchtitan wraps the table with the final norm and the head: one unit held throughout, as FSDP1's root
        Shape tied = Preset.LLAMA3_2_1B.shape(1);
        DataParallel eight = new DataParallel(8, Sharding.ZERO3, false);
        long[] root = eight.unitShards(tied);
        StepTimeline tiedTimeline = StepTimeline.of(tied, eight, 1, titan);
        long tiedShard = java.util.Arrays.stream(root).sum() * 4;
        assertEquals(tiedShard + root[0] * 8 * 4, named(tiedTimeline, 1, "forward: head").live().weights(), "float32");
        assertEquals(tiedShard + root[0] * 8 * 4, named(tiedTimeline, 1, "forward: embedding").live().weights());

        // Megatron's distributed optimizer: one flat buffer split evenly, 12 bytes an element of the master, m and v
        Shape eightB = llama3(64, new Settings(PrecisionPolicy.BF16_MIXED, AttentionKernel.FLASH, Recompute.NONE));
        long parameters = ParameterTensor.total(eightB);
        StepTimeline megatron = StepTimeline.of(eightB, new DataParallel(64, Sharding.ZERO1, false), 1,
                Options.of(Framework.MEGATRON));
        assertEquals((parameters + 63) / 64 * 12, megatron.phases().get(0).live().optimizerState());
    }

    /** Every block's share of each pytorch row adds up to the row. */
    @Test
    void theTorchRowsSplitIntoTheirBlocks() {
        for (Shape shape : shapes()) {
            for (TorchSavedTensor row : TorchSavedTensor.ROWS) {
                if (row.row().scope() == Scope.ONCE || row.row().scope() == Scope.ONCE_UNLESS_TIED) {
                    continue;
                }
                long blocks = 0;
                for (int block = 0; block < shape.layers(); block++) {
                    blocks += row.blockBytes(shape, block);
                }
                assertEquals(row.totalBytes(shape), blocks, shape.describe() + ": " + row.row().tensorName());
            }
        }
    }

    /**
     * The fit by moments: at TinyLlama, T = 256, bf16-mixed and flash under torchtitan on 24 GB the head's
     * backward holds the loss's float32 gradients beyond B = 2 and the head's gradients below; a fit through
     * the phase alone promised 13 sequences whose peak is 24.029 GB. Under every framework, on one device
     * and over 8 zero3 (or zero1) ranks, the batch fitted is the largest whose peak fits.
     */
    @Test
    void theFittedBatchIsTheLargestWhosePeakFitsUnderEveryFramework() {
        Shape tiny = Preset.TINYLLAMA_1_1B.shape(1);
        Shape shape = new Shape(tiny.vocabSize(), 256, tiny.layers(), tiny.dModel(), tiny.heads(), tiny.dFf(), 1,
                tiny.architecture(), new Settings(PrecisionPolicy.BF16_MIXED, AttentionKernel.FLASH, Recompute.NONE));
        Capacity capacity = Capacity.of(24, Capacity.Unit.GB, "24 GB");
        for (Framework framework : Framework.values()) {
            for (DataParallel plan : List.of(DataParallel.SINGLE, new DataParallel(8, framework == Framework.MEGATRON
                    ? Sharding.ZERO1 : Sharding.ZERO3, false))) {
                Options options = Options.of(framework);
                long batch = StepTimeline.of(shape, plan, 1, options).fit(capacity, "x").batchSize();
                String where = framework.cliName() + " on " + plan.ranks() + ": " + batch;
                assertTrue(batch > 0, where);
                assertTrue(StepTimeline.of(shape.withBatchSize(batch), plan, 1, options).peak().live().total()
                        <= capacity.bytes(), where);
                assertTrue(StepTimeline.of(shape.withBatchSize(batch + 1), plan, 1, options).peak().live().total()
                        > capacity.bytes(), where);
            }
        }
    }

    @Test
    void badInputIsRefused() {
        assertTrue(assertThrows(InvalidInputException.class, () -> Gradients.byName("lazy")).getMessage()
                .contains("allowed: zeroed, set-to-none"));
        assertThrows(InvalidInputException.class, () -> StepTimeline.of(NamedShape.TINY.shape(), Gradients.ZEROED, 0));
        assertTrue(assertThrows(InvalidInputException.class, () -> OptimizerStep.byName("lion")).getMessage()
                .contains("allowed are fused, foreach, for-loop"));
        assertTrue(assertThrows(InvalidInputException.class, () -> LossPrecision.byName("fp16")).getMessage()
                .contains("allowed are fp32, compute"));
        assertTrue(assertThrows(InvalidInputException.class, () -> Framework.byName("jax")).getMessage()
                .contains("allowed are flopcast, pytorch, megatron, torchtitan"));
    }
}
