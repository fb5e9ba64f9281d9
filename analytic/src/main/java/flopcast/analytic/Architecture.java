package flopcast.analytic;

/**
 * What kind of transformer a {@link Shape} describes, beside its sizes and its training
 * {@link Settings}: one record that the tables read. It holds the attention's key and value heads,
 * whether the LM head is tied to the token embedding, which projections add a bias, the head
 * dimension, whether queries and keys are normalized, the sliding window, the norm, learned positions
 * the MLP kind and its experts, so that a new architecture is a value
 * of this record and the rows its fields select, not a branch in each accounting.
 * <ul>
 * <li>{@code kvHeads} h_kv: K and V are B*T*h_kv*d_k ({@link Dim#D_KV}), their weights d x h_kv*d_k;
 * <li>{@code tiedEmbeddings}: the LM head row ({@link Scope#ONCE_UNLESS_TIED}) is not a parameter of
 * its own;
 * <li>{@code bias}: the bias rows of {@link ParameterTensor} that exist ({@link LinearBias});
 * <li>{@code headDim} d_k, where it is not d / h (Gemma's and Qwen3's 128 or 256 beside their
 * widths; Mistral NeMo's 128 at d = 5120 and h = 32): Q and the attention output are B*T*h*d_k
 * ({@link Dim#D_Q}), the query weight d x h*d_k and the output projection's h*d_k x d, and d need not
 * be a multiple of h. {@value #HEAD_DIM_FROM_WIDTH} means d / h, and {@link Shape} stores d / h given
 * explicitly as {@value #HEAD_DIM_FROM_WIDTH}, so that one model has one value;
 * <li>{@code qkNorm}: QK-norm ({@link QkNorm}), an RMSNorm over each head's d_k query and key values
 * after their projections (Qwen3), one d_k gain for all query heads and one for all key heads, or over
 * each whole projection (OLMo 2), an h*d_k and an h_kv*d_k gain
 * ({@link ParameterTensor#QUERY_NORM_GAIN}, {@link ParameterTensor#KEY_NORM_GAIN}); it keeps the
 * projections' outputs and a reciprocal RMS per normalized row for its backward pass
 * ({@link KeptActivation#QUERY_PRE_NORM} and the rows after it);
 * <li>{@code slidingWindow} w (Mistral 7B v0.1's 4096, Phi-3 mini's 2047; {@value #NO_WINDOW}: none):
 * each query attends to at most the w latest keys, itself included. Where the context is at most w,
 * that is every earlier key, so every count is the one without a window; at a longer context both
 * kernels mask the keys before the window in the T x T square they still compute (only the softmax's
 * elementwise FLOPs change, {@link Shape#attentionSpan()});
 * <li>{@code norm}: RMSNorm or LayerNorm with a bias ({@link NormKind}), the blocks' and the final one;
 * <li>{@code placement}: the blocks' norms before each sublayer, after it, or both ({@link NormPlacement});
 * <li>{@code softCap}: c * tanh(x / c) on the attention scores and on the logits ({@link SoftCap});
 * <li>{@code windowPattern} k: the sliding window on the local layers only, every k-th layer global, with
 * full attention (layer i global where (i + 1) % k == 0: Gemma 2's k = 2, its odd layers; Gemma 3's 6);
 * {@value #WINDOW_EVERY_LAYER}: the window, if any, on every layer;
 * <li>{@code positions} P: learned position embeddings (GPT-2's 1024), a P x d table whose
 * row t is added to every token at position t ({@link ParameterTensor#POSITION_EMBEDDING_WEIGHT});
 * {@value #NO_POSITIONS}: none (rotary positions, which have no parameters). {@link Shape} refuses a
 * context longer than P;
 * <li>{@code mlp}: SwiGLU's three matrices or GELU's two ({@link MlpKind});
 * <li>{@code experts}: E experts of that MLP and a router sending each token to k of them
 * ({@link Experts}; {@link Experts#NONE}: one dense MLP a block).
 * </ul>
 * In JSON they sit in a prediction's {@code settings} object as {@value Shape#KV_HEADS_KEY},
 * {@value Shape#TIE_EMBEDDINGS_KEY}, {@value LinearBias#KEY}, {@value Shape#HEAD_DIM_KEY} (d_k,
 * d / h included), {@value Shape#QK_NORM_KEY}, {@value Shape#SLIDING_WINDOW_KEY} (null for none),
 * {@value NormKind#KEY}, {@value Shape#POSITIONS_KEY} (null for none), {@value MlpKind#KEY},
 * {@value Experts#KEY} (null for a dense MLP), {@value NormPlacement#KEY}, {@value SoftCap#ATTENTION_KEY} and
 * {@value SoftCap#LOGITS_KEY} (null for none), {@value #WINDOW_PATTERN_KEY} (null for none).
 * <p>Source: Llama 3 (grouped-query attention, 8 key and value heads); Hugging Face config
 * ({@code num_key_value_heads}, {@code tie_word_embeddings}).
 * Pinned by {@code SettingTablesTest} (each value through the accounting) and {@code ShapeTest}.
 *
 * @param kvHeads        h_kv, the key and value heads (grouped-query attention); h for multi-head
 *                       attention. {@link Shape} requires it to divide h.
 * @param tiedEmbeddings true when the LM head is the token embedding's transpose (one V x d parameter)
 * @param bias           which projections add a bias
 * @param headDim        d_k, or {@value #HEAD_DIM_FROM_WIDTH} for d / h
 * @param qkNorm         whether queries and keys are RMS-normalized, per head or per projection
 * @param slidingWindow  w, the most keys a query attends to, or {@value #NO_WINDOW} for none
 * @param norm           the blocks' and the final norm
 * @param positions      P, the rows of a learned position table, or {@value #NO_POSITIONS} for none
 * @param mlp            the blocks' MLP (each expert's, under experts)
 * @param experts        the blocks' experts, {@link Experts#NONE} for a dense MLP
 * @param placement      the blocks' norms before or after each sublayer, or both
 * @param softCap        the attention scores' and the logits' soft-caps, {@link SoftCap#OFF} for none
 * @param windowPattern  k, every k-th layer global beside the windowed ones, or {@value #WINDOW_EVERY_LAYER}
 */
