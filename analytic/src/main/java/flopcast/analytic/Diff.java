package flopcast.analytic;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Every quantity on which the seed's accounting and the complete one disagree at one shape, with
 * both values and why. Quantities that agree are left out. The first term is the seed's main
 * error: its "FLOPs of one step" is one block's matmuls.
 * <p>Pinned by {@code DiffTest}.
 */
public final class Diff {

    private Diff() {
    }

    /**
     * @param capacity the capacity for the largest-batch terms; null for none
     * @param plan     the training plan for the training-time terms; null for none
     */
    public static List<DiffTerm> between(Shape shape, Capacity capacity, TrainingPlan plan) {
        Prediction seed = Accounting.SEED.predict(shape);
        Prediction complete = Accounting.COMPLETE.predict(shape);
        List<DiffTerm> terms = new ArrayList<>();
        flopTerms(shape, seed, complete, terms);
        add(terms, "parameters", "parameters", seed.parameters(), complete.parameters(),
                "the seed has no token embedding (V*d = " + grouped(Math.multiplyExact(shape.vocabSize(),
                        shape.dModel())) + " parameters)" + architectureNote(shape));
        memoryTerms(seed, complete, terms);
        componentTerms(seed, complete, terms);
        if (capacity != null) {
            MemoryPolynomial.BatchFit seedFit = seed.fit(capacity);
            MemoryPolynomial.BatchFit completeFit = complete.fit(capacity);
            String note = "follows from the memory polynomial on " + capacity.describe();
            add(terms, "max_batch.batch_size", "sequences", seedFit.batchSize(), completeFit.batchSize(), note);
            add(terms, "max_batch.fractional", "sequences", seedFit.fractional(), completeFit.fractional(), note);
        }
        if (plan != null) {
            TrainingTime seedTime = plan.timeFor(seed.flops().step());
            TrainingTime completeTime = plan.timeFor(complete.flops().step());
            String note = "follows from flops.step over " + plan.steps() + " steps";
            add(terms, "training.seconds", "seconds", seedTime.seconds(), completeTime.seconds(), note);
            add(terms, "training.days", "days", seedTime.days(), completeTime.days(), note);
        }
        return terms;
    }

    private static void flopTerms(Shape shape, Prediction seed, Prediction complete, List<DiffTerm> terms) {
        long otherBlocks = shape.layers() - 1;
        BigInteger oneBlock = seed.flops().forward();
        BigInteger lmHead = MatmulFlops.forward(Component.OUTPUT_EMBEDDING, shape);
        // complete forward = L x this shape's block + the LM head, exactly
        BigInteger block = complete.flops().forward().subtract(lmHead).divide(BigInteger.valueOf(shape.layers()));
        String missing = otherBlocks == 0
                ? "the LM head 2*B*T*d*V (" + grouped(lmHead) + ")"
                : "the other " + otherBlocks + " blocks (" + grouped(block.multiply(BigInteger.valueOf(otherBlocks)))
                        + ") and the LM head 2*B*T*d*V (" + grouped(lmHead) + ")";
        if (!block.equals(oneBlock)) {
            // grouped-query attention, a head width of its own, GELU's two matrices: the formula's block is not this one
            missing += "; this shape's block is " + grouped(block) + ", not the formula's " + grouped(oneBlock);
        }
        add(terms, "flops.forward", "flops", seed.flops().forward(), complete.flops().forward(),
                "the seed's 2*B*T*d*(4d + 2T + 3*d_ff) is one block's matmuls: it leaves out " + missing);
        add(terms, "flops.backward", "flops", seed.flops().backward(), complete.flops().backward(),
                "2 x forward under both; the gap is the forward's");
        add(terms, "flops.step", "flops", seed.flops().step(), complete.flops().step(),
                "model FLOPs of a step (forward + backward matmuls): the seed's \"x3\" of one block");
        if (complete.flops().recompute().signum() > 0) {
            add(terms, "flops.recompute", "flops", seed.flops().recompute(), complete.flops().recompute(),
                    "the seed models no recomputation; these matmuls run again in backward (hardware, not model FLOPs)");
            add(terms, "flops.hardware", "flops", seed.flops().hardware(), complete.flops().hardware(),
                    "model + recompute FLOPs, what HFU divides by");
        }
        add(terms, "flops.elementwise", "flops", seed.flops().elementwise(), complete.flops().elementwise(),
                "the seed counts no elementwise FLOPs (norms, softmax, SiLU and product, residual adds, cross-entropy)");
        add(terms, "flops.optimizer", "flops", seed.flops().optimizer(), complete.flops().optimizer(),
                "the seed counts no AdamW FLOPs (\"AdamW does not use any matmuls\"): 14 per parameter + 8 per step");
    }

