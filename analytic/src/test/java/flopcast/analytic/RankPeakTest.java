package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The probe's test shape: V = 50, T = 12, L = 3, d = 24, h = 4, d_ff = 40, B = 2, which has
 * 2*50*24 + 3*(4*24^2 + 3*24*40 + 2*24) + 24 = 18,120 parameters (16,392 with h_kv = 2).
 */
class RankPeakTest {

    private static final Shape PROBE = new Shape(50, 12, 3, 24, 4, 40, 2);

    /**
     * fp32 eager on one device: 16 bytes x 18,120 = 289,920 of state, 158,380 saved by the pytorch
     * profile, 24,096 of workspace: 472,396 (what the probe checked equal on PyTorch 1.13).
     */
    @Test
    void oneDeviceIsTheWholeStatePlusThePytorchProfilePlusTheWorkspace() {
        RankPeak peak = RankPeak.of(CompleteAccounting.predict(PROBE), DataParallel.SINGLE);
        assertEquals(TorchSavedTensor.PROFILE, peak.savedBy());
        assertPeak(peak, 289_920, 158_380, 24_096, 472_396);
    }

    /** Flash attention has no pytorch profile: the peak is the complete accounting's total, 428,976. */
    @Test
    void withoutTheProfileThePeakIsTheCompleteTotal() {
        Prediction flash = CompleteAccounting.predict(PROBE.withSettings(
                new Settings(PrecisionPolicy.FP32, AttentionKernel.FLASH, Recompute.NONE)));
        RankPeak peak = RankPeak.of(flash, DataParallel.SINGLE);
        assertEquals(RankPeak.COMPLETE, peak.savedBy());
        assertEquals(flash.memory().activationsBytes(), peak.savedBytes());
        assertEquals(428_976, peak.bytes());
        assertEquals(flash.memory().totalBytes(), peak.bytes());
    }

    /**
     * zero1 on 2 ranks, h_kv = 2, B = 2 per rank: rank 1 holds 65,568 of weights, 65,568 of
     * gradients and 65,664 of m and v (rank 0 only 65,472): 196,800; plus 158,572 saved and
     * 21,792 of workspace: 377,164.
     */
    @Test
    void ranksTakeTheLargestRanksState() {
        Shape gqa = PROBE.withArchitecture(new Architecture(2, false));
        RankPeak peak = RankPeak.of(CompleteAccounting.predict(gqa), new DataParallel(2, Sharding.ZERO1, false));
        assertPeak(peak, 196_800, 158_572, 21_792, 377_164);
    }

    @Test
    void theSeedAccountingHasNoWorkspaceAndIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> RankPeak.of(SeedAccounting.predict(PROBE), DataParallel.SINGLE));
    }

    /** The peak's state, saved and workspace bytes and their sum. */
    private static void assertPeak(RankPeak peak, long state, long saved, long workspace, long bytes) {
        assertEquals(state, peak.stateBytes(), "state");
        assertEquals(saved, peak.savedBytes(), "saved");
        assertEquals(workspace, peak.workspaceBytes(), "workspace");
        assertEquals(bytes, peak.bytes(), "total");
    }
}
