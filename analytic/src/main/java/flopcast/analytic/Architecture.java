package flopcast.analytic;

/**
 * What kind of transformer a {@link Shape} describes, beside its sizes and its training
 * {@link Settings}: one record that the tables read. Today it holds the attention's key and value
 * heads, whether the LM head is tied to the token embedding and which projections add a bias; the
 * next issues add the norm, the MLP kind, positions, head_dim, experts and adapters to it, so that a
 * new architecture is a value of this record and the rows its fields select, not a branch in each
 * accounting.
 * <ul>
 * <li>{@code kvHeads} h_kv: K and V are B*T*h_kv*d_k ({@link Dim#D_KV}), their weights d x h_kv*d_k;
 * <li>{@code tiedEmbeddings}: the LM head row ({@link Scope#ONCE_UNLESS_TIED}) is not a parameter of
 * its own;
 * <li>{@code bias}: the bias rows of {@link ParameterTensor} that exist ({@link LinearBias}).
 * </ul>
 * In JSON they sit in a prediction's {@code settings} object as {@value Shape#KV_HEADS_KEY},
 * {@value Shape#TIE_EMBEDDINGS_KEY} and {@value LinearBias#KEY}.
 * <p>Source: Llama 3 (grouped-query attention, 8 key and value heads); Hugging Face config
 * ({@code num_key_value_heads}, {@code tie_word_embeddings}).
 * Pinned by {@code SettingTablesTest} (each value through the accounting) and {@code ShapeTest}.
 *
 * @param kvHeads        h_kv, the key and value heads (grouped-query attention); h for multi-head
 *                       attention. {@link Shape} requires it to divide h.
 * @param tiedEmbeddings true when the LM head is the token embedding's transpose (one V x d parameter)
 * @param bias           which projections add a bias
 */
public record Architecture(long kvHeads, boolean tiedEmbeddings, LinearBias bias) {

    public Architecture {
        java.util.Objects.requireNonNull(bias, "bias");
    }

    /** No biases, as the seed's and Llama's layout. */
    public Architecture(long kvHeads, boolean tiedEmbeddings) {
        this(kvHeads, tiedEmbeddings, LinearBias.NONE);
    }

    /** The seed's: multi-head attention over {@code heads} heads (h_kv = h), the LM head its own parameter. */
    public static Architecture seed(long heads) {
        return new Architecture(heads, false);
    }
}
