package flopcast.analytic;

import java.util.function.ToLongFunction;

/** One axis of a tensor, named by its symbol (package documentation): a {@link ShapeKey}'s, or d_k = d / h, or h_kv*d_k. */
public enum Dim {
    B(ShapeKey.BATCH_SIZE),
    T(ShapeKey.CONTEXT_LENGTH),
    D(ShapeKey.D_MODEL),
    H(ShapeKey.NUM_HEADS),
    /** The key and value heads. */
    H_KV("h_kv", shape -> shape.architecture().kvHeads()),
    D_K("d_k", Shape::headDim),
    /** The width of Q and the attention output: d where d_k = d / h. */
    D_Q("h*d_k", Shape::queryWidth),
    /** The width of K and V: d under multi-head attention, fewer under grouped-query attention. */
    D_KV("h_kv*d_k", Shape::kvWidth),
    /** QK-norm's query rows a token ({@link QkNorm}): h per head, where the tables write it; 1 over the projection. */
    QUERY_NORM_ROWS("h", shape -> shape.architecture().qkNorm().queryGroups(shape)),
    /** QK-norm's key rows a token: h_kv per head; 1 over the projection, where the tables do not write it. */
    KEY_NORM_ROWS("h_kv", shape -> shape.architecture().qkNorm().keyGroups(shape)),
    /** QK-norm's query row width, its gain's: d_k per head, h*d_k over the projection. */
    QUERY_NORM_WIDTH("d_k", shape -> shape.architecture().qkNorm().queryWidth(shape)),
    /** QK-norm's key row width: d_k per head, h_kv*d_k over the projection. */
    KEY_NORM_WIDTH("d_k", shape -> shape.architecture().qkNorm().keyWidth(shape)),
    /** A flash attention tile's side: min(T, 64) query or key positions. */
    TILE("t_b", shape -> Math.min(shape.contextLength(), Dim.FLASH_TILE)),
    D_FF(ShapeKey.D_FF),
    /** The rows of a learned position table. */
    P("P", shape -> shape.architecture().positions()),
    V(ShapeKey.VOCAB_SIZE),
    /**
     * The wider output or input of a block projection besides d: max(h*d_k, d_ff, E, d_sh), E the
     * router's and d_sh the shared expert's (0 without); an NF4 weight dequantized.
     */
    PROJECTION_WIDTH("max(h*d_k, d_ff, E, d_sh)", shape -> Math.max(Math.max(shape.queryWidth(), shape.dFf()),
            Math.max(shape.architecture().experts().count(), shape.architecture().experts().sharedFfn()))),
    /** The shared expert's width ({@link Experts#sharedFfn}): its MLP's hidden rows. */
    D_SH("d_sh", shape -> shape.architecture().experts().sharedFfn()),
    /** One: the shared expert's gate, a d x 1 projection to one logit a token. */
    UNIT("1", shape -> 1),
    /** The wider of a block's MLP widths, max(d, d_ff): one expert's rows, gathered in or out ({@link Experts}). */
    MLP_WIDTH("max(d, d_ff)", shape -> Math.max(shape.dModel(), shape.dFf())),
    /** Two: a nonzero pair (row, column), as {@code torch.where} over a 2-d mask returns each (the pytorch profile). */
    PAIR("2", shape -> 2),
    /** A LoRA adapter's rank ({@link Lora}). */
    R("r", shape -> shape.settings().lora().rank()),
    /**
     * The MLPs a block holds: E under experts, 1 for a dense MLP, where the tables do not write it
     * ({@link #shown}): an MLP matrix's adapter runs once each.
     */
    MLPS("E", shape -> shape.architecture().experts().instancesPerBlock()),
    /** The experts of a block ({@link Experts}). */
    E("E", shape -> shape.architecture().experts().count()),
    /**
     * The experts each token is routed to ({@link Experts}): a token's slots in the MLP's rows. 1 for a
     * dense MLP, where the tables do not write it ({@link #shown}).
     */
    K("k", shape -> shape.architecture().experts().perToken());

    /** The side of a flash attention tile where T is longer. */
    public static final long FLASH_TILE = 64;

    private final String symbol;
    private final ToLongFunction<Shape> size;

    Dim(ShapeKey key) {
        this(key.symbol(), key::of);
    }

    Dim(String symbol, ToLongFunction<Shape> size) {
        this.symbol = symbol;
        this.size = size;
    }

    public String symbol() {
        return symbol;
    }

    /** The symbol as {@code shape}'s tables write it: Q's, K's and V's width is d where it equals d. */
    public String symbol(Shape shape) {
        if (shape.architecture().qkNorm() == QkNorm.PROJECTION && (this == QUERY_NORM_WIDTH || this == KEY_NORM_WIDTH)) {
            return (this == QUERY_NORM_WIDTH ? D_Q : D_KV).symbol(shape);
        }
        return (this == D_KV || this == D_Q) && size(shape) == shape.dModel() ? D.symbol : symbol;
    }

    /**
     * False for an axis the tables leave unwritten at {@code shape}: k under a dense MLP, where it is 1, and
     * QK-norm's rows a token over each whole projection, 1.
     */
    public boolean shown(Shape shape) {
        if (this == QUERY_NORM_ROWS || this == KEY_NORM_ROWS) {
            return shape.architecture().qkNorm() != QkNorm.PROJECTION;
        }
        return this != K && this != MLPS || shape.architecture().experts().active();
    }

    public long size(Shape shape) {
        return size.applyAsLong(shape);
    }
}
