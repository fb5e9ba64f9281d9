package flopcast.analytic;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The seven numbers of a {@link Shape}, declared once: each one's JSON and CSV key, its CLI option,
 * its symbol (package documentation), what it counts, and its accessor. The CLI's options, the
 * JSON {@code shape} object, the measurements CSV's shape columns, {@link Shape#describe()} and
 * the named shapes all read this table, in this order.
 */
public enum ShapeKey {
    VOCAB_SIZE("vocab_size", Cli.VOCAB, "V", "tokens", Shape::vocabSize),
    CONTEXT_LENGTH("context_length", Cli.CONTEXT, "T", "tokens", Shape::contextLength),
    NUM_LAYERS("num_layers", Cli.LAYERS, "L", "blocks", Shape::layers),
    D_MODEL("d_model", Cli.D_MODEL, "d", "1", Shape::dModel),
    NUM_HEADS("num_heads", Cli.HEADS, "h", "1", Shape::heads),
    D_FF("d_ff", Cli.D_FF, "d_ff", "1", Shape::dFf),
    BATCH_SIZE("batch_size", Cli.BATCH, "B", "sequences", Shape::batchSize);

    /** The CLI option names, as constants an annotation can name. */
    public static final class Cli {
        public static final String VOCAB = "--vocab";
        public static final String CONTEXT = "--context";
        public static final String LAYERS = "--layers";
        public static final String D_MODEL = "--d-model";
        public static final String HEADS = "--heads";
        public static final String D_FF = "--d-ff";
        public static final String BATCH = "--batch";

        private Cli() {
        }
    }

    /** The word of unnormalized expert gates in {@link Shape#describe()}: {@code gates=unnormalized}. */
    static final String GATES_KEY = "gates";
    /** The word of a shared expert's width in {@link Shape#describe()}: {@code shared_expert=D}. */
    static final String SHARED_EXPERT_KEY = "shared_expert";

    /** {@link Shape#describe()}'s symbol for h_kv, written only where it is not h. */
    public static final String KV_HEADS_SYMBOL = "h_kv";
    /** {@link Shape#describe()}'s symbol for d_k, written only where it is not d / h. */
    public static final String HEAD_DIM_SYMBOL = "d_k";
    /** {@link Shape#describe()}'s symbol for a sliding window, written only where one is declared. */
    public static final String WINDOW_SYMBOL = "window";
    /** {@link Shape#describe()}'s word for QK-norm, written only where it is on. */
    public static final String QK_NORM_WORD = "qk_norm";
    /** {@link Shape#describe()}'s word for a tied LM head, written only where it is tied. */
    public static final String TIED_WORD = "tied";
    /** {@link Shape#describe()}'s symbol for the recomputation mode, written only where it is not none. */
    public static final String RECOMPUTE_SYMBOL = "recompute";
    /** The word before a LoRA alpha other than the default in {@link Shape#describe()}. */
    public static final String LORA_ALPHA_SYMBOL = "lora_alpha";

    private final String key;
    private final String option;
    private final String symbol;
    private final String unit;
    private final ToLongFunction<Shape> accessor;

    ShapeKey(String key, String option, String symbol, String unit, ToLongFunction<Shape> accessor) {
        this.key = key;
        this.option = option;
        this.symbol = symbol;
        this.unit = unit;
        this.accessor = accessor;
    }

    /** The JSON key and CSV column. */
    public String key() {
        return key;
    }

    public String option() {
        return option;
    }

    public String symbol() {
        return symbol;
    }

    /** What it counts, as a CSV unit: tokens, blocks, sequences, or 1. */
    public String unit() {
        return unit;
    }

    public long of(Shape shape) {
        return accessor.applyAsLong(shape);
    }

    /** {@code value}, or a one-line error naming it as {@code name} (its key, or its CLI option). */
    public long requirePositive(long value, String name) {
        if (value < 1) {
            throw new InvalidInputException(name + " must be a positive integer, got " + value);
        }
        return value;
    }

