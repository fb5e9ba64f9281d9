package flopcast.calibration.report;

import java.util.List;
import java.util.Locale;

/**
 * Every number a calibration holds, each bound to its section, its name in {@code calibration.csv}'s
 * {@code quantity} column, its unit (or units: a fit's sizes take the op class's) and whether it is a
 * count. A quantity cannot be put in another section's entry, and a renderer names the number it
 * shows by constant, so a typo fails to compile.
 */
public enum Quantity {
    ROWS(Section.MEASUREMENTS, "rows", Kind.COUNT, Unit.ROWS),
    MARKED_INVALID(Section.MEASUREMENTS, "marked_invalid", Kind.COUNT, Unit.ROWS),

    DEVICE_SECONDS(Section.DEVICE_MFU, "seconds", Kind.NUMBER, Unit.SECONDS),
    DEVICE_FLOPS_PER_SECOND(Section.DEVICE_MFU, "model_flops_per_second", Kind.NUMBER, Unit.FLOPS_PER_SECOND),
    DEVICE_MFU(Section.DEVICE_MFU, "mfu", Kind.NUMBER, Unit.ONE),

    POINTS(Section.FIT, "points", Kind.COUNT, Unit.ONE),
    INTERCEPT(Section.FIT, "intercept", Kind.NUMBER, Unit.ONE),
    SLOPE(Section.FIT, "slope", Kind.NUMBER, Unit.ONE),
    SIZE_MIN(Section.FIT, "size_min", Kind.NUMBER, Unit.FLOPS_PER_BYTE, Unit.BYTES_PER_OP),
    SIZE_MAX(Section.FIT, "size_max", Kind.NUMBER, Unit.FLOPS_PER_BYTE, Unit.BYTES_PER_OP),
    EFFICIENCY_MIN(Section.FIT, "efficiency_min", Kind.NUMBER, Unit.ONE),
    EFFICIENCY_MAX(Section.FIT, "efficiency_max", Kind.NUMBER, Unit.ONE),
    /** The measured peak of a JVM fit; the achieved model FLOP/s of a probe shape class. */
    FIT_FLOPS_PER_SECOND(Section.FIT, "flops_per_second", Kind.NUMBER, Unit.FLOPS_PER_SECOND),
    BANDWIDTH(Section.FIT, "bytes_per_second", Kind.NUMBER, Unit.BYTES_PER_SECOND),
    CLASS_BATCH_SIZE(Section.FIT, "batch_size", Kind.COUNT, Unit.SEQUENCES),
    CLASS_MFU(Section.FIT, "mfu", Kind.NUMBER, Unit.ONE),

    MEASURED_SECONDS(Section.HELD_OUT, "measured_seconds", Kind.NUMBER, Unit.SECONDS),
    PREDICTED_SECONDS(Section.HELD_OUT, "predicted_seconds", Kind.NUMBER, Unit.SECONDS),
    ERROR(Section.HELD_OUT, "error", Kind.SIGNED, Unit.ONE),
    LEAVE_SHAPE_OUT_SECONDS(Section.HELD_OUT, "leave_shape_out_seconds", Kind.NUMBER, Unit.SECONDS),
    LEAVE_SHAPE_OUT_ERROR(Section.HELD_OUT, "leave_shape_out_error", Kind.SIGNED, Unit.ONE),
    NOISE_FLOOR(Section.HELD_OUT, "noise_floor", Kind.NUMBER, Unit.ONE),
    WORST_ERROR(Section.HELD_OUT, "worst_error", Kind.NUMBER, Unit.ONE),
    MEDIAN_ERROR(Section.HELD_OUT, "median_error", Kind.NUMBER, Unit.ONE),
    HELD_OUT_STEPS(Section.HELD_OUT, "steps", Kind.COUNT, Unit.ONE),
    UNDECIDED_STEPS(Section.HELD_OUT, "undecided_steps", Kind.COUNT, Unit.ONE),
    SETTING_MEASURED_RATIO(Section.HELD_OUT, "measured_vs_default", Kind.NUMBER, Unit.RATIO),
    SETTING_PREDICTED_RATIO(Section.HELD_OUT, "predicted_vs_default", Kind.NUMBER, Unit.RATIO),

