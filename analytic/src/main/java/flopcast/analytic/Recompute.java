package flopcast.analytic;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What the backward pass recomputes instead of keeping, as a table: each row names the kept
 * regions it drops, the regions it rebuilds into one block's buffers, the components whose forward
 * runs again, and whether the attention kernel's kept rows are rebuilt head by head. All of it runs
 * in the backward pass, before the backward of what it rebuilds. The accountings read these
 * columns, never the name.
 * <pre>
 *   mode       drops (regions)   one block's buffers   forward run again, in backward         kernel core
 *   none       -                 -                     -                                      -
 *   selective  core              -                     Q K^T (one a layer)                    rebuilt
 *   full       core, layer       core, layer           every block component (matmuls and     -
 *                                                      elementwise)
 * </pre>
 * Selective keeps every block row but the attention core's (the probabilities, or flash's
 * log-sum-exp), and rebuilds it one head at a time into the kernel's
 * {@link AttentionKernel#rebuildWorkspace()}; full keeps of each block only its output
 * ({@link Region#BLOCK_OUTPUT}) and reruns the block's forward into one block's worth of buffers
 * ({@link KeptActivation#recomputeInstances}). Recomputed matmuls are hardware FLOPs (HFU), never
 * model FLOPs (MFU).
 * <p>Source: Korthikanti et al. 2022, arXiv 2205.05198, section 5 (selective and full
 * recomputation); PaLM (MFU excludes recomputation). Pinned by {@code SettingTablesTest} (every row
 * through the accounting) and {@code RecomputeTest}.
 */
public enum Recompute {
    NONE("none", EnumSet.noneOf(Region.class), EnumSet.noneOf(Region.class), EnumSet.noneOf(Component.class),
            false, ""),
    SELECTIVE("selective", EnumSet.of(Region.CORE), EnumSet.noneOf(Region.class),
            EnumSet.of(Component.ATTENTION_SCORES), true, "the attention core's Q K^T (selective)"),
    FULL("full", EnumSet.of(Region.CORE, Region.LAYER), EnumSet.of(Region.CORE, Region.LAYER), blockComponents(),
            false, "each block's forward (full)");

    private final String cliName;
    private final Set<Region> dropped;
    private final Set<Region> blockBuffers;
    private final Set<Component> forwardAgain;
    private final boolean rebuildsKernelCore;
    private final String rerunDescription;

    Recompute(String cliName, EnumSet<Region> dropped, EnumSet<Region> blockBuffers, EnumSet<Component> forwardAgain,
            boolean rebuildsKernelCore, String rerunDescription) {
        this.cliName = cliName;
        this.dropped = Collections.unmodifiableSet(dropped);
        this.blockBuffers = Collections.unmodifiableSet(blockBuffers);
        this.forwardAgain = Collections.unmodifiableSet(forwardAgain);
        this.rebuildsKernelCore = rebuildsKernelCore;
        this.rerunDescription = rerunDescription;
    }

    private static EnumSet<Component> blockComponents() {
        EnumSet<Component> block = EnumSet.noneOf(Component.class);
        for (Component component : Component.values()) {
            if (component.inBlock()) {
                block.add(component);
            }
        }
        return block;
    }

    public String cliName() {
        return cliName;
    }

    /** The regions whose kept rows are not kept from forward to backward. */
    public Set<Region> dropped() {
        return dropped;
    }

    /** The dropped regions rebuilt, block by block, into one block's worth of buffers. */
    public Set<Region> blockBuffers() {
        return blockBuffers;
    }

    /** The components whose forward (matmuls and elementwise) the backward pass runs again, every instance. */
    public Set<Component> forwardAgain() {
        return forwardAgain;
    }

    /**
     * True where the attention kernel's kept rows are rebuilt head by head in the backward pass
     * ({@link AttentionKernel#rebuildWorkspace()}, {@link AttentionKernel#rebuildElementwise()}).
     */
    public boolean rebuildsKernelCore() {
        return rebuildsKernelCore;
    }

    /** The matmuls the mode runs again, in words (empty where none), for tables. */
    public String rerunDescription() {
        return rerunDescription;
    }

    public static Recompute byName(String name) {
        return Names.byName(values(), Recompute::cliName, "recompute mode", name);
    }

    public static String names() {
        return Names.list(values(), Recompute::cliName);
    }
}