    private static void memoryTerms(Prediction seed, Prediction complete, List<DiffTerm> terms) {
        MemoryBreakdown s = seed.memory();
        MemoryBreakdown c = complete.memory();
        String embedding = "the seed has no token embedding" + architectureNote(complete.shape())
                + policyNote(complete.shape());
        add(terms, "memory_bytes.parameters", "bytes", s.parametersBytes(), c.parametersBytes(), embedding);
        add(terms, "memory_bytes.gradients", "bytes", s.gradientsBytes(), c.gradientsBytes(), embedding);
        if (c.masterWeightsBytes() != 0) {
            add(terms, "memory_bytes.master_weights", "bytes", s.masterWeightsBytes(), c.masterWeightsBytes(),
                    "the seed stores float32 and keeps no master copy; " + complete.shape().policy().cliName()
                            + " keeps one in float32");
        }
        add(terms, "memory_bytes.optimizer_state", "bytes", s.optimizerStateBytes(), c.optimizerStateBytes(),
                embedding);
        add(terms, "memory_bytes.activations", "bytes", s.activationsBytes(), c.activationsBytes(),
                "kept tensors differ (see components.*.activation_floats); complete adds 2*B*T int32 token ids and targets");
        add(terms, "memory_bytes.workspace", "bytes", s.workspaceBytes(), c.workspaceBytes(),
                "the seed counts no backward workspace (activation gradients, per-head scratch)");
        add(terms, "memory_bytes.total", "bytes", s.totalBytes(), c.totalBytes(), "sum of the above");
        add(terms, "memory_bytes.fixed", "bytes", s.polynomial().fixedBytes(), c.polynomial().fixedBytes(),
                (complete.shape().policy().bytesPerParameter() == 16 ? "model state (16 bytes per parameter)"
                        : "model state (the seed's 16 bytes per parameter)") + "; complete adds the per-head scratch"
                        + policyNote(complete.shape()));
        add(terms, "memory_bytes.per_batch_element", "bytes", s.polynomial().perBatchElementBytes(),
                c.polynomial().perBatchElementBytes(), "activations and workspace of one sequence");
    }

    private static void componentTerms(Prediction seed, Prediction complete, List<DiffTerm> terms) {
        Map<Component, ComponentRow> seedRows = byComponent(seed);
        Map<Component, ComponentRow> completeRows = byComponent(complete);
        for (Component component : Component.values()) {
            ComponentRow s = seedRows.get(component);
            ComponentRow c = completeRows.get(component);
            if (c == null) {
                continue;   // a component the model has no row for (LoRA's adapters in full training)
            }
            String prefix = "components." + component.jsonName() + ".";
            BigInteger seedFlops = s == null ? BigInteger.ZERO : s.forwardFlops();
            add(terms, prefix + "forward_flops", "flops", seedFlops, c.totalForwardFlops(),
                    forwardNote(component, c.count()));
            add(terms, prefix + "parameters", "parameters", s == null ? 0 : s.totalParameters(), c.totalParameters(),
                    "the seed has no token embedding" + architectureNote(complete.shape()));
            add(terms, prefix + "activation_floats", "floats", s == null ? 0 : s.totalActivationFloats(),
                    c.totalActivationFloats(), activationNote(component, complete.shape()));
        }
    }

