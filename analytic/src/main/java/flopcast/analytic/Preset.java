package flopcast.analytic;

/**
 * Published model shapes: OpenAI's GPT-2 in its four sizes ({@code gpt2} to {@code gpt2-xl}: V = 50257,
 * T = 1024, d_ff = 4d, multi-head attention, LayerNorm with a bias, a GELU MLP, a bias on every
 * projection, 1024 learned positions, the head tied to the token embedding); the seed's model at the
 * same four sizes ({@code seed-gpt2} to {@code seed-gpt2-xl}: flopcast's own layout, RMSNorm, SwiGLU
 * at d_ff = 4d, no biases or positions, an untied head), whose XL is the seed's scenario; and the
 * decoders people train today whose architecture is
 * flopcast's (RMSNorm, SwiGLU, rotary positions; no biases unless said): Llama 3, 3.1 and 3.2
 * (V = 128256, 8 key and value heads; the 3.2 models tie the head), Llama 2 7B and 13B, TinyLlama
 * 1.1B, Mistral 7B v0.3 (full attention) and v0.1 (a 4096-key sliding window at 32768), Mistral NeMo 12B
 * (heads of 128 beside d / h = 160), Phi-3 mini 4k (a 2047-key window at 4096), SmolLM2
 * 360M and 1.7B, and
 * Qwen2.5 0.5B and 7B (the same layout with biases on Q, K and V; their sliding window is off), and
 * Qwen3 0.6B and 8B (no biases, QK-norm, heads of 128: 2048 wide at d = 1024 for the 0.6B), and
 * Gemma 2B and 7B (a GeGLU MLP, heads of 256, tied; 2B with one key and value head), and OLMo 2 7B (norms
 * after attention and the MLP, QK-norm over each whole projection).
 * Each preset's context is the one published; {@code --context} trains at another.
 *
 * <p>Llama's rotary position embedding has no parameters and no matmul; flopcast's executed model
 * leaves it out, so its elementwise FLOPs (about 3 per element of Q and K per layer) are not in the
 * elementwise totals, and model FLOPs, which count matmuls only, are unaffected. Gemma's embedding scaled
 * by sqrt(d) (N*d multiplies forward and backward) and its norms' 1 + w (d adds a norm) are left out the
 * same way.
 *
 * <p>Source: Radford et al. 2019, Table 2 (GPT-2's layers and widths) and Hugging Face's
 * {@code modeling_gpt2.py} (its layout; SOURCES.md, "GELU MLP", "Learned positions", "Linear biases");
 * the seed's "Recall GPT-2 XL parameters" list (seed-gpt2-xl); Llama 3 (the Llama 3 presets); each
 * other model's {@code config.json} on its model card (SOURCES.md, "Hugging Face config"). Pinned by
 * {@code ShapeTest} and {@code CompleteAccountingTest} (every published model's published parameter
 * count, OpenAI's GPT-2 included), and by {@code HfConfigTest} (a preset equals its shipped config's shape).
 */
