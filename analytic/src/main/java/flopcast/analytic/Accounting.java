package flopcast.analytic;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The two ways flopcast counts: the seed's tables as written, and what really runs. */
public enum Accounting {
    /** The seed's derivation, faithfully, mistakes included ({@link SeedAccounting}). */
    SEED("seed", "the model state (parameters, gradients, AdamW m and v)"),
    /** What {@code measure} executes and keeps ({@link CompleteAccounting}). */
    COMPLETE("complete", "the model state (parameters, gradients, AdamW m and v) with the per-head scratch");

    private final String cliName;
    private final String fixedPartDescription;

    Accounting(String cliName, String fixedPartDescription) {
        this.cliName = cliName;
        this.fixedPartDescription = fixedPartDescription;
    }

    public String cliName() {
        return cliName;
    }

    String fixedPartDescription() {
        return fixedPartDescription;
    }

    public Prediction predict(Shape shape) {
        return switch (this) {
            case SEED -> SeedAccounting.predict(shape);
            case COMPLETE -> CompleteAccounting.predict(shape);
        };
    }

    public static Accounting byName(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (Accounting accounting : values()) {
            if (accounting.cliName.equals(wanted)) {
                return accounting;
            }
        }
        throw new InvalidInputException("unknown accounting '" + name + "': allowed are " + names());
    }

    public static String names() {
        return Arrays.stream(values()).map(Accounting::cliName).collect(Collectors.joining(", "));
    }
}