public record Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias, long headDim, QkNorm qkNorm,
        long slidingWindow, NormKind norm, long positions, MlpKind mlp, Experts experts, NormPlacement placement,
        SoftCap softCap, long windowPattern) {

    /** The {@code windowPattern} that means the window, if any, on every layer. */
    public static final long WINDOW_EVERY_LAYER = 0;
    /** The JSON key and describe token of {@code windowPattern}. */
    public static final String WINDOW_PATTERN_KEY = "window_pattern";

    /** The {@code headDim} that means d / h. */
    public static final long HEAD_DIM_FROM_WIDTH = 0;
    /** The {@code slidingWindow} that means none: every earlier key. */
    public static final long NO_WINDOW = 0;
    /** The {@code positions} that means no learned position table. */
    public static final long NO_POSITIONS = 0;

    public Architecture {
        java.util.Objects.requireNonNull(bias, "bias");
        java.util.Objects.requireNonNull(norm, "norm");
        java.util.Objects.requireNonNull(mlp, "mlp");
        java.util.Objects.requireNonNull(experts, "experts");
        java.util.Objects.requireNonNull(qkNorm, "qkNorm");
        java.util.Objects.requireNonNull(placement, "placement");
        java.util.Objects.requireNonNull(softCap, "softCap");
        if (windowPattern != WINDOW_EVERY_LAYER && (windowPattern < 2 || slidingWindow == NO_WINDOW)) {
            throw new InvalidInputException(WINDOW_PATTERN_KEY + " " + windowPattern + (windowPattern < 2
                    ? " must be at least 2 (every k-th layer global; none for the window on every layer)"
                    : " needs a sliding window (allowed: give " + Shape.SLIDING_WINDOW_KEY + ", or no pattern)"));
        }
        if (placement.after() && norm != NormKind.RMS) {
            throw new InvalidInputException(NormPlacement.KEY + " " + placement.cliName() + " with " + NormKind.KEY
                    + " " + norm.cliName() + ": a norm after a sublayer is modelled as an RMSNorm only (allowed: "
                    + NormKind.KEY + " " + NormKind.RMS.cliName() + ", or " + NormPlacement.KEY + " "
                    + NormPlacement.PRE.cliName() + ")");
        }
        if (experts.active() && bias.biases(Component.FFN_W1)) {
            throw new InvalidInputException(LinearBias.KEY + " " + bias.cliName() + " with experts: biased experts"
                    + " are not modelled (allowed: " + LinearBias.KEY + " none or qkv)");
        }
        if (headDim < 0) {
            throw new InvalidInputException(Shape.HEAD_DIM_KEY + " " + headDim + " must be a positive integer");
        }
        if (positions < 0) {
            throw new InvalidInputException(Shape.POSITIONS_KEY + " " + positions + " must be a positive integer");
        }
        if (slidingWindow < 0) {
            throw new InvalidInputException(Shape.SLIDING_WINDOW_KEY + " " + slidingWindow
                    + " must be a positive integer");
        }
    }

    /** No soft-caps. */
    public Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias, long headDim, QkNorm qkNorm,
            long slidingWindow, NormKind norm, long positions, MlpKind mlp, Experts experts, NormPlacement placement) {
        this(kvHeads, tiedEmbeddings, bias, headDim, qkNorm, slidingWindow, norm, positions, mlp, experts, placement,
                SoftCap.OFF, WINDOW_EVERY_LAYER);
    }

    /** The window, if any, on every layer. */
    public Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias, long headDim, QkNorm qkNorm,
            long slidingWindow, NormKind norm, long positions, MlpKind mlp, Experts experts, NormPlacement placement,
            SoftCap softCap) {
        this(kvHeads, tiedEmbeddings, bias, headDim, qkNorm, slidingWindow, norm, positions, mlp, experts, placement,
                softCap, WINDOW_EVERY_LAYER);
    }

    /** Norms before each sublayer, QK-norm per head where {@code qkNorm}. */
    public Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias, long headDim, boolean qkNorm,
            long slidingWindow, NormKind norm, long positions, MlpKind mlp, Experts experts) {
        this(kvHeads, tiedEmbeddings, bias, headDim, qkNorm ? QkNorm.HEAD : QkNorm.NONE, slidingWindow, norm,
                positions, mlp, experts, NormPlacement.PRE, SoftCap.OFF, WINDOW_EVERY_LAYER);
    }

    /** A dense MLP. */
    public Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias, long headDim, boolean qkNorm,
            long slidingWindow, NormKind norm, long positions, MlpKind mlp) {
        this(kvHeads, tiedEmbeddings, bias, headDim, qkNorm, slidingWindow, norm, positions, mlp, Experts.NONE);
    }

    /** No sliding window. */
    public Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias, long headDim, boolean qkNorm) {
        this(kvHeads, tiedEmbeddings, bias, headDim, qkNorm, NO_WINDOW);
    }

    /** RMSNorm. */
    public Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias, long headDim, boolean qkNorm,
            long slidingWindow) {
        this(kvHeads, tiedEmbeddings, bias, headDim, qkNorm, slidingWindow, NormKind.RMS);
    }

    /** No learned positions. */
    public Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias, long headDim, boolean qkNorm,
            long slidingWindow, NormKind norm) {
        this(kvHeads, tiedEmbeddings, bias, headDim, qkNorm, slidingWindow, norm, NO_POSITIONS);
    }

    /** SwiGLU. */
    public Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias, long headDim, boolean qkNorm,
            long slidingWindow, NormKind norm, long positions) {
        this(kvHeads, tiedEmbeddings, bias, headDim, qkNorm, slidingWindow, norm, positions, MlpKind.SWIGLU);
    }

    /** No biases, d_k = d / h, as the seed's and Llama's layout. */
    public Architecture(long kvHeads, boolean tiedEmbeddings) {
        this(kvHeads, tiedEmbeddings, LinearBias.NONE);
    }

    /** d_k = d / h. */
    public Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias) {
        this(kvHeads, tiedEmbeddings, bias, HEAD_DIM_FROM_WIDTH);
    }

    /** No QK-norm. */
    public Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias, long headDim) {
        this(kvHeads, tiedEmbeddings, bias, headDim, false);
    }

    /** The same architecture with d_k = {@code newHeadDim} ({@value #HEAD_DIM_FROM_WIDTH}: d / h). */
    public Architecture withHeadDim(long newHeadDim) {
        return new Architecture(kvHeads, tiedEmbeddings, bias, newHeadDim, qkNorm, slidingWindow, norm, positions,
                mlp, experts, placement, softCap, windowPattern);
    }

    /** The same architecture with {@code newExperts} in place of its MLP ({@link Experts#NONE}: dense). */
    public Architecture withExperts(Experts newExperts) {
        return new Architecture(kvHeads, tiedEmbeddings, bias, headDim, qkNorm, slidingWindow, norm, positions,
                mlp, newExperts, placement, softCap, windowPattern);
    }

    /** The same architecture with its norms at {@code newPlacement} and QK-norm {@code newQkNorm}. */
    public Architecture withNorms(NormPlacement newPlacement, QkNorm newQkNorm) {
        return new Architecture(kvHeads, tiedEmbeddings, bias, headDim, newQkNorm, slidingWindow, norm, positions,
                mlp, experts, newPlacement, softCap, windowPattern);
    }

    /** The same architecture with the soft-caps {@code newSoftCap} ({@link SoftCap#OFF}: none). */
    public Architecture withSoftCap(SoftCap newSoftCap) {
        return new Architecture(kvHeads, tiedEmbeddings, bias, headDim, qkNorm, slidingWindow, norm, positions,
                mlp, experts, placement, newSoftCap, windowPattern);
    }

    /**
     * The same architecture with a window of {@code window} keys on the local layers, every
     * {@code pattern}-th layer global ({@value #WINDOW_EVERY_LAYER}: the window on every layer;
     * {@value #NO_WINDOW} window: none).
     */
    public Architecture withWindow(long window, long pattern) {
        return new Architecture(kvHeads, tiedEmbeddings, bias, headDim, qkNorm, window, norm, positions, mlp,
                experts, placement, softCap, pattern);
    }

    /** The layers whose attention is global (full) beside windowed ones: every k-th of {@code layers}; 0 without a pattern. */
    public long globalLayers(long layers) {
        return windowPattern == WINDOW_EVERY_LAYER ? 0 : layers / windowPattern;
    }

    /** Whether layer {@code layer} (from 0) attends globally under the pattern: (layer + 1) % k == 0. */
    public boolean globalLayer(long layer) {
        return windowPattern != WINDOW_EVERY_LAYER && (layer + 1) % windowPattern == 0;
    }

    /** The seed's: multi-head attention over {@code heads} heads (h_kv = h), the LM head its own parameter. */
    public static Architecture seed(long heads) {
        return new Architecture(heads, false);
    }
}
