package flopcast.analytic;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How a model is trained, beside its shape: the precision policy, the attention kernel, the
 * recomputation mode and what trains (every parameter; LoRA adapters on the frozen model:
 * {@link Lora}; or every parameter but the kinds {@code frozen} names, {@link FrozenKind}, and those of the
 * blocks {@code frozenLayers} names, {@link FrozenLayers}). The
 * default is the seed's: fp32, eager, none, every parameter.
 */
public record Settings(PrecisionPolicy policy, AttentionKernel attention, Recompute recompute, Lora lora,
        Set<FrozenKind> frozen, FrozenLayers frozenLayers) {
    public static final Settings DEFAULT = new Settings(PrecisionPolicy.FP32, AttentionKernel.EAGER, Recompute.NONE);

    public Settings {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(attention, "attention");
        Objects.requireNonNull(recompute, "recompute");
        Objects.requireNonNull(lora, "lora");
        Objects.requireNonNull(frozenLayers, "frozenLayers");
        frozen = frozen.isEmpty() ? Collections.unmodifiableSet(EnumSet.noneOf(FrozenKind.class))
                : Collections.unmodifiableSet(EnumSet.copyOf(frozen));
        if (lora.active() && !frozen.isEmpty()) {
            throw new InvalidInputException("--freeze " + frozenNames(frozen) + " beside LoRA adapters: LoRA"
                    + " freezes every parameter of the model already (allowed: one of them)");
        }
        if (lora.active() && frozenLayers.active()) {
            throw new InvalidInputException(FrozenLayers.OPTION + " " + frozenLayers.text() + " beside LoRA adapters:"
                    + " LoRA freezes every block already, and adapters on some blocks only (PEFT's"
                    + " layers_to_transform) are not modelled (allowed: one of them)");
        }
        if (frozen.size() == FrozenKind.values().length) {
            throw new InvalidInputException("--freeze " + frozenNames(frozen) + " leaves nothing to train"
                    + " (allowed: a proper subset of " + FrozenKind.names() + ")");
        }
    }

    /** No block frozen by range. */
    public Settings(PrecisionPolicy policy, AttentionKernel attention, Recompute recompute, Lora lora,
            Set<FrozenKind> frozen) {
        this(policy, attention, recompute, lora, frozen, FrozenLayers.NONE);
    }

    /** Every parameter trains. */
    public Settings(PrecisionPolicy policy, AttentionKernel attention, Recompute recompute) {
        this(policy, attention, recompute, Lora.NONE);
    }

    /** Nothing frozen beyond what {@code lora} freezes. */
    public Settings(PrecisionPolicy policy, AttentionKernel attention, Recompute recompute, Lora lora) {
        this(policy, attention, recompute, lora, EnumSet.noneOf(FrozenKind.class));
    }

    public Settings withPolicy(PrecisionPolicy newPolicy) {
        return new Settings(newPolicy, attention, recompute, lora, frozen, frozenLayers);
    }

    /** The same settings training {@code newLora}'s adapters ({@link Lora#NONE}: every parameter). */
    public Settings withLora(Lora newLora) {
        return new Settings(policy, attention, recompute, newLora, frozen, frozenLayers);
    }

    /** The same settings with the kinds {@code newFrozen} names frozen. */
    public Settings withFrozen(Set<FrozenKind> newFrozen) {
        return new Settings(policy, attention, recompute, lora, newFrozen, frozenLayers);
    }

    /** The same settings with the blocks {@code newRange} names frozen. */
    public Settings withFrozenLayers(FrozenLayers newRange) {
        return new Settings(policy, attention, recompute, lora, frozen, newRange);
    }

    /** True where some parameter of the model does not train: LoRA's frozen model, or a frozen kind. */
    public boolean freezes() {
        return lora.active() || !frozen.isEmpty() || frozenLayers.active();
    }

    /** The frozen kinds as {@code embeddings,norms}. */
    public static String frozenNames(Set<FrozenKind> frozen) {
        return frozen.stream().map(FrozenKind::cliName).collect(Collectors.joining(","));
    }
}
