package flopcast.calibration.report;

import java.util.Locale;

/**
 * The sections of a calibration, in the order {@code calibration.csv} lists them. The JVM's rows
 * fill every section but {@link #DEVICE_MFU}; the PyTorch probe's fill {@link #MEASUREMENTS},
 * {@link #DEVICE_MFU}, {@link #FIT}, {@link #EXTRAPOLATION} and {@link #SENSITIVITY}.
 */
public enum Section {
    /** Rows read and rows marked invalid. */
    MEASUREMENTS,
    /** Each probe step's seconds, model FLOP/s and MFU on its device. */
    DEVICE_MFU,
    /** The efficiency fits with the measured peak and bandwidth; the probe's shape classes. */
    FIT,
    /** Each measured step against its prediction, and each backend's worst and median error. */
    HELD_OUT,
    /**
     * Each measured step's in-situ profile: its time, what the classes the model has terms for took
     * and what the model predicts for them, the classes it has none for, and the remainder.
     */
    PROFILE,
    /** Each measured JVM step's seconds, model FLOP/s and MFU on this host. */
    HOST_MFU,
    /** Predicted and measured heap bytes. */
    HEAP,
    /** Days and MFU of the target run, one assumption per item. */
    EXTRAPOLATION,
    /** Days of the target run at 10% to 80% MFU. */
    SENSITIVITY,
    /** The largest micro-batch that fits the device, and what it implies. */
    MEMORY;

    /** The name in {@code calibration.csv}'s {@code section} column. */
    public String csvName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
