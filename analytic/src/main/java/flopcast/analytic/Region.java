package flopcast.analytic;

/**
 * Which part of the step a kept tensor belongs to, and so which recomputation mode drops it
 * ({@link Recompute#dropped()}): every kept-tensor row ({@link KeptActivation},
 * {@link TorchSavedTensor}) names its region, and a mode lists the regions it does not keep.
 * <p>Pinned by {@code SettingTablesTest}.
 */
public enum Region {
    /** Outside the blocks: the embedding, the final norm, the loss. Kept under every mode. */
    ONCE,
    /** A block's output, the next block's input: the checkpoint full recomputation keeps. */
    BLOCK_OUTPUT,
    /** Inside a block, outside the attention core. */
    LAYER,
    /** The attention core: what the attention kernel keeps for its backward ({@link AttentionKernel#keeps()}). */
    CORE
}