public enum Preset {
    GPT2("gpt2", Family.GPT2, 12, 768, 12, 12, 3072, true, 1024),
    GPT2_MEDIUM("gpt2-medium", Family.GPT2, 24, 1024, 16, 16, 4096, true, 1024),
    GPT2_LARGE("gpt2-large", Family.GPT2, 36, 1280, 20, 20, 5120, true, 1024),
    GPT2_XL("gpt2-xl", Family.GPT2, 48, 1600, 25, 25, 6400, true, 1024),
    SEED_GPT2("seed-gpt2", Family.SEED, 12, 768, 12, 12, 3072, false, 1024),
    SEED_GPT2_MEDIUM("seed-gpt2-medium", Family.SEED, 24, 1024, 16, 16, 4096, false, 1024),
    SEED_GPT2_LARGE("seed-gpt2-large", Family.SEED, 36, 1280, 20, 20, 5120, false, 1024),
    SEED_GPT2_XL("seed-gpt2-xl", Family.SEED, 48, 1600, 25, 25, 6400, false, 1024),
    LLAMA3_8B("llama3-8b", Family.LLAMA3, 32, 4096, 32, 8, 14336, false, 8192),
    LLAMA3_70B("llama3-70b", Family.LLAMA3, 80, 8192, 64, 8, 28672, false, 8192),
    LLAMA3_1_8B("llama3.1-8b", Family.LLAMA3, 32, 4096, 32, 8, 14336, false, 131072),
    LLAMA3_1_70B("llama3.1-70b", Family.LLAMA3, 80, 8192, 64, 8, 28672, false, 131072),
    LLAMA3_2_1B("llama3.2-1b", Family.LLAMA3, 16, 2048, 32, 8, 8192, true, 131072),
    LLAMA3_2_3B("llama3.2-3b", Family.LLAMA3, 28, 3072, 24, 8, 8192, true, 131072),
    LLAMA2_7B("llama2-7b", Family.LLAMA2, 32, 4096, 32, 32, 11008, false, 4096),
    LLAMA2_13B("llama2-13b", Family.LLAMA2, 40, 5120, 40, 40, 13824, false, 4096),
    TINYLLAMA_1_1B("tinyllama-1.1b", Family.LLAMA2, 22, 2048, 32, 4, 5632, false, 2048),
    MISTRAL_7B("mistral-7b", Family.MISTRAL, 32, 4096, 32, 8, 14336, false, 32768),
    SMOLLM2_360M("smollm2-360m", Family.SMOLLM2, 32, 960, 15, 5, 2560, true, 8192),
    SMOLLM2_1_7B("smollm2-1.7b", Family.SMOLLM2, 24, 2048, 32, 32, 8192, true, 8192),
    QWEN2_5_0_5B("qwen2.5-0.5b", Family.QWEN2_5_SMALL, 24, 896, 14, 2, 4864, true, 32768),
    QWEN2_5_7B("qwen2.5-7b", Family.QWEN2_5, 28, 3584, 28, 4, 18944, false, 131072),
    QWEN3_0_6B("qwen3-0.6b", Family.QWEN3, 28, 1024, 16, 8, 3072, true, 40960),
    QWEN3_8B("qwen3-8b", Family.QWEN3, 36, 4096, 32, 8, 12288, false, 40960),
    MISTRAL_7B_V0_1("mistral-7b-v0.1", Family.MISTRAL_V0_1, 32, 4096, 32, 8, 14336, false, 32768),
    MISTRAL_NEMO_12B("mistral-nemo-12b", Family.MISTRAL_NEMO, 40, 5120, 32, 8, 14336, false, 128000),
    PHI3_MINI("phi3-mini", Family.PHI3, 32, 3072, 32, 32, 8192, false, 4096),
    GEMMA_2B("gemma-2b", Family.GEMMA, 18, 2048, 8, 1, 16384, true, 8192),
    GEMMA_7B("gemma-7b", Family.GEMMA, 28, 3072, 16, 16, 24576, true, 8192),
    OLMO2_7B("olmo2-7b", Family.OLMO2, 32, 4096, 32, 32, 11008, false, 4096);

    /** What the members of a family share. */
    private enum Family {
        /**
         * OpenAI's GPT-2: LayerNorm with a bias, a GELU MLP, a bias on every projection, 1024 learned
         * positions, the head tied to the token embedding.
         */
        GPT2(50257, LinearBias.ALL, NormKind.LAYER, MlpKind.GELU, true),
        /** The seed's model at GPT-2's sizes: flopcast's own layout (RMSNorm, SwiGLU, no biases or positions). */
        SEED(50257),
        LLAMA3(128256),
        /** Llama 2's SentencePiece vocabulary, which TinyLlama reuses. */
        LLAMA2(32000),
        /** Mistral 7B v0.3's extended vocabulary (v0.1 and v0.2: 32000). */
        MISTRAL(32768),
        /** Mistral 7B v0.1: Llama 2's vocabulary and a 4096-key sliding window. */
        MISTRAL_V0_1(32000, 4096),
        /** Mistral NeMo 12B: heads of 128 beside d / h = 160, Tekken's vocabulary. */
        MISTRAL_NEMO(131072, LinearBias.NONE, 128, false),
        /** Phi-3 mini (4k): a 32064 vocabulary and a 2047-key sliding window. */
        PHI3(32064, 2047),
        SMOLLM2(49152),
        /** Qwen2.5's vocabulary as the 7B and larger pad it, Q, K and V biased. */
        QWEN2_5(152064, LinearBias.QKV),
        /** Qwen2.5's vocabulary as the 0.5B to 3B pad it. */
        QWEN2_5_SMALL(151936, LinearBias.QKV),
        /** Qwen3's dense models: no biases, QK-norm, heads of 128 whatever the width. */
        QWEN3(151936, LinearBias.NONE, 128, true),
        /**
         * Gemma (the first): a GeGLU MLP, heads of 256 whatever the width, a tied head. Its embedding
         * scaled by sqrt(d) and its norms' (1 + w) gains are executed by flopcast as a plain embedding and
         * a gain g = 1 + w: the same parameters and kept tensors, without those elementwise FLOPs.
         */
        GEMMA(256000, LinearBias.NONE, 256, false, NormKind.RMS, MlpKind.GEGLU, false),
        /** OLMo 2: the Llama layout with its norms after attention and the MLP and QK-norm over each projection. */
        OLMO2(100352, NormPlacement.POST, QkNorm.PROJECTION);

