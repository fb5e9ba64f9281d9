package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import flopcast.analytic.Accounting;
import flopcast.analytic.AttentionKernel;
import flopcast.analytic.Capacity;
import flopcast.analytic.DataParallel;
import flopcast.analytic.Device;
import flopcast.analytic.Precision;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Prediction;
import flopcast.analytic.Preset;
import flopcast.analytic.Recompute;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.analytic.Sharding;
import flopcast.analytic.TrainingPlan;
import org.junit.jupiter.api.Test;

/** What {@code predict --data-parallel} adds, for the two examples. */
class DataParallelReportTest {
    private static final Capacity EIGHTY_GB = Capacity.of(80, Capacity.Unit.GB, "--memory-gb");

    private static Prediction rank(String preset) {
        Shape shape = Preset.byName(preset).shape(1).withSettings(new Settings(PrecisionPolicy.BF16_MIXED,
                AttentionKernel.FLASH, Recompute.NONE));
        return Accounting.COMPLETE.predict(shape);
    }

    private static DataParallelReport report(String preset, int ranks, long steps) {
        TrainingPlan plan = new TrainingPlan(steps, Device.H100_SXM, Precision.BF16, 989e12, 0.4);
        return DataParallelReport.of(new DataParallel(ranks, Sharding.ZERO3, false), ranks, rank(preset), EIGHTY_GB,
                Device.H100_SXM, plan);
    }

    /** Llama 3 8B, 8 ranks: 20,292,854,016 fixed bytes a rank, so one sequence fits (1.269), the step is 1.2929 s. */
    @Test
    void llama3_8bOn8RanksFitsOnePerRank() {
        DataParallelReport report = report("llama3-8b", 8, 15_259);
        assertEquals(20_292_854_016L, report.perRankPolynomial().fixedBytes());
        assertEquals(1, report.fit().batchSize());
        assertTrue(report.fit().fits(1));
        JsonNode json = report.json();
        assertEquals(1, json.at("/max_batch_per_rank/batch_size").asLong());
        assertEquals(8, json.get("per_rank").size(), "8 ranks are listed one by one");
        DataParallel.StepTime step = report.stepTime();
        assertEquals(step.runDays(15_259), json.at("/training/days").asDouble(), 0.0);
        assertEquals("0.2283", String.format(java.util.Locale.ROOT, "%.4f", step.runDays(15_259)));
        String table = report.table();
        assertTrue(table.contains("\nmemory per rank    67,359,334,656 bytes at B / N = 1: 2.0292854e10 + 4.70664806e10"
                + " x B bytes"), table);
        assertTrue(table.contains("\nlargest batch      per rank on 80 GB (80,000,000,000 bytes): 1 (1.269 before"
                + " rounding down)\n"), table);
        assertTrue(table.contains("= 1.2929 s; 15,259 steps = 19,728.87 s = 0.23 days\n"), table);
        for (int rank = 0; rank < 8; rank++) {
            assertTrue(table.contains("\n" + rank + "     2,007,565,312"), table);
        }
    }

    /** Llama 3 70B, 64 ranks: one sequence per rank needs 247.6 GB, so none fits; only the largest rank is listed. */
    @Test
    void llama3_70bOn64RanksFitsNone() {
        DataParallelReport report = report("llama3-70b", 64, 1_000);
        assertEquals(0, report.fit().batchSize());
        assertTrue(report.fit().fixedPartFits(), "the sharded state fits; one sequence's activations do not");
        assertEquals(247_559_031_040L, report.perRankPolynomial().bytesAt(1));
        assertEquals(1, report.json().get("per_rank").size());
        assertTrue(report.table().contains("per rank on 80 GB (80,000,000,000 bytes): 0 (0.243 before rounding"
                + " down)"), report.table());
    }

    @Test
    void withoutADeviceThereIsNoStepTime() {
        DataParallelReport report = DataParallelReport.of(new DataParallel(2, Sharding.NONE, false), 2,
                rank("llama3-8b"), null, null, new TrainingPlan(10, null, Precision.BF16, 989e12, 0.5));
        assertNull(report.stepTime());
        assertNull(report.fit());
        assertTrue(report.table().contains("step with comms    needs a catalog --device for its link bandwidth"));
        assertNull(report.json().get("training"));
    }
}
