package flopcast.analytic;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The bfloat16 conversions the executed model ({@code measure}) runs a step under a bf16 policy: it
 * stores every bfloat16 tensor as 16-bit values and computes in float32 ({@link WorkingCopies}), so
 * an op widens each bfloat16 operand it reads into its row's working copy (one call, the instance's
 * elements, 2 bytes read and 4 written each) and rounds each bfloat16 tensor it writes back (one
 * call, 4 bytes read, 2 written, and the rounded value written back into the copy: 4 more). A GPU
 * converts in registers: this is the CPU model's work alone, and the step-time model times it only
 * where the host runs the step. Calls a step, per block (L blocks) unless marked once,
 * W widened, N rounded, where the row is bfloat16 (its {@link TensorSpec#dataType(Shape)}, the
 * policy's gradient and moment types for a parameter's):
 * <pre>
 *   forward, and again as recompute under full recomputation
 *     block input (embedding output, or the block before's residual)   W2  the norm, the residual add
 *     attention_norm.output N1 W3 (Q, K, V)    attention.query, .key, .value N1 W1 each
 *     attention.probabilities N1 (eager, where kept or rebuilt by full recomputation)
 *     attention.output N1 W1                   attention.residual N2 W3 (its add, the norm, the next add)
 *     ffn_norm.output N1 W2 (W1, W3)           ffn.w1.output, ffn.w3.output N1 W1    ffn.silu.output N1
 *     ffn.product N1 W1                        ffn.residual N2 W1 (its add)
 *     every weight of the block W1
 *   forward, once
 *     token_embedding.weight W1 (the gather reads the table), W2 tied (the LM head too)
 *     embedding.output N1   the last block's residual W1 (final norm)   final_norm.gain W1
 *     final_norm.output N1 W1   lm_head.weight W1 (untied)   lm_head.probabilities N1
 *   backward, per block
 *     block input W1 (its norm), W2 under full recomputation (the rerun reads it first)
 *     attention_norm.output W3   query, key, value W1 each   probabilities W1 (eager, kept or rebuilt)
 *     attention.output W2   attention.residual W1   ffn_norm.output W2   w1, w3 outputs, silu, product W1 each
 *     every weight W1, every gradient W1 N1 (accumulated in place)
 *     grad.attention_output N1 W1   grad.ffn_product N2 W3   grad.ffn_w3_output N1 W2
 *     grad.query, grad.key, grad.value N1 W2 each   grad.norm_output N5 W5   grad.residual N2 W6
 *   backward, once
 *     the last block's residual W1   final_norm.output W1   final_norm.gain W1, its gradient W1 N1
 *     lm_head.probabilities N1 W3 (the loss's gradient in place, then the head's two products)
 *     lm_head.weight W1 and its gradient W1 N1 (tied: token_embedding.weight W1, its gradient W1 N1 more)
 *     token_embedding.weight's gradient W1 N1 (the scatter-add)   grad.norm_output N1 W1   grad.residual N1 W2
 *   optimizer, per parameter instance
 *     its gradient W1; with a float32 master copy the updated master rounded into the weights (N1: 4 bytes
 *     read, 2 written); with none the weights W1 N1, and m, v W1 N1 each where bfloat16
 * </pre>
 * These are the loads and stores of {@code Block}, {@code BlockNorm}, {@code TransformerModel} and
 * {@code AdamW}; {@code OpProfileTest} holds every pass's calls and elements to the executed step's.
 * The table covers the models the component rows measure: RMSNorm before each sublayer, a dense SwiGLU
 * MLP, no linear biases, QK-norm, soft-caps or learned positions, every weight trained; {@link #uncovered}
 * names what else a shape has, and the step-time model then has no conversion term (its profile shows
 * the class as unmodelled).
 */
public final class Bf16Conversions {
    /** The in-situ profile's name of the class. */
    public static final String OP_CLASS = "bf16_conversion";
    /** Bytes a widened element moves: 2 read, 4 written. */
    public static final long WIDEN_BYTES = 6;
    /** Bytes a rounded element moves: 4 read, 2 written, and the rounded value's 4 written back into the copy. */
    public static final long ROUND_BYTES = 10;
    /** Bytes an element rounded in place moves (eager attention's probabilities): 4 read, 4 written. */
    public static final long ROUND_IN_PLACE_BYTES = 8;
    /** Bytes the master copy's rounding into the weights moves an element: 4 read, 2 written. */
    public static final long MASTER_ROUND_BYTES = 6;
    /** Bytes a converted element occupies, each array once: its 16 bits and its float32 copy. */
    public static final long HELD_BYTES = 6;

    /**
     * One pass's conversions.
     *
     * @param pass      forward, backward, recompute or optimizer
     * @param calls     timed conversion calls (one per tensor instance widened or rounded)
     * @param widenCalls those of them that widen
     * @param widened   elements widened
     * @param rounded   elements rounded into a working copy's tensor
     * @param mastered  elements of the master copy rounded into the weights (the optimizer's)
     * @param inPlace   elements rounded in place (eager attention's probabilities)
     */
    public record Pass(String pass, long calls, long widenCalls, long widened, long rounded, long mastered,
            long inPlace) {

        /** Bytes the pass's conversions move. */
        public BigInteger bytes() {
            return BigInteger.valueOf(widened).multiply(BigInteger.valueOf(WIDEN_BYTES))
                    .add(BigInteger.valueOf(rounded).multiply(BigInteger.valueOf(ROUND_BYTES)))
                    .add(BigInteger.valueOf(mastered).multiply(BigInteger.valueOf(MASTER_ROUND_BYTES)))
                    .add(BigInteger.valueOf(inPlace).multiply(BigInteger.valueOf(ROUND_IN_PLACE_BYTES)));
        }
    }

    private Bf16Conversions() {
    }

    /**
     * What {@code shape} has that the table does not cover, in one phrase; empty where it covers the shape
     * (under float32 always: nothing is converted).
     */
    public static Optional<String> uncovered(Shape shape) {
        Architecture a = shape.architecture();
        List<String> outside = new ArrayList<>();
        if (a.norm() != NormKind.RMS || a.placement() != NormPlacement.PRE) {
            outside.add("a norm other than RMSNorm before each sublayer");
        }
        if (a.mlp() != MlpKind.SWIGLU || a.experts().active()) {
            outside.add("an MLP other than a dense SwiGLU");
        }
        if (a.bias() != LinearBias.NONE) {
            outside.add("linear biases");
        }
        if (a.qkNorm().active()) {
            outside.add("QK-norm");
        }
        if (a.softCap().capsAttention() || a.softCap().capsLogits()) {
            outside.add("soft-capping");
        }
        if (a.positions() > 0) {
            outside.add("learned positions");
        }
        if (shape.settings().freezes()) {
            outside.add("frozen weights");
        }
        return outside.isEmpty() || shape.policy().activationType() != DataType.BFLOAT16
                && shape.policy().weightType() != DataType.BFLOAT16 ? Optional.empty()
                : Optional.of(String.join(", ", outside));
    }

    /** Each pass with conversions at {@code shape}, forward, backward, recompute, optimizer; none under float32. */
    public static List<Pass> of(Shape shape) {
        uncovered(shape).ifPresent(what -> {
            throw new InvalidInputException("the bf16 conversion table does not cover " + what
                    + " (allowed: RMSNorm before each sublayer, a dense SwiGLU MLP, every weight trained)");
        });
        Counts counts = new Counts(shape);
        long layers = shape.layers();
        boolean full = shape.recompute() == Recompute.FULL;
        boolean tied = shape.architecture().tiedEmbeddings();
        for (String pass : full ? new String[] {"forward", "recompute"} : new String[] {"forward"}) {
            counts.blockInputs(pass, 2);
            counts.kept(pass, layers, KeptActivation.ATTENTION_NORM_OUTPUT, 3, 1);
            for (KeptActivation row : new KeptActivation[] {KeptActivation.QUERY, KeptActivation.KEY,
                KeptActivation.VALUE, KeptActivation.ATTENTION_OUTPUT, KeptActivation.W1_OUTPUT,
                KeptActivation.W3_OUTPUT, KeptActivation.GATED_PRODUCT}) {
                counts.kept(pass, layers, row, 1, 1);
            }
            counts.kept(pass, layers, KeptActivation.ATTENTION_PROBABILITIES, 0, 1);
            counts.probabilities(pass);
            counts.kept(pass, layers, KeptActivation.ATTENTION_RESIDUAL, 3, 2);
            counts.kept(pass, layers, KeptActivation.FFN_NORM_OUTPUT, 2, 1);
            counts.kept(pass, layers, KeptActivation.SILU_OUTPUT, 0, 1);
            counts.kept(pass, layers, KeptActivation.FFN_RESIDUAL, 1, 2);
            counts.blockWeights(pass);
        }
        if (shape.recompute() == Recompute.SELECTIVE) {
            // the backward pass rebuilds each head's probabilities, rounded as the forward's were
            counts.probabilities("recompute");
        }
        counts.weight("forward", ParameterTensor.TOKEN_EMBEDDING_WEIGHT, tied ? 2 : 1);
        counts.kept("forward", 1, KeptActivation.EMBEDDING_OUTPUT, 0, 1);
        counts.kept("forward", 1, KeptActivation.FFN_RESIDUAL, 1, 0);
        counts.weight("forward", ParameterTensor.FINAL_NORM_GAIN, 1);
        counts.kept("forward", 1, KeptActivation.FINAL_NORM_OUTPUT, 1, 1);
        counts.weight("forward", ParameterTensor.LM_HEAD_WEIGHT, 1);
        counts.kept("forward", 1, KeptActivation.LOGIT_PROBABILITIES, 0, 1);

        counts.blockInputs("backward", full ? 2 : 1);
        counts.kept("backward", layers, KeptActivation.ATTENTION_NORM_OUTPUT, 3, 0);
        for (KeptActivation row : new KeptActivation[] {KeptActivation.QUERY, KeptActivation.KEY,
            KeptActivation.VALUE, KeptActivation.ATTENTION_PROBABILITIES, KeptActivation.ATTENTION_RESIDUAL,
            KeptActivation.W1_OUTPUT, KeptActivation.W3_OUTPUT, KeptActivation.SILU_OUTPUT,
            KeptActivation.GATED_PRODUCT}) {
            counts.kept("backward", layers, row, 1, 0);
        }
        counts.kept("backward", layers, KeptActivation.ATTENTION_OUTPUT, 2, 0);
        counts.kept("backward", layers, KeptActivation.FFN_NORM_OUTPUT, 2, 0);
        counts.blockWeights("backward");
        counts.workspace(layers, WorkspaceBuffer.ATTENTION_OUTPUT_GRADIENT, 1, 1);
        counts.workspace(layers, WorkspaceBuffer.PRODUCT_GRADIENT, 3, 2);
        counts.workspace(layers, WorkspaceBuffer.W3_OUTPUT_GRADIENT, 2, 1);
        for (WorkspaceBuffer row : new WorkspaceBuffer[] {WorkspaceBuffer.QUERY_GRADIENT, WorkspaceBuffer.KEY_GRADIENT,
            WorkspaceBuffer.VALUE_GRADIENT}) {
            counts.workspace(layers, row, 2, 1);
        }
        counts.workspace(layers, WorkspaceBuffer.NORM_OUTPUT_GRADIENT, 5, 5);
        counts.workspace(layers, WorkspaceBuffer.RESIDUAL_GRADIENT, 6, 2);
        counts.kept("backward", 1, KeptActivation.FFN_RESIDUAL, 1, 0);
        counts.kept("backward", 1, KeptActivation.FINAL_NORM_OUTPUT, 1, 0);
        counts.weight("backward", ParameterTensor.FINAL_NORM_GAIN, 1);
        counts.kept("backward", 1, KeptActivation.LOGIT_PROBABILITIES, 3, 1);
        counts.weight("backward", tied ? ParameterTensor.TOKEN_EMBEDDING_WEIGHT : ParameterTensor.LM_HEAD_WEIGHT, 1);
        counts.workspace(1, WorkspaceBuffer.NORM_OUTPUT_GRADIENT, 1, 1);
        counts.workspace(1, WorkspaceBuffer.RESIDUAL_GRADIENT, 2, 1);
        counts.gradientsAndOptimizer();
        return counts.passes();
    }

    /** Calls and elements by pass, in the order the passes are first met. */
    private static final class Counts {
        private final Shape shape;
        private final Map<String, long[]> byPass = new LinkedHashMap<>();

        Counts(Shape shape) {
            this.shape = shape;
            for (String pass : new String[] {"forward", "backward", "recompute", "optimizer"}) {
                byPass.put(pass, new long[6]);
            }
        }

        /** {@code instances} accesses of {@code elements}, each widened {@code widen} and rounded {@code round} times. */
        private void add(String pass, long instances, long elements, long widen, long round) {
            long[] c = byPass.get(pass);
            c[0] += instances * (widen + round);
            c[5] += instances * widen;
            c[1] += instances * widen * elements;
            c[2] += instances * round * elements;
        }

        /** A kept row written and read in {@code instances} blocks (or once), where the settings write it in bfloat16. */
        void kept(String pass, long instances, KeptActivation row, long widen, long round) {
            if (WorkingCopies.copies(row, shape)) {
                add(pass, instances, row.elements(shape), widen, round);
            }
        }

        /** A workspace row, in the backward pass, reused by every block. */
        void workspace(long instances, WorkspaceBuffer row, long widen, long round) {
            if (WorkingCopies.copies(row, shape)) {
                add("backward", instances, row.elements(shape), widen, round);
            }
        }

        /** Eager attention's probabilities, each head's rounded in place as the softmax writes them, per block. */
        void probabilities(String pass) {
            if (shape.attention() == AttentionKernel.EAGER && shape.policy().activationType() == DataType.BFLOAT16) {
                long heads = Math.multiplyExact(Math.multiplyExact(shape.batchSize(), shape.heads()), shape.layers());
                long[] c = byPass.get(pass);
                c[0] += heads;
                c[4] += Math.multiplyExact(heads, Math.multiplyExact(shape.contextLength(), shape.contextLength()));
            }
        }

        /** Each block's input: the embedding output for the first, the residual of the block before for the rest. */
        void blockInputs(String pass, long widen) {
            if (shape.policy().activationType() == DataType.BFLOAT16) {
                add(pass, shape.layers(), Math.multiplyExact(shape.tokens(), shape.dModel()), widen, 0);
            }
        }

        /** Every weight of every block read once. */
        void blockWeights(String pass) {
            for (ParameterTensor row : ParameterTensor.values()) {
                if (row.scope() == Scope.PER_LAYER) {
                    weight(pass, row, 1);
                }
            }
        }

        void weight(String pass, ParameterTensor row, long widen) {
            if (shape.policy().weightType() == DataType.BFLOAT16 && row.instances(shape) > 0) {
                add(pass, row.instances(shape), row.elements(shape), widen, 0);
            }
        }

        /** Each gradient accumulated in backward (the tied table's twice), then the optimizer's reads and writes. */
        void gradientsAndOptimizer() {
            PrecisionPolicy policy = shape.policy();
            for (ParameterTensor row : ParameterTensor.values()) {
                long instances = row.instances(shape);
                if (instances == 0) {
                    continue;
                }
                long elements = row.elements(shape);
                if (policy.gradientType() == DataType.BFLOAT16) {
                    boolean twice = row == ParameterTensor.TOKEN_EMBEDDING_WEIGHT && shape.architecture().tiedEmbeddings();
                    add("backward", instances * (twice ? 2 : 1), elements, 1, 1);
                    add("optimizer", instances, elements, 1, 0);
                }
                if (policy.masterWeightType() != null) {
                    long[] c = byPass.get("optimizer");
                    c[0] += instances;
                    c[3] += instances * elements;
                    continue;
                }
                for (DataType type : new DataType[] {policy.weightType(), policy.firstMomentType(),
                    policy.secondMomentType()}) {
                    if (type == DataType.BFLOAT16) {
                        add("optimizer", instances, elements, 1, 1);
                    }
                }
            }
        }

        List<Pass> passes() {
            List<Pass> passes = new ArrayList<>();
            byPass.forEach((pass, c) -> {
                if (c[0] > 0) {
                    passes.add(new Pass(pass, c[0], c[5], c[1], c[2], c[3], c[4]));
                }
            });
            return passes;
        }
    }
}