    /** The shape whose every number {@code values} gives by key. */
    public static Shape shape(ToLongFunction<ShapeKey> values) {
        return new Shape(values.applyAsLong(VOCAB_SIZE), values.applyAsLong(CONTEXT_LENGTH),
                values.applyAsLong(NUM_LAYERS), values.applyAsLong(D_MODEL), values.applyAsLong(NUM_HEADS),
                values.applyAsLong(D_FF), values.applyAsLong(BATCH_SIZE));
    }

    /** The shape of these values under {@code architecture} (whose d_k may free d from being a multiple of h). */
    public static Shape shape(ToLongFunction<ShapeKey> values, Architecture architecture) {
        return new Shape(values.applyAsLong(VOCAB_SIZE), values.applyAsLong(CONTEXT_LENGTH),
                values.applyAsLong(NUM_LAYERS), values.applyAsLong(D_MODEL), values.applyAsLong(NUM_HEADS),
                values.applyAsLong(D_FF), values.applyAsLong(BATCH_SIZE), architecture);
    }

    /**
     * Parses {@link Shape#describe()}'s form, {@code "V=512 T=64 L=2 d=128 h=4 d_ff=512 B=2"}:
     * every symbol once, in any order, then optionally {@code h_kv=N}, {@code tied}, {@code bias=qkv}
     * or {@code bias=all}, {@code d_k=N}, {@code qk_norm} or {@code qk_norm=projection}, {@code window=W} with {@code window_pattern=k},
     * {@code norm=layernorm},
     * {@code norm_placement=post} or {@code =sandwich}, {@code attention_softcap=C}, {@code logit_softcap=C},
     * {@code positions=P}, {@code mlp=gelu}, {@code experts=E:k} with {@code gates=unnormalized}, {@code shared_expert=D} and
     * {@code dense_layers=LIST dense_ffn=N}, a precision
     * policy's name, an attention kernel's name ({@code flash}), {@code recompute=MODE} and
     * {@code freeze=KIND,...}, {@code freeze_layers=FIRST-LAST}, {@code lora=R:TARGET,...} with {@code lora_alpha=A}
     * and {@code nf4}; nothing else.
     */
    public static Shape parse(String text) {
        Map<ShapeKey, Long> values = new HashMap<>();
        Long kvHeads = null;
        boolean tied = false;
        LinearBias bias = LinearBias.NONE;
        Long headDim = null;
        QkNorm qkNorm = QkNorm.NONE;
        NormPlacement placement = NormPlacement.PRE;
        Double attentionCap = null;
        Long windowPattern = null;
        Double logitCap = null;
        Long window = null;
        NormKind norm = NormKind.RMS;
        Long positions = null;
        MlpKind mlp = MlpKind.SWIGLU;
        Experts experts = Experts.NONE;
        boolean unnormalized = false;
        Long sharedExpert = null;
        java.util.List<Long> denseLayers = null;
        Long denseFfn = null;
        PrecisionPolicy policy = Settings.DEFAULT.policy();
        AttentionKernel attention = Settings.DEFAULT.attention();
        Recompute recompute = Settings.DEFAULT.recompute();
        String lora = null;
        Double loraAlpha = null;
        boolean nf4 = false;
        java.util.Set<FrozenKind> frozen = java.util.EnumSet.noneOf(FrozenKind.class);
        FrozenLayers frozenLayers = FrozenLayers.NONE;
        for (String part : text.trim().split("\\s+")) {
            int equals = part.indexOf('=');
            if (part.startsWith(FrozenLayers.KEY + "=") && !frozenLayers.active()) {
                frozenLayers = FrozenLayers.parse(part.substring(equals + 1));
                continue;
            }
            if (part.startsWith(FrozenKind.KEY + "=") && frozen.isEmpty()) {
                for (String name : part.substring(equals + 1).split(",")) {
                    frozen.add(FrozenKind.byName(name));
                }
                continue;
            }
            if (part.equals(Lora.NF4) && !nf4) {
                nf4 = true;
                continue;
            }
            if (part.startsWith(Lora.KEY + "=") && lora == null) {
                lora = part.substring(equals + 1);
                continue;
            }
            if (part.startsWith(LORA_ALPHA_SYMBOL + "=") && loraAlpha == null) {
                loraAlpha = decimal(part, text);
                continue;
            }
            if (equals < 0 && isPolicy(part) && policy == Settings.DEFAULT.policy()) {
                policy = PrecisionPolicy.byName(part);
                continue;
            }
            if (equals < 0 && isKernel(part) && attention == Settings.DEFAULT.attention()) {
                attention = AttentionKernel.byName(part);
                continue;
            }
            if (part.startsWith(RECOMPUTE_SYMBOL + "=") && recompute == Settings.DEFAULT.recompute()) {
                recompute = Recompute.byName(part.substring(equals + 1));
                continue;
            }
            if (part.startsWith(LinearBias.KEY + "=") && bias == LinearBias.NONE) {
                bias = LinearBias.byCliName(part.substring(equals + 1));
                continue;
            }
            if (part.startsWith(MlpKind.KEY + "=") && mlp == MlpKind.SWIGLU) {
                mlp = MlpKind.byCliName(part.substring(equals + 1));
                continue;
            }
            if (part.startsWith(Experts.KEY + "=") && !experts.active()) {
                String value = part.substring(equals + 1);
                int colon = value.indexOf(':');
                if (colon < 0) {
                    throw new InvalidInputException("'" + part + "' in shape '" + text + "' is not experts=E:k");
                }
                experts = new Experts(integer("=" + value.substring(0, colon), text),
                        integer("=" + value.substring(colon + 1), text));
                continue;
            }
            if (part.equals(GATES_KEY + "=" + Experts.UNNORMALIZED) && !unnormalized) {
                unnormalized = true;
                continue;
            }
            if (part.startsWith(DenseLayers.KEY + "=") && denseLayers == null) {
                denseLayers = DenseLayers.parse(part.substring(equals + 1));
                continue;
            }
            if (part.startsWith(DenseLayers.FFN_KEY + "=") && denseFfn == null) {
                denseFfn = integer(part, text);
                continue;
            }
            if (part.startsWith(SHARED_EXPERT_KEY + "=") && sharedExpert == null) {
                sharedExpert = integer(part, text);
                continue;
            }
            if (part.startsWith(Shape.POSITIONS_KEY + "=") && positions == null) {
                positions = integer(part, text);
                continue;
            }
            if (part.startsWith(NormKind.KEY + "=") && norm == NormKind.RMS) {
                norm = NormKind.byCliName(part.substring(equals + 1));
                continue;
            }
            if (equals > 0 && part.substring(0, equals).equals(WINDOW_SYMBOL) && window == null) {
                window = integer(part, text);
                continue;
            }
            if (part.equals(QK_NORM_WORD) && !qkNorm.active()) {
                qkNorm = QkNorm.HEAD;
                continue;
            }
            if (part.equals(QK_NORM_WORD + "=" + QkNorm.PROJECTION.cliName()) && !qkNorm.active()) {
                qkNorm = QkNorm.PROJECTION;
                continue;
            }
            if (part.startsWith(Architecture.WINDOW_PATTERN_KEY + "=") && windowPattern == null) {
                windowPattern = integer(part, text);
                continue;
            }
            if (part.startsWith(SoftCap.ATTENTION_KEY + "=") && attentionCap == null) {
                attentionCap = decimal(part, text);
                continue;
            }
            if (part.startsWith(SoftCap.LOGITS_KEY + "=") && logitCap == null) {
                logitCap = decimal(part, text);
                continue;
            }
            if (part.startsWith(NormPlacement.KEY + "=") && placement == NormPlacement.PRE) {
                placement = NormPlacement.byCliName(part.substring(equals + 1));
                continue;
            }
            if (part.equals(TIED_WORD) && !tied) {
                tied = true;
                continue;
            }
            if (equals > 0 && part.substring(0, equals).equals(HEAD_DIM_SYMBOL) && headDim == null) {
                headDim = integer(part, text);
                continue;
            }
            if (equals > 0 && part.substring(0, equals).equals(KV_HEADS_SYMBOL) && kvHeads == null) {
                kvHeads = integer(part, text);
                continue;
            }
            ShapeKey key = equals < 0 ? null : bySymbol(part.substring(0, equals));
            if (key == null) {
                throw new InvalidInputException("'" + part + "' in shape '" + text + "' is not SYMBOL=VALUE with a "
                        + "symbol of " + symbols());
            }
            if (values.put(key, integer(part, text)) != null) {
                throw new InvalidInputException(key.symbol + " appears twice in shape '" + text + "'");
            }
        }
        for (ShapeKey key : values()) {
            if (!values.containsKey(key)) {
                throw new InvalidInputException("shape '" + text + "' lacks " + key.symbol + " (" + key.key + ")");
            }
        }
        if (unnormalized || sharedExpert != null || denseLayers != null || denseFfn != null) {
            experts = new Experts(experts.count(), experts.topK(), !unnormalized,
                    sharedExpert == null ? 0 : sharedExpert, new DenseLayers(denseLayers == null ? java.util.List.of()
                            : denseLayers, denseFfn == null ? 0 : denseFfn));
        }
        return shape(values::get, new Architecture(kvHeads == null ? values.get(NUM_HEADS) : kvHeads, tied, bias,
                headDim == null ? Architecture.HEAD_DIM_FROM_WIDTH : headDim, qkNorm,
                window == null ? Architecture.NO_WINDOW : window, norm,
                positions == null ? Architecture.NO_POSITIONS : positions, mlp, experts, placement,
                new SoftCap(attentionCap == null ? SoftCap.NONE : attentionCap, logitCap == null ? SoftCap.NONE
                        : logitCap), windowPattern == null ? Architecture.WINDOW_EVERY_LAYER : windowPattern))
                .withSettings(new Settings(policy, attention, recompute,
                        lora(lora, loraAlpha == null ? Lora.DEFAULT_ALPHA : loraAlpha, text).withNf4Base(nf4),
                        frozen, frozenLayers));
    }