    PROFILE_STEP_SECONDS(Section.PROFILE, "step_seconds", Kind.NUMBER, Unit.SECONDS),
    PROFILE_MODELLED_SECONDS(Section.PROFILE, "modelled_seconds", Kind.NUMBER, Unit.SECONDS),
    PROFILE_PREDICTED_SECONDS(Section.PROFILE, "predicted_seconds", Kind.NUMBER, Unit.SECONDS),
    PROFILE_UNMODELLED_SECONDS(Section.PROFILE, "unmodelled_seconds", Kind.NUMBER, Unit.SECONDS),
    PROFILE_REMAINDER_SECONDS(Section.PROFILE, "remainder_seconds", Kind.NUMBER, Unit.SECONDS),
    HOST_SECONDS(Section.HOST_MFU, "seconds", Kind.NUMBER, Unit.SECONDS),
    HOST_FLOPS_PER_SECOND(Section.HOST_MFU, "model_flops_per_second", Kind.NUMBER, Unit.FLOPS_PER_SECOND),
    HOST_MFU(Section.HOST_MFU, "mfu", Kind.NUMBER, Unit.ONE),

    PREDICTED_BYTES(Section.HEAP, "predicted_bytes", Kind.COUNT, Unit.BYTES),
    MEASURED_BYTES(Section.HEAP, "measured_bytes", Kind.COUNT, Unit.BYTES),
    HEAP_RATIO(Section.HEAP, "ratio", Kind.NUMBER, Unit.RATIO),

    DAYS(Section.EXTRAPOLATION, "days", Kind.NUMBER, Unit.DAYS),
    MFU(Section.EXTRAPOLATION, "mfu", Kind.NUMBER, Unit.ONE),

    SENSITIVITY_DAYS(Section.SENSITIVITY, "days", Kind.NUMBER, Unit.DAYS),

    SEQUENCES(Section.MEMORY, "sequences", Kind.COUNT, Unit.SEQUENCES),
    ACCUMULATION_STEPS(Section.MEMORY, "steps", Kind.COUNT, Unit.MICRO_BATCHES),
    MEMORY_BYTES(Section.MEMORY, "bytes", Kind.COUNT, Unit.BYTES);

    /** How a value of the quantity is held and read. */
    enum Kind {
        /** An exact count, held as a {@code long}, read as a grouped integer. */
        COUNT,
        /** A double, read in its unit's way. */
        NUMBER,
        /** A double that is a signed fraction (an error), read as a signed percent to 0.1. */
        SIGNED
    }

    private final Section section;
    private final String csvName;
    private final Kind kind;
    private final List<Unit> units;

    Quantity(Section section, String csvName, Kind kind, Unit... units) {
        this.section = section;
        this.csvName = csvName;
        this.kind = kind;
        this.units = List.of(units);
    }

    public Section section() {
        return section;
    }

    /** The name in {@code calibration.csv}'s {@code quantity} column (unique within its section). */
    public String csvName() {
        return csvName;
    }

    /** True for an exact count (held as a {@code long}); false for a double. */
    public boolean count() {
        return kind == Kind.COUNT;
    }

    /** The units it may be given in, the first its own. */
    public List<Unit> units() {
        return units;
    }

    /** Its own unit (a fit's sizes: matmuls' FLOPs per byte; memory-bound ops give theirs). */
    public Unit unit() {
        return units.get(0);
    }

    /** {@code value}, held in {@code unit}, as people read it. */
    public String text(Number value, Unit unit) {
        return switch (kind) {
            case COUNT -> String.format(Locale.ROOT, "%,d", value.longValue());
            case SIGNED -> String.format(Locale.ROOT, "%+.1f%%", 100 * value.doubleValue());
            case NUMBER -> unit.text(value.doubleValue());
        };
    }
}
