package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Accounting;
import flopcast.analytic.AdamWFlops;
import flopcast.analytic.AttentionKernel;
import flopcast.analytic.Capacity;
import flopcast.analytic.Component;
import flopcast.analytic.DataParallel;
import flopcast.analytic.Device;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.Precision;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Prediction;
import flopcast.analytic.Preset;
import flopcast.analytic.Recompute;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.analytic.Sharding;
import flopcast.analytic.TrainingPlan;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code predict --detail}'s tables, rendered straight from the analytic prediction. */
class PredictTableTest {
    /** Llama 3 8B at batch 1, bf16 mixed, flash attention, no recompute: the shape three tests render. */
    private static final Shape LLAMA3_8B_FLASH = Preset.byName("llama3-8b").shape(1).withSettings(
            new Settings(PrecisionPolicy.BF16_MIXED, AttentionKernel.FLASH, Recompute.NONE));
    private static final Capacity EIGHTY_GB = Capacity.of(80, Capacity.Unit.GB, "--memory-gb");

    /** {@code steps} on one H100 SXM at its 989 TFLOP/s bf16 peak and 40% MFU. */
    private static TrainingPlan h100Bf16At40Percent(long steps) {
        return new TrainingPlan(steps, Device.H100_SXM, Precision.BF16, 989e12, 0.4);
    }

    private static String render(Prediction prediction, TrainingPlan plan, DataParallel ranks) {
        return PredictTable.render(prediction, prediction.fit(EIGHTY_GB), plan, ranks);
    }

    /** Every component has its row, in the table's order, with the block total before the final norm. */
    @Test
    void detailHasTheComponentTable() {
        Prediction prediction = Accounting.COMPLETE.predict(Preset.SEED_GPT2_XL.shape(8));
        String text = render(prediction, null, null);
        assertTrue(text.contains("\ncomponent                count     parameters  activation floats"), text);
        int previous = -1;
        for (Component component : List.of(Component.TOKEN_EMBEDDING, Component.RMSNORM, Component.QKV_PROJECTION,
                Component.FFN_W2, Component.FINAL_RMSNORM, Component.OUTPUT_EMBEDDING, Component.CROSS_ENTROPY)) {
            int at = text.indexOf("\n" + component.jsonName() + " ");
            assertTrue(at > previous, component.jsonName() + " out of order in\n" + text);
            previous = at;
        }
        assertTrue(text.indexOf("\nblock total (per block)") < text.indexOf("\nfinal_rmsnorm "), text);
        assertTrue(text.contains("\ntotal                           2,127,057,600"), text);
    }

    /** The complete accounting lists each kept tensor the settings hold; the seed's has no such table. */
    @Test
    void keptTensorsUnderCompleteOnly() {
        Shape flash = LLAMA3_8B_FLASH;
        String text = render(Accounting.COMPLETE.predict(flash), null, null);
        for (KeptActivation row : KeptActivation.values()) {
            assertEquals(row.instances(flash) > 0, text.contains("\n" + row.tensorName() + " "), row.tensorName());
        }
        assertTrue(text.contains("\nattention.logsumexp "), text);
        assertFalse(text.contains("\nattention.probabilities "), text);
        assertFalse(render(Accounting.SEED.predict(Preset.SEED_GPT2_XL.shape(8)), null, null).contains("kept tensor"));
    }

    /** AdamW's words come from AdamWFlops, HFU from FlopTotals: the table restates neither. */
    @Test
    void adamWAndHfuAreRenderedFromAnalytic() {
        Prediction prediction = Accounting.COMPLETE.predict(LLAMA3_8B_FLASH);
        TrainingPlan plan = h100Bf16At40Percent(10);
        String text = render(prediction, plan, null);
        assertTrue(text.contains("\nAdamW FLOPs        112,423,657,480 (" + AdamWFlops.formula() + ")\n"), text);
        assertTrue(text.contains("\nHFU                " + NumberText.percent(prediction.flops().hfu(0.4))
                + " at that MFU"), text);
        assertTrue(text.contains("HFU = 1.0371 x MFU"), text);
    }

    /**
     * One device: the largest batch and the training time. With ranks the same one-rank prediction
     * leaves both to the data-parallel section, so the unsharded "does not fit" is not printed as an
     * answer and the compute-only time is labelled as such.
     */
    @Test
    void withRanksTheDetailGivesNoSecondAnswer() {
        Prediction prediction = Accounting.COMPLETE.predict(LLAMA3_8B_FLASH);
        TrainingPlan plan = h100Bf16At40Percent(15_259);
        String alone = render(prediction, plan, null);
        assertTrue(alone.contains("\nlargest batch      on 80 GB (80,000,000,000 bytes): 0, does not fit"), alone);
        assertTrue(alone.contains("\ntraining           15,259 steps"), alone);
        String ranked = render(prediction, plan, new DataParallel(8, Sharding.ZERO3, false));
        assertFalse(ranked.contains("does not fit"), ranked);
        assertTrue(ranked.contains("\nlargest batch      per rank: in the data-parallel section below"), ranked);
        assertTrue(ranked.contains("\ncompute alone      15,259 steps"), ranked);
        assertTrue(ranked.contains(" days without communication: the time is the step with comms below\n"), ranked);
        assertFalse(ranked.contains("\ntraining "), ranked);
    }
}