    /** The number after {@code part}'s '=', or a one-line error naming it. */
    private static double decimal(String part, String text) {
        try {
            return Double.parseDouble(part.substring(part.indexOf('=') + 1));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("'" + part + "' in shape '" + text + "' has no number value");
        }
    }

    /** {@code lora=R:TARGET,TARGET} as {@link Shape#describe()} writes it; null for none. */
    private static Lora lora(String value, double alpha, String text) {
        if (value == null) {
            return Lora.NONE;
        }
        int colon = value.indexOf(':');
        if (colon < 0) {
            throw new InvalidInputException("'" + Lora.KEY + "=" + value + "' in shape '" + text
                    + "' is not lora=RANK:TARGET,TARGET");
        }
        java.util.Set<LoraTarget> targets = java.util.EnumSet.noneOf(LoraTarget.class);
        for (String name : value.substring(colon + 1).split(",")) {
            targets.add(LoraTarget.byName(name));
        }
        return new Lora(integer("=" + value.substring(0, colon), text), alpha, targets);
    }

    /** True for an attention kernel's name other than the default's (which {@link Shape#describe()} leaves out). */
    private static boolean isKernel(String word) {
        for (AttentionKernel kernel : AttentionKernel.values()) {
            if (kernel != Settings.DEFAULT.attention() && kernel.cliName().equals(word)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isPolicy(String word) {
        for (PrecisionPolicy policy : PrecisionPolicy.values()) {
            if (policy.cliName().equals(word)) {
                return true;
            }
        }
        return false;
    }

    private static long integer(String part, String text) {
        try {
            return Long.parseLong(part.substring(part.indexOf('=') + 1));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("'" + part + "' in shape '" + text + "' has no integer value");
        }
    }

    private static ShapeKey bySymbol(String symbol) {
        for (ShapeKey key : values()) {
            if (key.symbol.equals(symbol)) {
                return key;
            }
        }
        return null;
    }

    private static String symbols() {
        StringBuilder text = new StringBuilder();
        for (ShapeKey key : values()) {
            text.append(text.length() == 0 ? "" : " ").append(key.symbol);
        }
        return text.toString();
    }
}
