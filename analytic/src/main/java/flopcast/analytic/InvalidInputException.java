package flopcast.analytic;

/**
 * Input that no formula can answer: a non-positive dimension, d not divisible by h, an MFU outside
 * (0, 1], a capacity below what the model state alone needs. The message is one line naming the
 * value and what is allowed, fit to show a user as it is. Open for one kind: calibration's refusal of
 * a run's measurements, after which the previous calibration beside them is withdrawn.
 */
public class InvalidInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }
}