    /** Where the shape is not the seed's architecture: what the seed assumes instead; else empty. */
    private static String architectureNote(Shape shape) {
        if (shape.seedArchitecture()) {
            return "";
        }
        Architecture architecture = shape.architecture();
        List<String> has = new ArrayList<>();
        if (architecture.kvHeads() < shape.heads()) {
            has.add("h_kv = " + architecture.kvHeads());
        }
        if (architecture.tiedEmbeddings()) {
            has.add("a tied head");
        }
        if (architecture.bias() == LinearBias.NONE && architecture.headDim() == Architecture.HEAD_DIM_FROM_WIDTH
                && !architecture.qkNorm().active() && architecture.placement() == NormPlacement.PRE
                && architecture.softCap().equals(SoftCap.OFF)
                && architecture.slidingWindow() == Architecture.NO_WINDOW
                && architecture.norm() == NormKind.RMS && architecture.positions() == Architecture.NO_POSITIONS
                && architecture.mlp() == MlpKind.SWIGLU) {
            return "; the seed assumes h_kv = h and an untied head, this shape has " + String.join(" and ", has);
        }
        if (architecture.bias() != LinearBias.NONE) {
            has.add("biases (" + architecture.bias().cliName() + ")");
        }
        if (architecture.headDim() != Architecture.HEAD_DIM_FROM_WIDTH) {
            has.add("d_k = " + shape.headDim());
        }
        if (architecture.qkNorm() == QkNorm.HEAD) {
            has.add("QK-norm");
        } else if (architecture.qkNorm() == QkNorm.PROJECTION) {
            has.add("QK-norm over each whole projection");
        }
        if (architecture.placement() != NormPlacement.PRE) {
            has.add(architecture.placement() == NormPlacement.POST ? "norms after each sublayer"
                    : "norms before and after each sublayer");
        }
        if (architecture.softCap().capsAttention() || architecture.softCap().capsLogits()) {
            has.add("soft-capped " + (architecture.softCap().capsAttention() ? architecture.softCap().capsLogits()
                    ? "scores and logits" : "scores" : "logits"));
        }
        if (architecture.slidingWindow() != Architecture.NO_WINDOW) {
            has.add("a sliding window of " + architecture.slidingWindow() + (shape.attentionSpan() < shape.contextLength()
                    ? " (of a context of " + shape.contextLength() + ")" : " (the whole context)")
                    + (architecture.windowPattern() == Architecture.WINDOW_EVERY_LAYER ? ""
                    : " on all but every " + architecture.windowPattern() + "th layer"));
        }
        if (architecture.norm() == NormKind.LAYER) {
            has.add("LayerNorm");
        }
        if (architecture.positions() != Architecture.NO_POSITIONS) {
            has.add(architecture.positions() + " learned positions");
        }
        if (architecture.mlp() != MlpKind.SWIGLU) {
            has.add(architecture.mlp() == MlpKind.GELU ? "a GELU MLP" : "a GeGLU MLP");
        }
        return "; the seed assumes h_kv = h, an untied head, no biases, d_k = d / h, no QK-norm, norms before"
                + " each sublayer, no soft-caps, no sliding window, RMSNorm, no position table and SwiGLU, this shape"
                + " has " + String.join(", ", has);
    }

    /** Where the policy is not fp32: its bytes per parameter against the seed's float32; else empty. */
    private static String policyNote(Shape shape) {
        PrecisionPolicy policy = shape.policy();
        if (policy == PrecisionPolicy.FP32) {
            return "";
        }
        return "; " + policy.cliName() + " stores " + policy.bytesPerParameter() + " bytes per parameter and "
                + policy.activationType().label() + " activations, the seed float32 throughout";
    }

