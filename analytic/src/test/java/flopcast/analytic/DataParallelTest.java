package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Per-rank state and traffic worked out by hand at (V, T, L, d, h, d_ff, B) = (7, 3, 2, 6, 3, 10, 2):
 * <pre>
 *   tensors in model order   token embedding 42; per layer norm 6, Q K V O 36 each, norm 6,
 *                            w1 w3 w2 60 each (336 a layer); final norm 6; LM head 42: P = 762
 *   FSDP units               root 42 + 6 + 42 = 90, layer 0 336, layer 1 336
 *   zero1 at N = 2           sorted 60 x 6, 42 x 2, 36 x 8, 6 x 5, each to the lighter rank (rank 0
 *                            on a tie): rank 0 ends with 384 elements, rank 1 with 378
 *   zero1 at N = 3           252, 246, 264
 *   flat shard at N = 4      ceil(90/4) + 2 ceil(336/4) = 23 + 84 + 84 = 191, 2 elements of padding
 *   zero1 broadcast, N = 3   rank 2 hands over 264 and forwards 762 - 252 (all but rank 0's) = 510;
 *                            rank 0 hands over 252 and forwards 762 - 246 = 516
 * </pre>
 */
class DataParallelTest {
    private static final Shape SHAPE = new Shape(7, 3, 2, 6, 3, 10, 2);

    @Test
    void tensorsInModelOrder() {
        List<DataParallel.Tensor> tensors = DataParallel.tensors(SHAPE);
        assertEquals(1 + 2 * 9 + 2, tensors.size());
        assertEquals("token_embedding.weight", tensors.get(0).name());
        assertEquals("layers.0.attention_norm.gain", tensors.get(1).name());
        assertEquals("layers.1.ffn.w2.weight", tensors.get(18).name());
        assertEquals("final_norm.gain", tensors.get(19).name());
        assertEquals("lm_head.weight", tensors.get(20).name());
        assertEquals(762, tensors.stream().mapToLong(DataParallel.Tensor::elements).sum());
        assertEquals(ParameterTensor.total(SHAPE), tensors.stream().mapToLong(DataParallel.Tensor::elements).sum());
        List<DataParallel.Tensor> tied = DataParallel.tensors(SHAPE.withArchitecture(new Architecture(3, true)));
        assertEquals("final_norm.gain", tied.get(tied.size() - 1).name());
        assertEquals(720, tied.stream().mapToLong(DataParallel.Tensor::elements).sum());
    }

    @ParameterizedTest(name = "{0} N={1} rank {2}")
    @CsvSource({
        // sharding, N, rank, weights, gradients, optimizer elements, gathered weights, gathered gradients
        "none,  2, 1, 762, 762, 762,   0,   0",
        "zero1, 2, 0, 762, 762, 384,   0,   0",
        "zero1, 2, 1, 762, 762, 378,   0,   0",
        "zero1, 3, 0, 762, 762, 252,   0,   0",
        "zero1, 3, 1, 762, 762, 246,   0,   0",
        "zero1, 3, 2, 762, 762, 264,   0,   0",
        "zero2, 4, 3, 191, 191, 191, 764, 336",
        "zero3, 4, 0, 191, 191, 191, 336, 336",
        "zero3, 1, 0, 762, 762, 762, 336, 336"})
    void rankStateByHand(String sharding, int ranks, int rank, long weights, long gradients, long optimizer,
            long gatheredWeights, long gatheredGradients) {
        DataParallel.RankState state = new DataParallel(ranks, Sharding.byName(sharding), false).states(SHAPE).get(rank);
        assertEquals(new DataParallel.RankState(rank, weights, gradients, optimizer, gatheredWeights, gatheredGradients),
                state);
    }

    @Test
    void bytesFollowThePolicy() {
        DataParallel.RankState rank0 = new DataParallel(2, Sharding.ZERO1, false).states(SHAPE).get(0);
        assertEquals(3048, rank0.parametersBytes(PrecisionPolicy.FP32));
        assertEquals(3072, rank0.optimizerStateBytes(PrecisionPolicy.FP32));
        assertEquals(0, rank0.masterWeightsBytes(PrecisionPolicy.FP32));
        assertEquals(3048 + 3048 + 3072, rank0.stateBytes(PrecisionPolicy.FP32));
        assertEquals(1524, rank0.parametersBytes(PrecisionPolicy.BF16_MIXED));
        assertEquals(1524, rank0.gradientsBytes(PrecisionPolicy.BF16_MIXED));
        assertEquals(1536, rank0.masterWeightsBytes(PrecisionPolicy.BF16_MIXED));
        assertEquals(3072, rank0.optimizerStateBytes(PrecisionPolicy.BF16_MIXED));
        assertEquals(2 * (764 + 336), new DataParallel(4, Sharding.ZERO2, false).states(SHAPE).get(0)
                .gatheredBytes(PrecisionPolicy.BF16));
    }

    @Test
    void paddingAndTheLargestRank() {
        assertEquals(2, new DataParallel(4, Sharding.ZERO3, false).paddingElements(SHAPE));
        assertEquals(0, new DataParallel(4, Sharding.ZERO1, false).paddingElements(SHAPE));
        assertEquals(0, new DataParallel(2, Sharding.ZERO2, false).paddingElements(SHAPE));
        assertEquals(2, new DataParallel(3, Sharding.ZERO1, false).largest(SHAPE).rank());
    }

    /**
     * zero3 at N = 4 under fp32: the largest rank holds 191 x (4 + 4 + 8) = 3,056 bytes and gathers
     * 336 x (4 + 4) = 2,688, a peak of 5,744, where one device holds 762 x 16 = 12,192: the fixed part
     * drops by 6,448 and the per-sequence part stays. One rank without sharding is one device.
     */
    @Test
    void perRankPolynomialSwapsTheModelStateForTheLargestRanksPeak() {
        Prediction one = CompleteAccounting.predict(SHAPE.withBatchSize(1));
        MemoryPolynomial device = one.memory().polynomial();
        MemoryPolynomial rank = new DataParallel(4, Sharding.ZERO3, false).perRankPolynomial(one);
        assertEquals(device.fixedBytes() - 6_448, rank.fixedBytes());
        assertEquals(device.perBatchElementBytes(), rank.perBatchElementBytes());
        assertEquals(device, new DataParallel(1, Sharding.NONE, false).perRankPolynomial(one));
        assertEquals(device, new DataParallel(4, Sharding.NONE, false).perRankPolynomial(one));
    }

    /**
     * Llama 3 8B, bf16-mixed, flash, T = 8192, 8 ranks, zero3: 128,513,802,496 fixed bytes on one
     * device less 16 x 8,030,261,248 of model state plus the largest rank's 16,060,522,496 state
     * and 4,202,708,992 gathered is 20,292,854,016, so one sequence per rank fits 80 GB.
     */
    @Test
    void llama3_8bZero3On8RanksFitsOneSequencePerRank() {
        Shape shape = Preset.byName("llama3-8b").shape(1).withSettings(new Settings(PrecisionPolicy.BF16_MIXED,
                AttentionKernel.FLASH, Recompute.NONE));
        Prediction prediction = CompleteAccounting.predict(shape);
        MemoryPolynomial rank = new DataParallel(8, Sharding.ZERO3, false).perRankPolynomial(prediction);
        assertEquals(20_292_854_016L, rank.fixedBytes());
        assertEquals(1, rank.fit(Capacity.of(80, Capacity.Unit.GB, "--memory-gb"), "x").batchSize());
    }

    @ParameterizedTest(name = "{0} N={1} rank {2}")
    @CsvSource({
        // sharding, N, rank, collective, times, payload bytes, sent bytes (fp32)
        "none,  2, 0, GRADIENT_ALL_REDUCE,     1, 3048, 3048",
        "none,  4, 0, GRADIENT_ALL_REDUCE,     1, 3048, 4584",
        "zero1, 2, 0, PARAMETER_BROADCAST,     1, 1536, 1536",
        "zero1, 2, 1, PARAMETER_BROADCAST,     1, 1512, 1512",
        "zero1, 3, 2, PARAMETER_BROADCAST,     1, 1056, 2040",
        "zero1, 3, 0, PARAMETER_BROADCAST,     1, 1008, 2064",
        "zero2, 4, 0, PARAMETER_ALL_GATHER,    1,  764, 2292",
        "zero3, 4, 0, PARAMETER_ALL_GATHER,    2, 1528, 4584",
        "zero3, 4, 0, GRADIENT_REDUCE_SCATTER, 1,  764, 2292"})
    void transfersByHand(String sharding, int ranks, int rank, DataParallel.Collective collective, int times,
            long payload, long sent) {
        List<DataParallel.Transfer> transfers = new DataParallel(ranks, Sharding.byName(sharding), false)
                .transfers(SHAPE, rank);
        DataParallel.Transfer transfer = transfers.stream().filter(t -> t.collective() == collective).findFirst()
                .orElseThrow();
        assertEquals(new DataParallel.Transfer(collective, times, payload, sent), transfer);
    }

    @Test
    void oneRankSendsNothing() {
        assertEquals(List.of(), new DataParallel(1, Sharding.ZERO3, false).transfers(SHAPE, 0));
        assertEquals(0, new DataParallel(1, Sharding.NONE, false).maxSentBytes(SHAPE));
        assertEquals(3048 + 1536, new DataParallel(2, Sharding.ZERO1, false).maxSentBytes(SHAPE));
    }

    @Test
    void stepTimeWithAndWithoutOverlap() {
        DataParallel.StepTime serial = new DataParallel(8, Sharding.NONE, false).stepTime(1.0, 450_000_000_000L, 450e9);
        assertEquals(new DataParallel.StepTime(1.0, 1.0, 1.0, 2.0), serial);
        DataParallel.StepTime hidden = new DataParallel(8, Sharding.NONE, true).stepTime(1.0, 225_000_000_000L, 450e9);
        assertEquals(new DataParallel.StepTime(1.0, 0.5, 0.0, 1.0), hidden);
        DataParallel.StepTime longer = new DataParallel(8, Sharding.NONE, true).stepTime(0.5, 450_000_000_000L, 450e9);
        assertEquals(new DataParallel.StepTime(0.5, 1.0, 0.5, 1.0), longer);
    }

    /** 15,259 steps of 1.25 s are 19,073.75 s, 0.2207610... days. */
    @Test
    void runSecondsAndDaysAreStepsTimesTheStep() {
        DataParallel.StepTime step = new DataParallel.StepTime(1.0, 0.25, 0.25, 1.25);
        assertEquals(19_073.75, step.runSeconds(15_259), 0.0);
        assertEquals(19_073.75 / 86_400, step.runDays(15_259), 0.0);
    }

    @Test
    void linkByRanks() {
        assertEquals(450e9, Device.H100_SXM.linkBytesPerSecond(8), 0.0);
        assertEquals(50e9, Device.H100_SXM.linkBytesPerSecond(16), 0.0);
        assertEquals(300e9, Device.A100_80GB.linkBytesPerSecond(2), 0.0);
        assertEquals(25e9, Device.A100_80GB.linkBytesPerSecond(9), 0.0);
    }

    @Test
    void badInput() {
        assertEquals("--data-parallel must be at least 1, got 0",
                assertThrows(InvalidInputException.class, () -> new DataParallel(0, Sharding.NONE, false)).getMessage());
        assertEquals("--data-parallel 3 does not divide --batch 8: every rank runs B / N sequences, so N must divide B",
                assertThrows(InvalidInputException.class, () -> new DataParallel(3, Sharding.NONE, false)
                        .perRankBatch(8)).getMessage());
        assertEquals(4, new DataParallel(2, Sharding.NONE, false).perRankBatch(8));
    }

    /**
     * zero1's assignment equals the rule written plainly (largest tensor first, to the first rank
     * with the fewest elements, found by scanning every rank), at rank counts below, at and above
     * the number of tensors and at {@link DataParallel#MAX_RANKS}.
     */
    @ParameterizedTest(name = "{0} ranks")
    @CsvSource({"1", "2", "3", "7", "64", "1000", "1048576"})
    void zero1AssignsAsTheScanningRuleDoes(int ranks) {
        Shape shape = Preset.SEED_GPT2.shape(1);
        List<DataParallel.Tensor> sorted = new java.util.ArrayList<>(DataParallel.tensors(shape));
        sorted.sort((a, b) -> Long.compare(b.elements(), a.elements()));
        long[] sizes = new long[ranks];
        for (DataParallel.Tensor tensor : sorted) {
            int smallest = 0;
            for (int rank = 1; rank < ranks; rank++) {
                if (sizes[rank] < sizes[smallest]) {
                    smallest = rank;
                }
            }
            sizes[smallest] += tensor.elements();
        }
        List<DataParallel.RankState> states = new DataParallel(ranks, Sharding.ZERO1, false).states(shape);
        assertEquals(ranks, states.size());
        for (int rank = 0; rank < ranks; rank++) {
            assertEquals(sizes[rank], states.get(rank).optimizer(), "rank " + rank);
        }
    }

    @Test
    void ranksAndLayersPastWhatTheSplitListsAreRefused() {
        assertEquals("--data-parallel 1048577 is more ranks than flopcast plans (allowed: 1 to 1048576)",
                assertThrows(InvalidInputException.class,
                        () -> new DataParallel(DataParallel.MAX_RANKS + 1, Sharding.ZERO1, false)).getMessage());
        Shape deep = new Shape(12, 12, DataParallel.MAX_LAYERS + 1, 8, 2, 12, 8);
        assertEquals("--layers 65537 is too many to split over data-parallel ranks, which lists every layer's tensors"
                + " (allowed: 1 to 65536)", assertThrows(InvalidInputException.class,
                        () -> new DataParallel(8, Sharding.NONE, false).states(deep)).getMessage());
        assertEquals(9 * DataParallel.MAX_LAYERS + 3, DataParallel.tensors(new Shape(12, 12, DataParallel.MAX_LAYERS,
                8, 2, 12, 8)).size());
    }
}
