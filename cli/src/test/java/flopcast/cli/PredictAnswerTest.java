package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Accounting;
import flopcast.analytic.Capacity;
import flopcast.analytic.DataParallel;
import flopcast.analytic.Device;
import flopcast.analytic.Precision;
import flopcast.analytic.Prediction;
import flopcast.analytic.Preset;
import flopcast.analytic.Sharding;
import flopcast.analytic.TrainingPlan;
import org.junit.jupiter.api.Test;

/** The one answer: which fit and which time, and where the JSON keeps them. */
class PredictAnswerTest {
    private static final TrainingPlan PLAN = new TrainingPlan(400_000, Device.A100_80GB, Precision.FP32, 19.5e12, 0.5);

    /** The seed's scenario: 2 of 1024 fit 80 GB, so there is no time, and max_batch is the answer. */
    @Test
    void batchAboveTheLargestFitsNotAndHasNoTime() {
        Prediction seed = Accounting.SEED.predict(Preset.SEED_GPT2_XL.shape(1024));
        PredictAnswer answer = PredictAnswer.of(seed, seed.fit(Capacity.of(80, Capacity.Unit.GB, "x")), PLAN, null);
        assertFalse(answer.fits());
        assertEquals(2, answer.fit().batchSize());
        assertEquals("max_batch", answer.maxBatchFrom());
        assertNull(answer.seconds());
        assertNull(answer.trainingFrom());
        assertEquals("batch 1024 does not fit 80 GB, so there is no run to time", answer.noTimeReason());
    }

    /** Batch 2 fits: the time is the plan's, the same number training.days carries. */
    @Test
    void aBatchThatFitsHasThePlansTime() {
        Prediction seed = Accounting.SEED.predict(Preset.SEED_GPT2_XL.shape(2));
        PredictAnswer answer = PredictAnswer.of(seed, seed.fit(Capacity.of(80, Capacity.Unit.GB, "x")), PLAN, null);
        assertTrue(answer.fits());
        assertEquals(PLAN.timeFor(seed.flops().step()).days(), answer.days(), 0.0);
        assertEquals("training", answer.trainingFrom());
        assertEquals(seed.memory().totalBytes(), answer.memoryBytesPerDevice());
        assertEquals(1, answer.devices());
    }

    /** No capacity: the fit is unknown (null), the time is still given. */
    @Test
    void withoutCapacityFitsIsUnknown() {
        Prediction seed = Accounting.SEED.predict(Preset.SEED_GPT2_XL.shape(1024));
        PredictAnswer answer = PredictAnswer.of(seed, null, PLAN, null);
        assertNull(answer.fits());
        assertNull(answer.maxBatchFrom());
        assertNull(answer.maxGlobalBatch());
        assertTrue(answer.json().get("fits").isNull());
        assertEquals(PLAN.timeFor(seed.flops().step()).seconds(), answer.seconds(), 0.0);
    }

    /** With ranks the per-rank fit and the data-parallel step are the answer; the global batch is N x the rank's. */
    @Test
    void ranksAnswerPerRank() {
        Prediction rank = Accounting.COMPLETE.predict(Preset.SEED_GPT2.shape(4));
        Capacity capacity = Capacity.of(80, Capacity.Unit.GB, "x");
        DataParallel plan = new DataParallel(8, Sharding.ZERO1, false);
        TrainingPlan training = new TrainingPlan(100, Device.A100_80GB, Precision.FP32, 19.5e12, 0.5);
        DataParallelReport report = DataParallelReport.of(plan, 32, rank, capacity, Device.A100_80GB, training);
        PredictAnswer answer = PredictAnswer.of(rank, rank.fit(capacity), training, report);
        assertEquals(8, answer.devices());
        assertEquals(32, answer.globalBatch());
        assertEquals(4, answer.batchPerDevice());
        assertEquals(report.fit(), answer.fit());
        assertEquals(8 * report.fit().batchSize(), answer.maxGlobalBatch());
        assertEquals("data_parallel.max_batch_per_rank", answer.maxBatchFrom());
        assertEquals("data_parallel.training", answer.trainingFrom());
        assertEquals(report.stepTime().runDays(100), answer.days(), 0.0);
        assertEquals(plan.perRankPolynomial(rank).bytesAt(4), answer.memoryBytesPerDevice());
        assertTrue(answer.json().get("note").asText().contains("not the answer"));
    }
}
