package flopcast.analytic;

/**
 * Published model shapes: the GPT-2 family (V = 50257, T = 1024, d_ff = 4d, multi-head attention,
 * an untied head in flopcast's model) and Llama 3 (V = 128256, grouped-query attention with 8 key
 * and value heads, SwiGLU widths as released; the 3.2 models tie the head to the embedding).
 * Each preset's context is the one published; {@code --context} trains at another.
 *
 * <p>Llama's rotary position embedding has no parameters and no matmul; flopcast's executed model
 * leaves it out, so its elementwise FLOPs (about 3 per element of Q and K per layer) are not in the
 * elementwise totals, and model FLOPs, which count matmuls only, are unaffected.
 *
 * <p>Source: the seed's "Recall GPT-2 XL parameters" list (gpt2-xl); Radford et al. 2019, Table 2
 * (layers and widths of the other three); Llama 3 (the four Llama presets). Pinned by
 * {@code ShapeTest} and {@code CompleteAccountingTest} (Llama's published parameter counts).
 */
public enum Preset {
    GPT2_SMALL("gpt2-small", Family.GPT2, 12, 768, 12, 12, 3072, false, 1024),
    GPT2_MEDIUM("gpt2-medium", Family.GPT2, 24, 1024, 16, 16, 4096, false, 1024),
    GPT2_LARGE("gpt2-large", Family.GPT2, 36, 1280, 20, 20, 5120, false, 1024),
    GPT2_XL("gpt2-xl", Family.GPT2, 48, 1600, 25, 25, 6400, false, 1024),
    LLAMA3_8B("llama3-8b", Family.LLAMA3, 32, 4096, 32, 8, 14336, false, 8192),
    LLAMA3_70B("llama3-70b", Family.LLAMA3, 80, 8192, 64, 8, 28672, false, 8192),
    LLAMA3_2_1B("llama3.2-1b", Family.LLAMA3, 16, 2048, 32, 8, 8192, true, 131072),
    LLAMA3_2_3B("llama3.2-3b", Family.LLAMA3, 28, 3072, 24, 8, 8192, true, 131072);

    /** What the members of a family share. */
    private enum Family {
        GPT2(50257),
        LLAMA3(128256);

        private final long vocabSize;

        Family(long vocabSize) {
            this.vocabSize = vocabSize;
        }
    }

    private final String cliName;
    private final Family family;
    private final long layers;
    private final long dModel;
    private final long heads;
    private final long kvHeads;
    private final long dFf;
    private final boolean tiedEmbeddings;
    private final long contextLength;

    Preset(String cliName, Family family, long layers, long dModel, long heads, long kvHeads, long dFf,
            boolean tiedEmbeddings, long contextLength) {
        this.cliName = cliName;
        this.family = family;
        this.layers = layers;
        this.dModel = dModel;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.dFf = dFf;
        this.tiedEmbeddings = tiedEmbeddings;
        this.contextLength = contextLength;
    }

    public String cliName() {
        return cliName;
    }

    /** The published model at its published context, {@code batchSize} sequences. */
    public Shape shape(long batchSize) {
        return new Shape(family.vocabSize, contextLength, layers, dModel, heads, dFf, batchSize,
                new Architecture(kvHeads, tiedEmbeddings));
    }

    /** The preset called {@code name} on the command line, or a one-line error listing the names. */
    public static Preset byName(String name) {
        return Names.byName(values(), Preset::cliName, "preset", name);
    }

    public static String names() {
        return Names.list(values(), Preset::cliName);
    }
}
