package flopcast.analytic;


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
        return Names.byName(values(), Accounting::cliName, "accounting", name);
    }

    public static String names() {
        return Names.list(values(), Accounting::cliName);
    }
}
