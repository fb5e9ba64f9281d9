package flopcast.analytic;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The arithmetic a device peak is quoted for. Memory is float32 throughout: the precision only
 * selects which peak a training-time estimate divides by.
 */
public enum Precision {
    FP32("fp32"),
    TF32("tf32"),
    BF16("bf16");

    private final String cliName;

    Precision(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static Precision byName(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (Precision precision : values()) {
            if (precision.cliName.equals(wanted)) {
                return precision;
            }
        }
        throw new InvalidInputException("unknown precision '" + name + "': allowed are " + names());
    }

    public static String names() {
        return Arrays.stream(values()).map(Precision::cliName).collect(Collectors.joining(", "));
    }
}