        private final long vocabSize;
        private final LinearBias bias;
        private final long headDim;
        private final boolean qkNorm;
        private final NormKind norm;
        private final MlpKind mlp;
        /** A learned position table of the preset's context's rows; rotary positions (none) where false. */
        private final boolean learnedPositions;
        private final long slidingWindow;
        private final NormPlacement placement;
        /** QK-norm where it is not the {@code qkNorm} flag's per-head one. */
        private final QkNorm qkNormScope;

        /** The Llama layout with its norms at {@code placement} and QK-norm {@code qkNormScope}. */
        Family(long vocabSize, NormPlacement placement, QkNorm qkNormScope) {
            this(vocabSize, LinearBias.NONE, Architecture.HEAD_DIM_FROM_WIDTH, qkNormScope.active(), NormKind.RMS,
                    MlpKind.SWIGLU, false, Architecture.NO_WINDOW, placement, qkNormScope);
        }

        Family(long vocabSize) {
            this(vocabSize, LinearBias.NONE);
        }

        /** The Llama layout with a sliding window of {@code slidingWindow} keys. */
        Family(long vocabSize, long slidingWindow) {
            this(vocabSize, LinearBias.NONE, Architecture.HEAD_DIM_FROM_WIDTH, false, NormKind.RMS, MlpKind.SWIGLU,
                    false, slidingWindow);
        }

        Family(long vocabSize, LinearBias bias) {
            this(vocabSize, bias, Architecture.HEAD_DIM_FROM_WIDTH, false);
        }

        Family(long vocabSize, LinearBias bias, long headDim, boolean qkNorm) {
            this(vocabSize, bias, headDim, qkNorm, NormKind.RMS, MlpKind.SWIGLU, false);
        }

        Family(long vocabSize, LinearBias bias, NormKind norm, MlpKind mlp, boolean learnedPositions) {
            this(vocabSize, bias, Architecture.HEAD_DIM_FROM_WIDTH, false, norm, mlp, learnedPositions);
        }

        Family(long vocabSize, LinearBias bias, long headDim, boolean qkNorm, NormKind norm, MlpKind mlp,
                boolean learnedPositions) {
            this(vocabSize, bias, headDim, qkNorm, norm, mlp, learnedPositions, Architecture.NO_WINDOW);
        }

        Family(long vocabSize, LinearBias bias, long headDim, boolean qkNorm, NormKind norm, MlpKind mlp,
                boolean learnedPositions, long slidingWindow) {
            this(vocabSize, bias, headDim, qkNorm, norm, mlp, learnedPositions, slidingWindow, NormPlacement.PRE,
                    qkNorm ? QkNorm.HEAD : QkNorm.NONE);
        }

        Family(long vocabSize, LinearBias bias, long headDim, boolean qkNorm, NormKind norm, MlpKind mlp,
                boolean learnedPositions, long slidingWindow, NormPlacement placement, QkNorm qkNormScope) {
            this.slidingWindow = slidingWindow;
            this.placement = placement;
            this.qkNormScope = qkNormScope;
            this.vocabSize = vocabSize;
            this.bias = bias;
            this.headDim = headDim;
            this.qkNorm = qkNorm;
            this.norm = norm;
            this.mlp = mlp;
            this.learnedPositions = learnedPositions;
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
                new Architecture(kvHeads, tiedEmbeddings, family.bias, family.headDim, family.qkNorm,
                        family.slidingWindow, family.norm, family.learnedPositions ? contextLength
                                : Architecture.NO_POSITIONS, family.mlp).withNorms(family.placement,
                                        family.qkNormScope));
    }

    /** The preset called {@code name} on the command line, or a one-line error listing the names. */
    public static Preset byName(String name) {
        return Names.byName(values(), Preset::cliName, "preset", name);
    }

    public static String names() {
        return Names.list(values(), Preset::cliName);
    }
}
