package flopcast.analytic;

import java.util.List;

/**
 * The model and batch a prediction is for. Symbols as in the package documentation.
 *
 * @param vocabSize     V
 * @param contextLength T
 * @param layers        L
 * @param dModel        d
 * @param heads         h, which must divide d unless the architecture gives d_k
 * @param dFf           d_ff
 * @param batchSize     B
 * @param architecture  the key and value heads h_kv (which must divide h) and tying
 *                      ({@link Architecture#seed}: the seed's)
 * @param settings      precision policy, attention kernel and recomputation ({@link Settings#DEFAULT}: the seed's)
 */
public record Shape(long vocabSize, long contextLength, long layers, long dModel, long heads, long dFf,
        long batchSize, Architecture architecture, Settings settings) {

    /** The JSON key of {@link Architecture#kvHeads()} in a {@code settings} object, and the HF config's name for it. */
    public static final String KV_HEADS_KEY = "kv_heads";
    /** The JSON key of {@link #headDim()} in a {@code settings} object, and the HF config's name for it. */
    public static final String HEAD_DIM_KEY = "head_dim";
    /** The JSON key of {@link Architecture#slidingWindow()} in a {@code settings} object, and the HF config's name. */
    public static final String SLIDING_WINDOW_KEY = "sliding_window";
    /** The JSON key of {@link Architecture#positions()} in a {@code settings} object. */
    public static final String POSITIONS_KEY = "positions";
    /** The JSON key of {@link Architecture#qkNorm()} in a {@code settings} object. */
    public static final String QK_NORM_KEY = "qk_norm";
    /** The JSON key of {@link Architecture#tiedEmbeddings()} in a {@code settings} object. */
    public static final String TIE_EMBEDDINGS_KEY = "tie_embeddings";
    /** The JSON key of {@link #policy()} in a {@code settings} object. */
    public static final String PRECISION_POLICY_KEY = "precision_policy";
    /** The JSON key of the attention kernel in a {@code settings} object. */
    public static final String ATTENTION_KEY = "attention";
    /** The JSON key of the recomputation mode in a {@code settings} object. */
    public static final String RECOMPUTE_KEY = "recompute";

    /**
     * Every number positive, by {@link ShapeKey}'s rule and named by its key; h divides d unless the
     * architecture gives d_k (a d_k of d / h given is stored as {@link Architecture#HEAD_DIM_FROM_WIDTH});
     * h_kv divides h.
     */
    public Shape(long vocabSize, long contextLength, long layers, long dModel, long heads, long dFf, long batchSize,
            Architecture architecture, Settings settings) {
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
        this.layers = layers;
        this.dModel = dModel;
        this.heads = heads;
        this.dFf = dFf;
        this.batchSize = batchSize;
        java.util.Objects.requireNonNull(architecture, "architecture");
        this.architecture = heads > 0 && architecture.headDim() != Architecture.HEAD_DIM_FROM_WIDTH
                && dModel % heads == 0 && architecture.headDim() == dModel / heads
                ? architecture.withHeadDim(Architecture.HEAD_DIM_FROM_WIDTH) : architecture;
        this.settings = java.util.Objects.requireNonNull(settings, "settings");
        for (ShapeKey key : ShapeKey.values()) {
            key.requirePositive(key.of(this), key.key());
        }
        if (this.architecture.headDim() == Architecture.HEAD_DIM_FROM_WIDTH && dModel % heads != 0) {
            throw new InvalidInputException(ShapeKey.D_MODEL.key() + " " + dModel + " is not divisible by "
                    + ShapeKey.NUM_HEADS.key() + " " + heads + ": heads must divide the model width (d_k = "
                    + ShapeKey.D_MODEL.key() + " / " + ShapeKey.NUM_HEADS.key() + "), unless " + HEAD_DIM_KEY
                    + " gives d_k");
        }
        requireKvHeads(architecture.kvHeads(), heads, KV_HEADS_KEY, ShapeKey.NUM_HEADS.key());
        long positionRows = this.architecture.positions();
        if (positionRows != Architecture.NO_POSITIONS && contextLength > positionRows) {
            throw new InvalidInputException(ShapeKey.CONTEXT_LENGTH.key() + " " + contextLength + " is longer than the "
                    + positionRows + " learned " + POSITIONS_KEY + ": a position past the table has no embedding"
                    + " (allowed: a context of at most " + positionRows + ")");
        }
        settings.lora().requireFits(this);
        boolean embeddings = settings.frozen().contains(FrozenKind.EMBEDDINGS);
        if (this.architecture.tiedEmbeddings() && embeddings != settings.frozen().contains(FrozenKind.HEAD)) {
            throw new InvalidInputException("--freeze " + Settings.frozenNames(settings.frozen())
                    + ": a tied LM head is the token embedding, one matrix (allowed: freeze both embeddings and"
                    + " head, or neither)");
        }
        this.architecture.experts().dense().requireWithin(layers);
        FrozenLayers range = settings.frozenLayers();
        range.requireWithin(layers);
        if (range.active() && this.architecture.placement() == NormPlacement.POST) {
            throw new InvalidInputException(FrozenLayers.OPTION + " " + range.text() + " under "
                    + NormPlacement.KEY + "=" + NormPlacement.POST.cliName() + ": with no norm before a sublayer what"
                    + " a block keeps of the residual stream depends on its neighbours' training, which flopcast"
                    + " does not model by block (allowed: pre or sandwich norms, or --freeze by kind)");
        }
        if (this.architecture.experts().dense().active() && this.architecture.placement() == NormPlacement.POST
                && settings.freezes()) {
            throw new InvalidInputException(DenseLayers.OPTION + " " + this.architecture.experts().dense().text()
                    + " under " + NormPlacement.KEY + "=" + NormPlacement.POST.cliName() + " with a frozen model: what a"
                    + " block keeps of the residual stream there depends on its neighbours, which flopcast does not"
                    + " model by block (allowed: pre or sandwich norms, or train every parameter)");
        }
        if (range.coversAll(layers) && settings.frozen().containsAll(
                java.util.EnumSet.of(FrozenKind.EMBEDDINGS, FrozenKind.HEAD, FrozenKind.NORMS))) {
            throw new InvalidInputException(FrozenLayers.OPTION + " " + range.text() + " with --freeze "
                    + Settings.frozenNames(settings.frozen()) + " leaves nothing to train (allowed: a range that"
                    + " leaves a block training, or fewer frozen kinds)");
        }
    }

    /**
     * The blocks outside a {@code --freeze-layers} range, as a model of L such blocks: these settings with no
     * block frozen by range ({@link FrozenLayers}). Per-block quantities of this view are L times a training
     * block's ({@link #perBlock}).
     */
    private Shape trainedBlocks() {
        return withSettings(settings.withFrozenLayers(FrozenLayers.NONE));
    }

    /**
     * The blocks inside a {@code --freeze-layers} range, as a model of L such blocks: every block frozen by
     * range, and no kind frozen, which only the rows outside the blocks would read ({@link #perBlock}).
     */
    private Shape frozenBlocks() {
        return withSettings(settings.withFrozen(java.util.EnumSet.noneOf(FrozenKind.class))
                .withFrozenLayers(FrozenLayers.all(layers)));
    }

    /**
     * True where the blocks differ: a {@code --freeze-layers} range that leaves some blocks training, or
     * layers that stay dense among experts ({@link DenseLayers}). Per-block figures are then summed over the
     * kinds of block ({@link #perBlock}).
     */
    public boolean mixedBlocks() {
        return partlyFrozen() || architecture.experts().dense().active();
    }

    /** True where a {@code --freeze-layers} range freezes some blocks and leaves others training. */
    private boolean partlyFrozen() {
        FrozenLayers range = settings.frozenLayers();
        return range.active() && !range.coversAll(layers);
    }

    /**
     * The shape block {@code block} is evaluated at, as a model of L blocks like it: this shape where every
     * block is alike; else the dense model at the dense layers' width for a dense layer, the experts with no
     * dense layers for a sparse one, each training as the blocks outside a frozen range do
     * ({@link #trainedBlocks()}) or as those inside it ({@link #frozenBlocks()}).
     */
    public Shape block(long block) {
        if (!mixedBlocks()) {
            return this;
        }
        return view(architecture.experts().dense().contains(block), settings.frozenLayers().covers(block));
    }

    private Shape view(boolean dense, boolean frozen) {
        Shape view = this;
        Experts experts = architecture.experts();
        if (experts.dense().active()) {
            view = dense ? new Shape(vocabSize, contextLength, layers, dModel, heads, experts.dense().ffn(), batchSize,
                    architecture.withExperts(Experts.NONE), settings)
                    : withArchitecture(architecture.withExperts(experts.withDense(DenseLayers.NONE)));
        }
        if (partlyFrozen()) {
            view = frozen ? view.frozenBlocks() : view.trainedBlocks();
        }
        return view;
    }

    /** One kind of block the model holds: its view ({@link #block}) and how many blocks are of it. */
    private record BlockKind(Shape view, long count) {
    }

    /**
     * Each kind of block the model holds, with how many (the dense layers' and the frozen range's blocks
     * counted together where they overlap); this shape alone, L of it, where every block is alike (whose
     * totals the callers take as they are, never multiplied by L and divided again).
     */
    private List<BlockKind> blockKinds() {
        if (!mixedBlocks()) {
            return List.of(new BlockKind(this, layers));
        }
        // counted from the dense layers and the range, not block by block: L may be large
        FrozenLayers range = partlyFrozen() ? settings.frozenLayers() : FrozenLayers.NONE;
        List<Long> denseLayers = architecture.experts().dense().layers();
        long denseFrozen = denseLayers.stream().filter(range::covers).count();
        long[][] counts = new long[2][2];
        counts[1][1] = denseFrozen;
        counts[1][0] = denseLayers.size() - denseFrozen;
        counts[0][1] = range.count() - denseFrozen;
        counts[0][0] = layers - denseLayers.size() - counts[0][1];
        List<BlockKind> kinds = new java.util.ArrayList<>();
        for (int dense = 0; dense < 2; dense++) {
            for (int frozen = 0; frozen < 2; frozen++) {
                if (counts[dense][frozen] > 0) {
                    kinds.add(new BlockKind(view(dense == 1, frozen == 1), counts[dense][frozen]));
                }
            }
        }
        return kinds;
    }

    /**
     * A per-block total: {@code total} of this shape where every block is alike, else each kind of block's
     * share of {@code total} at its view ({@link #block}). {@code total} must be L times one block's at any
     * view (a sum over per-layer rows), so the division is exact.
     */
    public long perBlock(java.util.function.ToLongFunction<Shape> total) {
        if (!mixedBlocks()) {
            return total.applyAsLong(this);
        }
        long sum = 0;
        for (BlockKind kind : blockKinds()) {
            // a view's total is L of its blocks: one block's, exactly, times the kind's count
            sum = Math.addExact(sum, Math.multiplyExact(total.applyAsLong(kind.view()) / layers, kind.count()));
        }
        return sum;
    }

    /** {@link #perBlock(java.util.function.ToLongFunction)} for a FLOP count. */
    public java.math.BigInteger perBlockFlops(java.util.function.Function<Shape, java.math.BigInteger> total) {
        if (!mixedBlocks()) {
            return total.apply(this);
        }
        java.math.BigInteger sum = java.math.BigInteger.ZERO;
        for (BlockKind kind : blockKinds()) {
            sum = sum.add(total.apply(kind.view()).divide(java.math.BigInteger.valueOf(layers))
                    .multiply(java.math.BigInteger.valueOf(kind.count())));
        }
        return sum;
    }

    /**
     * The largest of {@code value} over the kinds of block the model holds: one buffer every block shares
     * (a workspace row, full recomputation's block of buffers) is sized for the block that needs most.
     */
    public long maxOverBlocks(java.util.function.ToLongFunction<Shape> value) {
        long max = Long.MIN_VALUE;
        for (BlockKind kind : blockKinds()) {
            max = Math.max(max, value.applyAsLong(kind.view()));
        }
        return max;
    }

    /** A block that trains, or, where every block is frozen, this shape: the component table's per-instance figures. */
    public Shape trainingBlock() {
        return mixedBlocks() ? block(trainingBlockIndex()) : this;
    }

    /**
     * The block {@link #trainingBlock()} views: the first sparse block that trains, else the first sparse one,
     * else the first that trains, else block 0.
     */
    public long trainingBlockIndex() {
        // the first of: a sparse block that trains, a sparse one, a block that trains, any
        boolean partly = partlyFrozen();
        FrozenLayers range = settings.frozenLayers();
        DenseLayers dense = architecture.experts().dense();
        long sparseTraining = -1;
        long sparse = -1;
        long training = -1;
        for (long block = 0; block < layers && sparseTraining < 0; block++) {
            boolean trains = !partly || !range.covers(block);
            boolean isSparse = !dense.contains(block);
            if (trains && isSparse) {
                sparseTraining = block;
            } else if (isSparse && sparse < 0) {
                sparse = block;
            } else if (trains && training < 0) {
                training = block;
            }
        }
        return sparseTraining >= 0 ? sparseTraining : sparse >= 0 ? sparse : training >= 0 ? training : 0;
    }

    /**
     * The keys a query attends to, itself included, at most: the sliding window where it is shorter
     * than the context, else the context (every earlier key). Both kernels mask the rest of the T x T
     * square, which they still compute (eager keeps it; flash, tile by tile, does not).
     */
    public long attentionSpan() {
        long window = architecture.slidingWindow();
        return window == Architecture.NO_WINDOW ? contextLength : Math.min(window, contextLength);
    }

    /** The same shape with no sliding window: its global layers' attention under a window pattern. */
    public Shape unwindowed() {
        return withArchitecture(architecture.withWindow(Architecture.NO_WINDOW, Architecture.WINDOW_EVERY_LAYER));
    }

    /** Multi-head attention (h_kv = h), the LM head its own parameter: the seed's model. */
    public Shape(long vocabSize, long contextLength, long layers, long dModel, long heads, long dFf, long batchSize) {
        this(vocabSize, contextLength, layers, dModel, heads, dFf, batchSize, Architecture.seed(heads));
    }

    /** The seed's settings: fp32, eager attention, nothing recomputed. */
    public Shape(long vocabSize, long contextLength, long layers, long dModel, long heads, long dFf, long batchSize,
            Architecture architecture) {
        this(vocabSize, contextLength, layers, dModel, heads, dFf, batchSize, architecture, Settings.DEFAULT);
    }

    /**
     * {@code kvHeads}, or a one-line error naming it as {@code name} (and h as {@code headsName}):
     * between 1 and h, and a divisor of h, so that every key and value head serves h / h_kv query heads.
     */
    public static long requireKvHeads(long kvHeads, long heads, String name, String headsName) {
        if (kvHeads < 1 || kvHeads > heads || heads % kvHeads != 0) {
            throw new InvalidInputException(name + " " + kvHeads + " must divide " + headsName + " " + heads
                    + " (1 <= h_kv <= h, h a multiple of h_kv): each key and value head serves h / h_kv query heads");
        }
        return kvHeads;
    }

    /** d_k: the architecture's where it gives one, else d / h. */
    public long headDim() {
        return architecture.headDim() == Architecture.HEAD_DIM_FROM_WIDTH ? dModel / heads : architecture.headDim();
    }

    /** h * d_k: the width of Q and of the attention output (d where d_k = d / h). */
    public long queryWidth() {
        return Math.multiplyExact(heads, headDim());
    }

    /** h_kv * d_k: the width of K and V. */
    public long kvWidth() {
        return Math.multiplyExact(architecture.kvHeads(), headDim());
    }

    /** h / h_kv: the query heads that share one key and value head. */
    public long queriesPerKvHead() {
        return heads / architecture.kvHeads();
    }

    /** True for the seed's attention and head: h_kv = h and an untied LM head. */
    public boolean seedArchitecture() {
        return architecture.equals(Architecture.seed(heads));
    }

    /** The same sizes as another architecture (h_kv checked against h). */
    public Shape withArchitecture(Architecture newArchitecture) {
        return new Shape(vocabSize, contextLength, layers, dModel, heads, dFf, batchSize, newArchitecture, settings);
    }

    /** The same model trained under {@code newSettings}. */
    public Shape withSettings(Settings newSettings) {
        return new Shape(vocabSize, contextLength, layers, dModel, heads, dFf, batchSize, architecture, newSettings);
    }

    /** The same model stored under {@code newPolicy}, the other settings kept. */
    public Shape withPolicy(PrecisionPolicy newPolicy) {
        return withSettings(settings.withPolicy(newPolicy));
    }

    public PrecisionPolicy policy() {
        return settings.policy();
    }

    public AttentionKernel attention() {
        return settings.attention();
    }

    public Recompute recompute() {
        return settings.recompute();
    }

    /** N = B * T. */
    public long tokens() {
        return Math.multiplyExact(batchSize, contextLength);
    }

    /** N*k: the rows the MLP runs, one per token and expert it is routed to (N for a dense MLP). */
    public long routedTokens() {
        return Math.multiplyExact(tokens(), architecture.experts().perToken());
    }

    /** The same model with another batch size. */
    public Shape withBatchSize(long newBatchSize) {
        return new Shape(vocabSize, contextLength, layers, dModel, heads, dFf, newBatchSize, architecture, settings);
    }

    /**
     * One line, symbols as in the package documentation, in {@link ShapeKey}'s order, then
     * {@code h_kv=} where it is not h, {@code tied} where the head is tied, {@code bias=} where a
     * projection has one, {@code d_k=} where it is not d / h, {@code qk_norm} where each head's queries and
     * keys are normalized ({@code qk_norm=projection} where each whole projection's are), {@code window=}
     * where a sliding window is declared ({@code window_pattern=k} where every k-th layer is global), {@code norm=layernorm} where the norms are LayerNorms,
     * {@code norm_placement=post} or {@code =sandwich} where the blocks' norms are not before each
     * sublayer, {@code attention_softcap=C} and {@code logit_softcap=C} where scores or logits are soft-capped,
     * {@code positions=P} where positions are learned, {@code mlp=gelu} for a two-matrix MLP,
     * {@code experts=E:k} for a mixture of experts ({@code dense_layers=LIST dense_ffn=N} where some layers stay
     * dense), and the settings
     * that are
     * not the default (a policy's name, a kernel's name such as {@code flash}, {@code recompute=MODE},
     * {@code freeze=KINDS}, {@code freeze_layers=FIRST-LAST}, {@code lora=R:TARGETS}, {@code lora_alpha=A} where it is not 8 and {@code nf4} for a
     * QLoRA base);
     * {@link ShapeKey#parse} reads it.
     */
    /** A value as describe writes it: an integral one without ".0". */
    static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : Double.toString(value);
    }

    public String describe() {
        StringBuilder text = new StringBuilder();
        for (ShapeKey key : ShapeKey.values()) {
            text.append(text.length() == 0 ? "" : " ").append(key.symbol()).append('=').append(key.of(this));
        }
        if (architecture.kvHeads() != heads) {
            text.append(' ').append(ShapeKey.KV_HEADS_SYMBOL).append('=').append(architecture.kvHeads());
        }
        if (architecture.tiedEmbeddings()) {
            text.append(' ').append(ShapeKey.TIED_WORD);
        }
        if (architecture.bias() != LinearBias.NONE) {
            text.append(' ').append(LinearBias.KEY).append('=').append(architecture.bias().cliName());
        }
        if (architecture.headDim() != Architecture.HEAD_DIM_FROM_WIDTH) {
            text.append(' ').append(ShapeKey.HEAD_DIM_SYMBOL).append('=').append(architecture.headDim());
        }
        if (architecture.qkNorm() == QkNorm.HEAD) {
            text.append(' ').append(ShapeKey.QK_NORM_WORD);
        } else if (architecture.qkNorm() == QkNorm.PROJECTION) {
            text.append(' ').append(ShapeKey.QK_NORM_WORD).append('=').append(QkNorm.PROJECTION.cliName());
        }
        if (architecture.slidingWindow() != Architecture.NO_WINDOW) {
            text.append(' ').append(ShapeKey.WINDOW_SYMBOL).append('=').append(architecture.slidingWindow());
        }
        if (architecture.windowPattern() != Architecture.WINDOW_EVERY_LAYER) {
            text.append(' ').append(Architecture.WINDOW_PATTERN_KEY).append('=').append(architecture.windowPattern());
        }
        if (architecture.norm() != NormKind.RMS) {
            text.append(' ').append(NormKind.KEY).append('=').append(architecture.norm().cliName());
        }
        if (architecture.placement() != NormPlacement.PRE) {
            text.append(' ').append(NormPlacement.KEY).append('=').append(architecture.placement().cliName());
        }
        SoftCap caps = architecture.softCap();
        if (caps.capsAttention()) {
            text.append(' ').append(SoftCap.ATTENTION_KEY).append('=').append(number(caps.attention()));
        }
        if (caps.capsLogits()) {
            text.append(' ').append(SoftCap.LOGITS_KEY).append('=').append(number(caps.logits()));
        }
        if (architecture.positions() != Architecture.NO_POSITIONS) {
            text.append(' ').append(POSITIONS_KEY).append('=').append(architecture.positions());
        }
        if (architecture.mlp() != MlpKind.SWIGLU) {
            text.append(' ').append(MlpKind.KEY).append('=').append(architecture.mlp().cliName());
        }
        Experts experts = architecture.experts();
        if (experts.active()) {
            text.append(' ').append(Experts.KEY).append('=').append(experts.count()).append(':').append(experts.topK());
            if (!experts.normalized()) {
                text.append(' ').append(ShapeKey.GATES_KEY).append('=').append(Experts.UNNORMALIZED);
            }
            if (experts.shared()) {
                text.append(' ').append(ShapeKey.SHARED_EXPERT_KEY).append('=').append(experts.sharedFfn());
            }
            if (experts.dense().active()) {
                text.append(' ').append(DenseLayers.KEY).append('=').append(experts.dense().text()).append(' ')
                        .append(DenseLayers.FFN_KEY).append('=').append(experts.dense().ffn());
            }
        }
        if (policy() != Settings.DEFAULT.policy()) {
            text.append(' ').append(policy().cliName());
        }
        if (attention() != Settings.DEFAULT.attention()) {
            text.append(' ').append(attention().cliName());
        }
        if (recompute() != Settings.DEFAULT.recompute()) {
            text.append(' ').append(ShapeKey.RECOMPUTE_SYMBOL).append('=').append(recompute().cliName());
        }
        if (!settings.frozen().isEmpty()) {
            text.append(' ').append(FrozenKind.KEY).append('=').append(Settings.frozenNames(settings.frozen()));
        }
        if (settings.frozenLayers().active()) {
            text.append(' ').append(FrozenLayers.KEY).append('=').append(settings.frozenLayers().text());
        }
        Lora lora = settings.lora();
        if (lora.active()) {
            text.append(' ').append(Lora.KEY).append('=').append(lora.rank()).append(':').append(lora.targetNames());
            if (lora.alpha() != Lora.DEFAULT_ALPHA) {
                text.append(' ').append(ShapeKey.LORA_ALPHA_SYMBOL).append('=').append(lora.alpha());
            }
            if (lora.nf4Base()) {
                text.append(' ').append(Lora.NF4);
            }
        }
        return text.toString();
    }

}
