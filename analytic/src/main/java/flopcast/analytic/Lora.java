package flopcast.analytic;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Low-rank adapters on a frozen model: every parameter of the model is frozen (no gradient, no
 * master copy, no optimizer state; its weights kept in the policy's weight type) and each block's
 * {@code targets} carry a trained pair A (in x r) and B (out x r) with y += (alpha / r) * (x A) B^T.
 * {@link #NONE} (rank 0) is full training: every parameter trains.
 * <pre>
 *   trainable parameters   L * sum over targets of r * (in + out)
 *   forward matmul FLOPs   the model's, plus 2*B*T*r*(in + out) per target and block
 *   backward matmul FLOPs  a frozen projection's input gradient only (1x its forward, not 2x);
 *                          the adapters' 2x theirs; attention's Q K^T and P V 2x as before
 * </pre>
 * Model FLOPs (what MFU divides by) are what the step executes, forward plus backward matmuls, so a
 * frozen weight's missing weight gradient is missing from them too.
 * <p>QLoRA ({@code nf4Base}): the blocks' projection weights are stored as 4-bit NF4 with
 * double-quantized block maxima ({@link #nf4Bytes}), as bitsandbytes' {@code Linear4bit} stores them
 * under {@code bnb_4bit_use_double_quant}; the embedding, norms and LM head stay in the policy's
 * weight type. Each matmul dequantizes its weight into a transient copy in the compute type
 * ({@link WorkspaceBuffer#DEQUANTIZED_WEIGHT}, the largest projection's), forward and backward; that
 * dequantization is not counted among the elementwise FLOPs ({@code train} executes it and times it
 * apart from them).
 * bitsandbytes 0.43.2 and later keep no input of an NF4 matmul (before its "fix QLoRA mem bug"
 * change, {@code MatMul4Bit} kept each frozen projection's input too, which flopcast does not count).
 * <p>Source: LoRA (Hu et al. 2021, section 4.1; PEFT {@code LoraConfig}: defaults r = 8,
 * lora_alpha = 8, Llama targets q_proj and v_proj). Pinned by {@code LoraTest}.
 *
 * @param rank    r, 0 for none
 * @param alpha   the scale's numerator: s = alpha / r (changes no count)
 * @param targets the projections that carry an adapter in every block
 * @param nf4Base true where the blocks' projection weights are stored in NF4 (QLoRA)
 */
public record Lora(long rank, double alpha, Set<LoraTarget> targets, boolean nf4Base) {

    /** Full training: no adapters, nothing frozen. */
    public static final Lora NONE = new Lora(0, 0, EnumSet.noneOf(LoraTarget.class));
    /** The word for an NF4 base in {@link Shape#describe()} and the CLI. */
    public static final String NF4 = "nf4";
    /** bitsandbytes' NF4 block: 64 weights share one absolute maximum. */
    public static final long NF4_BLOCK = 64;
    /** Double quantization's block: 256 of those maxima share one float32 constant. */
    public static final long NF4_CONSTANT_BLOCK = 256;
    /** PEFT's default lora_alpha. */
    public static final double DEFAULT_ALPHA = 8;
    /** PEFT's default target modules for Llama: the query and value projections. */
    public static final Set<LoraTarget> DEFAULT_TARGETS = Collections.unmodifiableSet(
            EnumSet.of(LoraTarget.QUERY, LoraTarget.VALUE));
    /** The JSON key of the adapters in a {@code settings} object. */
    public static final String KEY = "lora";

    public Lora {
        targets = targets.isEmpty() ? Collections.unmodifiableSet(EnumSet.noneOf(LoraTarget.class))
                : Collections.unmodifiableSet(EnumSet.copyOf(targets));
        if (rank < 0) {
            throw new InvalidInputException("LoRA rank " + rank + " must be a positive integer");
        }
        if (rank > 0 && targets.isEmpty()) {
            throw new InvalidInputException("LoRA rank " + rank + " needs at least one target (allowed: "
                    + LoraTarget.names() + ")");
        }
        if (rank > 0 && !(alpha > 0 && Double.isFinite(alpha))) {
            throw new InvalidInputException("LoRA alpha " + alpha + " must be a positive number");
        }
        if (rank > 0 && !(Float.isFinite((float) (alpha / rank)) && (float) (alpha / rank) > 0)) {
            // the executed adapter scales by alpha / r in float32: beyond its range it is infinite or 0
            throw new InvalidInputException("LoRA alpha " + alpha + " over rank " + rank + " is outside float32's"
                    + " range (allowed: alpha / r between about 1.4e-45 and 3.4e38)");
        }
        if (nf4Base && rank == 0) {
            throw new InvalidInputException("an NF4 base needs LoRA adapters to train (QLoRA): give a rank");
        }
    }

    /** The model's weights in the policy's type (LoRA, or full training at rank 0). */
    public Lora(long rank, double alpha, Set<LoraTarget> targets) {
        this(rank, alpha, targets, false);
    }

    /** The same adapters on a base whose block projections are NF4 ({@code nf4} true: QLoRA) or not. */
    public Lora withNf4Base(boolean nf4) {
        return new Lora(rank, alpha, targets, nf4);
    }

    /**
     * Bytes of one NF4 tensor of {@code elements} weights as bitsandbytes stores it with double
     * quantization: two 4-bit codes a byte, one 8-bit quantized maximum per 64-weight block, and one
     * float32 constant per 256 blocks:
     * <pre>
     *   ceil(n / 2) + ceil(n / 64) + 4 * ceil(ceil(n / 64) / 256)     (about 0.516 bytes a weight)
     * </pre>
     * Left out, 68 bytes a tensor at most: the maxima's offset (a float32 scalar, a Python float in
     * newer bitsandbytes) and the tensor's 16-entry float32 NF4 code book; the 256-entry map of the
     * double quantization is shared by every tensor.
     */
    public static long nf4Bytes(long elements) {
        long blocks = ceil(elements, NF4_BLOCK);
        return Math.addExact(Math.addExact(ceil(elements, 2), blocks), Math.multiplyExact(4, ceil(blocks,
                NF4_CONSTANT_BLOCK)));
    }

    private static long ceil(long a, long b) {
        return a / b + (a % b == 0 ? 0 : 1);
    }

    /** Adapters of rank {@code rank} on {@code targets}, alpha {@value #DEFAULT_ALPHA}, the base in the policy's type. */
    public static Lora of(long rank, Set<LoraTarget> targets) {
        return new Lora(rank, DEFAULT_ALPHA, targets);
    }

    /** True where the model is frozen and adapters train. */
    public boolean active() {
        return rank > 0;
    }

    /** s = alpha / r. */
    public double scaling() {
        return alpha / rank;
    }

    /** Whether {@code target} carries an adapter. */
    public boolean adapts(LoraTarget target) {
        return targets.contains(target);
    }

    /** The targets by flopcast's names, comma-separated. */
    public String targetNames() {
        return targets.stream().map(LoraTarget::cliName).collect(Collectors.joining(","));
    }

    /**
     * A one-line error where a target is not a projection of {@code shape}'s architecture, or r exceeds
     * the smaller width of a target (a rank above the layer's width adds parameters and no rank).
     */
    void requireFits(Shape shape) {
        if (nf4Base && shape.policy().compute() == Precision.FP32) {
            throw new InvalidInputException("an NF4 base is modelled dequantizing into bfloat16, QLoRA's"
                    + " bnb_4bit_compute_dtype, not under " + shape.policy().cliName() + " (allowed: a bf16 policy)");
        }
        for (LoraTarget target : targets) {
            if (target.mlp() && shape.architecture().experts().shared()) {
                throw new InvalidInputException("LoRA target '" + target.cliName() + "' (" + target.moduleName()
                        + ") beside a shared expert: PEFT would adapt the shared expert's matrix too, which is not"
                        + " modelled (allowed: " + String.join(", ", java.util.Arrays.stream(LoraTarget.values())
                                .filter(t -> !t.mlp()).map(LoraTarget::cliName).toList()) + ")");
            }
            if (!target.heldBy(shape)) {
                throw new InvalidInputException("LoRA target '" + target.cliName() + "' (" + target.moduleName()
                        + ") is not a projection of this architecture (a two-matrix "
                        + shape.architecture().mlp().cliName() + " MLP has no " + target.cliName() + "; allowed: "
                        + allowed(shape) + ")");
            }
            long width = Math.min(target.in().size(shape), target.out().size(shape));
            if (rank > width) {
                throw new InvalidInputException("LoRA rank " + rank + " is above " + target.cliName()
                        + "'s width " + width + " (allowed: 1 to the smaller of the projection's input and output"
                        + " widths)");
            }
        }
    }

    private static String allowed(Shape shape) {
        StringBuilder text = new StringBuilder();
        for (LoraTarget target : LoraTarget.values()) {
            if (target.heldBy(shape)) {
                text.append(text.length() == 0 ? "" : ", ").append(target.cliName());
            }
        }
        return text.toString();
    }
}
