package flopcast.calibration.measurements;

import java.util.ArrayList;
import java.util.List;

/**
 * Why a row of {@code measurements.csv} is marked: the {@code status} column lists a row's marks,
 * each as {@code key (detail)}, and {@code valid} is false when any of them invalidates the row.
 * An invalid row is physically impossible or was timed before its code was compiled: calibration
 * never fits it. A cache-resident row is true but describes the cache, not memory.
 */
public enum RowMark {
    /** MFU at or below 0 or above 1: the op cannot have run faster than the peak it divides by. */
    MFU_OUT_OF_RANGE("mfu_out_of_range", true),
    /**
     * The FMA probe measured below half the nominal peak, its one-thread peak above its all-thread
     * one, or (on two cores or more) its all-thread peak under 1.2x the one-thread one: every MFU and compute efficiency at that thread count divides by it.
     */
    PEAK_PROBE_FAILED("peak_probe_failed", true),
    /** The op's warm-up did not settle within its bound: it may have been timed before C2 compiled it. */
    UNSETTLED_WARMUP("unsettled_warmup", true),
    /**
     * A timed row (a component, AdamW or a step, not a probe) whose spread is above its limit
     * ({@link #spreadLimit}): its samples disagree by more than what reads it can resolve, so
     * neither a fit nor a held-out check uses it.
     */
    NOISY("noisy", true),
    /**
     * A memory-bound op moved its bytes faster than the measured memory bandwidth at its thread
     * count: its data stayed in cache. Valid, but an efficiency against the cache, not memory.
     */
    CACHE_RESIDENT("cache_resident", false);

    /**
     * The largest spread ((lower quartile - fastest) / lower quartile) a step row may have and still
     * be held out: the tightest held-out target is a 3% median error on one thread, and a step whose
     * fastest samples are further apart than that cannot tell a 3% error from the host's drift.
     */
    public static final double STEP_SPREAD_LIMIT = 0.03;

    /**
     * The largest spread a component or AdamW row may have and still be fitted. Looser than a
     * step's: no target judges one component row; each class's efficiency is fitted across its rows
     * at several sizes, and the median component spread enters every held-out step's noise floor,
     * so the rows' noise shows where it matters. On a 2-vCPU host, sixteen 25 ms samples of a
     * kernel of 20 us to 1 ms lie 4% to 17% apart when nothing is wrong (one fast sample is enough;
     * the shortest two-thread kernels hand off between threads every few microseconds); a row above
     * 20% saw the host change under it (one run's two-thread cross-entropy backward: 0.5 ms at its
     * first and last samples, 1.1 to 2.4 ms between).
     */
    public static final double COMPONENT_SPREAD_LIMIT = 0.20;

    /** The spread limit of a timed row of {@code pass} (step, forward, backward or optimizer). */
    public static double spreadLimit(String pass) {
        return "step".equals(pass) ? STEP_SPREAD_LIMIT : COMPONENT_SPREAD_LIMIT;
    }

    /** The status of a row with no mark. */
    public static final String OK = "ok";

    private final String key;
    private final boolean invalidates;

    RowMark(String key, boolean invalidates) {
        this.key = key;
        this.invalidates = invalidates;
    }

    public String key() {
        return key;
    }

    public boolean invalidates() {
        return invalidates;
    }

    /** One mark with its detail, as the status column writes it. */
    public String describe(String detail) {
        return key + " (" + detail + ")";
    }

    /** The status column's text for a row's marks: "ok" without any. */
    public static String status(List<String> described) {
        return described.isEmpty() ? OK : String.join("; ", described);
    }

    /**
     * Whether the only mark of {@code status} that invalidates a row is {@link #NOISY}: the row was
     * timed right, but the host moved under it (a fit falls back on such rows where a class has no
     * other; a step is shown in the held-out table, undecided, and profiled).
     */
    public static boolean noisyAlone(String status) {
        return of(status).stream().filter(RowMark::invalidates).toList().equals(List.of(NOISY));
    }

    /** The marks a status column's text names, in order. */
    public static List<RowMark> of(String status) {
        List<RowMark> marks = new ArrayList<>();
        for (RowMark mark : values()) {
            if (status.equals(mark.key) || status.startsWith(mark.key + " ") || status.contains("; " + mark.key + " ")) {
                marks.add(mark);
            }
        }
        return marks;
    }
}
