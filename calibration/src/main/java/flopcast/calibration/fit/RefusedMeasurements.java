package flopcast.calibration.fit;

import flopcast.analytic.InvalidInputException;

/**
 * A measurements file read whole that nothing can be calibrated from: a failed peak probe, no valid
 * step rows, no component rows to fit. Unlike an option that names nothing in the file (a host, a
 * device), this refusal is about the run itself, so a calibration written beside it for an earlier
 * run no longer describes what is there: {@code calibrate} withdraws it.
 */
public final class RefusedMeasurements extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    public RefusedMeasurements(String message) {
        super(message);
    }
}
