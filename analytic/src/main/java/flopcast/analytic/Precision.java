package flopcast.analytic;


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
        return Names.byName(values(), Precision::cliName, "precision", name);
    }

    public static String names() {
        return Names.list(values(), Precision::cliName);
    }
}
