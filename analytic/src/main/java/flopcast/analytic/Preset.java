package flopcast.analytic;


/**
 * The GPT-2 family shapes, with V = 50257, T = 1024 and d_ff = 4d.
 *
 * <p>Source: the seed's "Recall GPT-2 XL parameters" list (gpt2-xl); Radford et al. 2019, Table 2
 * (layers and widths of the other three). Pinned by {@code PresetTest}.
 */
public enum Preset {
    GPT2_SMALL("gpt2-small", 12, 768, 12),
    GPT2_MEDIUM("gpt2-medium", 24, 1024, 16),
    GPT2_LARGE("gpt2-large", 36, 1280, 20),
    GPT2_XL("gpt2-xl", 48, 1600, 25);

    public static final long VOCAB_SIZE = 50257;
    public static final long CONTEXT_LENGTH = 1024;

    private final String cliName;
    private final long layers;
    private final long dModel;
    private final long heads;

    Preset(String cliName, long layers, long dModel, long heads) {
        this.cliName = cliName;
        this.layers = layers;
        this.dModel = dModel;
        this.heads = heads;
    }

    public String cliName() {
        return cliName;
    }

    public long layers() {
        return layers;
    }

    public long dModel() {
        return dModel;
    }

    public long heads() {
        return heads;
    }

    public long dFf() {
        return 4 * dModel;
    }

    public Shape shape(long batchSize) {
        return new Shape(VOCAB_SIZE, CONTEXT_LENGTH, layers, dModel, heads, dFf(), batchSize);
    }

    /** The preset called {@code name} on the command line, or a one-line error listing the names. */
    public static Preset byName(String name) {
        return Names.byName(values(), Preset::cliName, "preset", name);
    }

    public static String names() {
        return Names.list(values(), Preset::cliName);
    }
}