    private static String forwardNote(Component component, long count) {
        if (component == Component.OUTPUT_EMBEDDING) {
            return "the LM head 2*B*T*d*V is not in the seed's formula";
        }
        return String.format(Locale.ROOT, "the seed's formula takes one instance; the model runs %d", count);
    }

    private static String activationNote(Component component, Shape shape) {
        boolean ownHeads = shape.queryWidth() != shape.dModel() || shape.architecture().qkNorm().active();
        if (component == Component.QKV_PROJECTION && shape.architecture().kvHeads() != shape.heads() && !ownHeads) {
            return "Q is B*T*d, K and V are B*T*h_kv*d_k each (grouped-query); the seed counts one B*T*d";
        }
        if (component == Component.QKV_PROJECTION && ownHeads) {
            return "Q is B*T*" + Dim.D_Q.symbol(shape) + ", K and V are B*T*" + Dim.D_KV.symbol(shape) + " each"
                    + (shape.architecture().qkNorm().active() ? ", and Q and K are kept before QK-norm too, with a"
                    + " reciprocal RMS per " + (shape.architecture().qkNorm() == QkNorm.HEAD ? "head and row" : "row")
                    : "") + "; the seed counts one B*T*d";
        }
        if (!shape.settings().equals(Settings.DEFAULT) && component.inBlock()) {
            return "kept tensors differ; under " + shape.attention().cliName() + " attention and recompute "
                    + shape.recompute().cliName() + " (see the tensors table)";
        }
        return switch (component) {
            case TOKEN_EMBEDDING -> shape.architecture().norm() == NormKind.LAYER
                    ? "the seed has no embedding; its output is block 0's input, read by LayerNorm-1 backward"
                    : "the seed has no embedding; its output is block 0's input, read by RMSNorm-1 backward";
            case RMSNORM, FINAL_RMSNORM -> shape.architecture().norm() == NormKind.LAYER
                    ? "each LayerNorm also keeps its rows' mean and reciprocal standard deviation (2*B*T) for its"
                            + " backward"
                    : "each RMSNorm also keeps its reciprocal RMS (B*T) for its backward";
            case QKV_PROJECTION -> "Q, K and V are three B*T*d tensors; the seed counts one";
            case ATTENTION_SCORES -> "scores are softmaxed in place: only the softmax output is kept";
            case FFN_SILU -> shape.architecture().mlp() == MlpKind.GELU
                    ? "GELU keeps W1 x and GELU(W1 x); the seed counts one B*T*d_ff and a SwiGLU's"
                    : shape.architecture().mlp() == MlpKind.GEGLU
                    ? "GeGLU keeps GELU(W1 x) and the product GELU(W1 x) * W3 x; the seed counts one"
                    : "SwiGLU keeps SiLU(W1 x) and the product SiLU(W1 x) * W3 x; the seed counts one";
            default -> "kept tensors differ";
        };
    }

    private static Map<Component, ComponentRow> byComponent(Prediction prediction) {
        Map<Component, ComponentRow> rows = new EnumMap<>(Component.class);
        for (ComponentRow row : prediction.components()) {
            rows.put(row.component(), row);
        }
        return rows;
    }

    private static void add(List<DiffTerm> terms, String term, String unit, Number seed, Number complete, String note) {
        Number s = normalize(seed);
        Number c = normalize(complete);
        if (!Objects.equals(s, c)) {
            terms.add(new DiffTerm(term, unit, s, c, note));
        }
    }

    /** Whole counts as BigInteger so that equal counts compare equal whatever their boxed type. */
    private static Number normalize(Number value) {
        if (value instanceof Long || value instanceof Integer) {
            return BigInteger.valueOf(value.longValue());
        }
        return value;
    }

    private static String grouped(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    private static String grouped(BigInteger value) {
        return String.format(Locale.ROOT, "%,d", value);
    }
}
