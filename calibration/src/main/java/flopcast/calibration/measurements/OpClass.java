package flopcast.calibration.measurements;

import flopcast.analytic.Bf16Conversions;
import flopcast.analytic.Component;
import flopcast.analytic.OverheadTraffic;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Shape;
import java.util.Optional;

/**
 * The classes whose efficiency is fitted. Matmuls are compute-bound: efficiency is achieved FLOP/s
 * over the measured peak, and size is arithmetic intensity (FLOPs per byte of minimum traffic).
 * Forward and backward are apart because EJML runs the backward pass's transposed products with
 * other kernels. Norms, softmax, SiLU with the product, cross-entropy and AdamW are memory-bound:
 * efficiency is achieved bytes/s over the bandwidth probe at the op's footprint ({@code Bandwidth}:
 * the cache level its data fits, or memory), and size is bytes per op (what
 * decides whether an op runs from cache). The bf16 conversions' two loops are memory-bound classes of
 * their own ({@code ConversionBenchmark}'s rows), and so are the residual add, the head copy and the
 * gradient zeroing ({@code OverheadBenchmark}'s). Size enters the fit as its logarithm.
 */
public enum OpClass {
    MATMUL_FORWARD("matmul forward", true),
    MATMUL_BACKWARD("matmul backward", true),
    RMSNORM_FORWARD("rmsnorm forward", false),
    RMSNORM_BACKWARD("rmsnorm backward", false),
    SOFTMAX_FORWARD("attention softmax forward", false),
    SOFTMAX_BACKWARD("attention softmax backward", false),
    SILU_FORWARD("SiLU and product forward", false),
    SILU_BACKWARD("SiLU and product backward", false),
    CROSS_ENTROPY_FORWARD("cross-entropy forward", false),
    CROSS_ENTROPY_BACKWARD("cross-entropy backward", false),
    ADAMW("AdamW", false),
    BF16_WIDEN("bf16 widening", 1),
    // 10 bytes moved an element over 6 held: the bits and the copy, the copy written twice
    BF16_ROUND("bf16 rounding", (double) Bf16Conversions.HELD_BYTES / Bf16Conversions.ROUND_BYTES),
    // x read and written, f read: 12 bytes moved an element over 8 held
    RESIDUAL_ADD("residual add", 8 / 12.0),
    HEAD_COPY("head copy", 1),
    GRADIENT_ZEROING("gradient zeroing", 1);

    private final String label;
    private final boolean computeBound;
    private final boolean optional;
    /** An optional class's bytes held over bytes moved, the same at every size; NaN for the rest. */
    private final double heldPerMoved;

    OpClass(String label, boolean computeBound) {
        this.label = label;
        this.computeBound = computeBound;
        this.optional = false;
        this.heldPerMoved = Double.NaN;
    }

    /** An optional memory-bound class whose arrays hold {@code heldPerMoved} of the bytes it moves. */
    OpClass(String label, double heldPerMoved) {
        this.label = label;
        this.computeBound = false;
        this.optional = true;
        this.heldPerMoved = heldPerMoved;
    }

    /**
     * True for a class a calibration may lack: the bf16 conversions and the work outside the components'
     * kernels (residual adds, head copies, gradient zeroing), the host's executed model's loops (a device
     * converts in registers and runs its own kernels, and a file written before their rows has none).
     * Without its fit the step-time model has no conversion term, and times the work outside the kernels
     * at the bandwidth probe's rate.
     */
    public boolean optional() {
        return optional;
    }

    /** Whether a step at {@code shape} runs this class's work: the bf16 conversions only under a bf16 policy. */
    public boolean times(Shape shape) {
        return this != BF16_WIDEN && this != BF16_ROUND || shape.policy() != PrecisionPolicy.FP32;
    }

    /** The bytes an optional class's arrays occupy per byte it moves: what decides its cache level. */
    public double heldPerMoved() {
        if (!optional) {
            throw new IllegalStateException(label + " takes its footprint from its component's traffic");
        }
        return heldPerMoved;
    }

    public String label() {
        return label;
    }

    public boolean computeBound() {
        return computeBound;
    }

    /** What "size" means for this class, for tables and charts. */
    public String sizeMeaning() {
        return computeBound ? "FLOPs per byte" : "bytes per op";
    }

    /** The op class of one pass of a model component; empty for components no benchmark times alone. */
    public static Optional<OpClass> of(Component component, boolean forward) {
        return Optional.ofNullable(switch (component) {
            case QKV_PROJECTION, ATTENTION_SCORES, ATTENTION_WEIGHTED_SUM, OUTPUT_PROJECTION, FFN_W1, FFN_W3, FFN_W2,
                    OUTPUT_EMBEDDING -> forward ? MATMUL_FORWARD : MATMUL_BACKWARD;
            case RMSNORM, FINAL_RMSNORM -> forward ? RMSNORM_FORWARD : RMSNORM_BACKWARD;
            case ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GLOBAL -> forward ? SOFTMAX_FORWARD : SOFTMAX_BACKWARD;
            case FFN_SILU -> forward ? SILU_FORWARD : SILU_BACKWARD;
            case CROSS_ENTROPY -> forward ? CROSS_ENTROPY_FORWARD : CROSS_ENTROPY_BACKWARD;
            case TOKEN_EMBEDDING, LORA, ROUTER -> null;
        });
    }

    /** The op class of a measured row; empty for steps, probes and other rows. */
    public static Optional<OpClass> of(Measurement row) {
        if (row.pass().equals("optimizer")) {
            return Optional.of(ADAMW);
        }
        if (row.pass().equals("overhead")) {
            return overhead(row.component());
        }
        if (row.component().equals(Bf16Conversions.OP_CLASS)) {
            return switch (row.pass()) {
                case "widen" -> Optional.of(BF16_WIDEN);
                case "round" -> Optional.of(BF16_ROUND);
                default -> Optional.empty();
            };
        }
        if (!row.pass().equals("forward") && !row.pass().equals("backward")) {
            return Optional.empty();
        }
        try {
            return of(Component.byJsonName(row.component()), row.pass().equals("forward"));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The class of a piece of work outside the components' kernels, by the profile's name; empty for one with none. */
    public static Optional<OpClass> overhead(String profileName) {
        return Optional.ofNullable(switch (profileName) {
            case OverheadTraffic.RESIDUAL_ADD -> RESIDUAL_ADD;
            case OverheadTraffic.HEAD_COPY -> HEAD_COPY;
            case OverheadTraffic.GRADIENT_ZEROING -> GRADIENT_ZEROING;
            default -> null;
        });
    }

    /** The size the fit uses for a quantity of FLOPs and bytes. */
    public double size(double flops, double bytes) {
        return computeBound ? flops / bytes : bytes;
    }
}
