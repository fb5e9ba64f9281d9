package flopcast.analytic;

import java.math.BigInteger;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * How attention keeps what its backward pass needs, as a table: each row names the kept rows and
 * workspace rows it adds, the matmuls its backward runs again, its elementwise cost per head, and
 * what selective recomputation rebuilds of it. The accountings read these columns, never the name.
 * <pre>
 *   kernel  keeps (per layer)          workspace (one head)                 backward again  tiled
 *   eager   probabilities B*h*T*T      dP T*T                               -               no
 *   flash   log-sum-exp B*h*T          Q, K, V, dO, P V tiles t_b*d_k;      Q K^T           yes
 *           (float32)                  S, dS tiles t_b*t_b; row max, row
 *                                      sum T; row scale t_b
 *
 *   elementwise per head    forward                               backward
 *   eager                   6*T*(T+1)/2 + T                       5*T*(T+1)/2
 *   flash                   5*T*(T+1)/2 + T*n_t*(4 + 2*d_k)       2*T*d_k + 6*T*(T+1)/2 + 3*T*n_t*d_k
 *                           + T*(3 + d_k)
 *
 *   soft-capped scores (SoftCap): a kernel keeping the probabilities keeps tanh(s / c) beside them,
 *   B*h*T*T (head.softcap_tanh T*T where selective rebuilds them); a tiled one recomputes it into a
 *   t_b*t_b tile (flash.tile_softcap); each adds the cap's FLOPs per attended entry
 *
 *   selective recomputation rebuilds, one head at a time, in the backward pass:
 *   eager   the probabilities, into head.probabilities (T*T): the softmax forward again
 *   flash   the log-sum-exp, into flash.head_logsumexp (T): 5*T*(T+1)/2 + 4*T*n_t + 2*T
 * </pre>
 * n_t = ceil(T / t_b), t_b = min(T, 64). The rows a kernel keeps are {@link Region#CORE} rows; the
 * workspace rows any kernel lists are held only under a kernel that lists them
 * ({@link #claims(WorkspaceBuffer)}). Matmuls run again are hardware FLOPs, not model FLOPs.
 * <p>Source: FlashAttention (Dao et al. 2022, arXiv 2205.14135, Algorithms 1 and 2).
 * Pinned by {@code SettingTablesTest} (every row through the accounting) and {@code RecomputeTest}.
 */
public enum AttentionKernel {
    EAGER("eager", false,
            EnumSet.of(KeptActivation.ATTENTION_PROBABILITIES),
            EnumSet.of(WorkspaceBuffer.HEAD_PROBABILITY_GRADIENT),
            EnumSet.noneOf(Component.class),
            shape -> ElementwiseFlops.causalSoftmaxForward(shape.contextLength(), shape.attentionSpan(),
                    capped(shape)),
            shape -> ElementwiseFlops.causalSoftmaxBackward(shape.contextLength(), shape.attentionSpan(),
                    capped(shape)),
            EnumSet.of(WorkspaceBuffer.HEAD_PROBABILITIES),
            shape -> ElementwiseFlops.causalSoftmaxForward(shape.contextLength(), shape.attentionSpan(),
                    capped(shape)),
            ""),
    FLASH("flash", true,
            EnumSet.of(KeptActivation.ATTENTION_LOGSUMEXP),
            EnumSet.of(WorkspaceBuffer.TILE_QUERY, WorkspaceBuffer.TILE_KEY, WorkspaceBuffer.TILE_VALUE,
                    WorkspaceBuffer.TILE_OUTPUT_GRADIENT, WorkspaceBuffer.TILE_PRODUCT, WorkspaceBuffer.TILE_SCORES,
                    WorkspaceBuffer.TILE_GRADIENT, WorkspaceBuffer.ROW_MAX, WorkspaceBuffer.ROW_SCALE,
                    WorkspaceBuffer.ROW_SUM),
            EnumSet.of(Component.ATTENTION_SCORES),
            shape -> ElementwiseFlops.flashForward(shape.contextLength(), shape.headDim(), Dim.TILE.size(shape),
                    shape.attentionSpan(), capped(shape)),
            shape -> ElementwiseFlops.flashBackward(shape.contextLength(), shape.headDim(), Dim.TILE.size(shape),
                    shape.attentionSpan(), capped(shape)),
            EnumSet.of(WorkspaceBuffer.HEAD_LOGSUMEXP),
            shape -> ElementwiseFlops.flashLogSumExp(shape.contextLength(), Dim.TILE.size(shape),
                    shape.attentionSpan(), capped(shape)),
            "flash's backward Q K^T");

    /** Whether {@code shape}'s attention scores are soft-capped ({@link SoftCap}). */
    private static boolean capped(Shape shape) {
        return shape.architecture().softCap().capsAttention();
    }

    /** The component whose elementwise FLOPs (softmax, or flash's whole core) the kernel's columns give. */
    public static final Component ELEMENTWISE_COMPONENT = Component.ATTENTION_SOFTMAX;

    /** Elementwise FLOPs of one head (one sequence, one query head) at a shape. */
    @FunctionalInterface
    public interface PerHeadFlops {
        BigInteger of(Shape shape);
    }

    private final String cliName;
    private final boolean tiled;
    private final Set<KeptActivation> keeps;
    private final Set<WorkspaceBuffer> workspace;
    private final Set<Component> backwardRecomputes;
    private final PerHeadFlops forwardElementwise;
    private final PerHeadFlops backwardElementwise;
    private final Set<WorkspaceBuffer> rebuildWorkspace;
    private final PerHeadFlops rebuildElementwise;
    private final String rerunDescription;

    AttentionKernel(String cliName, boolean tiled, EnumSet<KeptActivation> keeps, EnumSet<WorkspaceBuffer> workspace,
            EnumSet<Component> backwardRecomputes, PerHeadFlops forwardElementwise, PerHeadFlops backwardElementwise,
            EnumSet<WorkspaceBuffer> rebuildWorkspace, PerHeadFlops rebuildElementwise, String rerunDescription) {
        this.cliName = cliName;
        this.tiled = tiled;
        this.keeps = Collections.unmodifiableSet(keeps);
        this.workspace = Collections.unmodifiableSet(workspace);
        this.backwardRecomputes = Collections.unmodifiableSet(backwardRecomputes);
        this.forwardElementwise = forwardElementwise;
        this.backwardElementwise = backwardElementwise;
        this.rebuildWorkspace = Collections.unmodifiableSet(rebuildWorkspace);
        this.rebuildElementwise = rebuildElementwise;
        this.rerunDescription = rerunDescription;
    }

    public String cliName() {
        return cliName;
    }

    /**
     * True where the scores are computed a tile at a time and no T x T buffer exists; the executed
     * model ({@code measure}'s {@code CausalAttention}) runs its tiled head where this is true.
     */
    public boolean tiled() {
        return tiled;
    }

    /** The {@link Region#CORE} kept rows this kernel keeps from forward to backward, one per layer. */
    public Set<KeptActivation> keeps() {
        return keeps;
    }

    /** The workspace rows this kernel adds (one head's, or one tile's, scratch). */
    public Set<WorkspaceBuffer> workspace() {
        return workspace;
    }

    /** The components whose forward matmuls this kernel's backward pass runs again, once a layer. */
    public Set<Component> backwardRecomputes() {
        return backwardRecomputes;
    }

    /** Forward elementwise FLOPs of one head, charged to {@link #ELEMENTWISE_COMPONENT}. */
    public PerHeadFlops forwardElementwise() {
        return forwardElementwise;
    }

    /** Backward elementwise FLOPs of one head, charged to {@link #ELEMENTWISE_COMPONENT}. */
    public PerHeadFlops backwardElementwise() {
        return backwardElementwise;
    }

    /**
     * The workspace rows into which a recomputation mode that rebuilds the kernel's kept rows
     * ({@link Recompute#rebuildsKernelCore()}) writes them, one head at a time, in the backward pass.
     */
    public Set<WorkspaceBuffer> rebuildWorkspace() {
        return rebuildWorkspace;
    }

    /** Elementwise FLOPs of one head that rebuilding the kernel's kept rows runs again, in backward. */
    public PerHeadFlops rebuildElementwise() {
        return rebuildElementwise;
    }

    /** The matmuls the kernel's backward runs again, in words (empty where none), for tables. */
    public String rerunDescription() {
        return rerunDescription;
    }

    /** True where some kernel lists {@code row} as its own: such a row is held only under a kernel that lists it. */
    public static boolean claims(WorkspaceBuffer row) {
        for (AttentionKernel kernel : values()) {
            if (kernel.workspace.contains(row) || kernel.rebuildWorkspace.contains(row)) {
                return true;
            }
        }
        return false;
    }

    public static AttentionKernel byName(String name) {
        return Names.byName(values(), AttentionKernel::cliName, "attention kernel", name);
    }

    public static String names() {
        return Names.list(values(), AttentionKernel::cliName);
    }
}
