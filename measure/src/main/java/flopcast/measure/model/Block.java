package flopcast.measure.model;

import static flopcast.analytic.KeptActivation.ATTENTION_LOGSUMEXP;
import static flopcast.analytic.KeptActivation.ATTENTION_NORM_MEAN;
import static flopcast.analytic.KeptActivation.ATTENTION_NORM_OUTPUT;
import static flopcast.analytic.KeptActivation.ATTENTION_NORM_RMS;
import static flopcast.analytic.KeptActivation.ATTENTION_OUTPUT;
import static flopcast.analytic.KeptActivation.ATTENTION_POST_NORM_INPUT;
import static flopcast.analytic.KeptActivation.ATTENTION_POST_NORM_RMS;
import static flopcast.analytic.KeptActivation.ATTENTION_PROBABILITIES;
import static flopcast.analytic.KeptActivation.ATTENTION_RESIDUAL;
import static flopcast.analytic.KeptActivation.FFN_NORM_MEAN;
import static flopcast.analytic.KeptActivation.FFN_NORM_OUTPUT;
import static flopcast.analytic.KeptActivation.FFN_NORM_RMS;
import static flopcast.analytic.KeptActivation.FFN_POST_NORM_INPUT;
import static flopcast.analytic.KeptActivation.FFN_POST_NORM_RMS;
import static flopcast.analytic.KeptActivation.GATED_PRODUCT;
import static flopcast.analytic.KeptActivation.KEY;
import static flopcast.analytic.KeptActivation.KEY_NORM_RMS;
import static flopcast.analytic.KeptActivation.KEY_PRE_NORM;
import static flopcast.analytic.KeptActivation.QUERY;
import static flopcast.analytic.KeptActivation.QUERY_NORM_RMS;
import static flopcast.analytic.KeptActivation.QUERY_PRE_NORM;
import static flopcast.analytic.KeptActivation.SILU_OUTPUT;
import static flopcast.analytic.KeptActivation.VALUE;
import static flopcast.analytic.KeptActivation.W1_OUTPUT;
import static flopcast.analytic.KeptActivation.W3_OUTPUT;

import flopcast.analytic.Architecture;
import flopcast.analytic.Component;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.LoraTarget;
import flopcast.analytic.MlpKind;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Region;
import flopcast.analytic.Shape;
import flopcast.analytic.WorkspaceBuffer;
import flopcast.measure.buffers.KeptTensor;
import flopcast.measure.buffers.ModelBuffers;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.buffers.StoredTensor;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.counting.OpClass;
import java.util.EnumMap;
import java.util.Map;
import org.ejml.data.FMatrixRMaj;

/**
 * One block, x_mid = x + Attn(RMSNorm(x)), x_out = x_mid + FFN(RMSNorm(x_mid)) with norms before each
 * sublayer, x_mid = x + RMSNorm(Attn(x)) and x_out = x_mid + RMSNorm(FFN(x_mid)) with norms after, or
 * both ({@link flopcast.analytic.NormPlacement}), with its parameters, kept tensors and the shared
 * workspace bound once, for both passes; under experts the FFN is an {@link ExpertMlp}. Pinned by
 * {@code BlockTest}.
 */
final class Block {
    private final CountingOps ops;
    private final FlopCounter counter;
    private final Ops shared;

    /** The norms before attention and the MLP; null where the norms are after them only. */
    private final Parameter attentionGain;
    private final Parameter query;
    private final Parameter key;
    private final Parameter value;
    private final Parameter output;
    private final Parameter ffnGain;
    private final Parameter w1;
    private final Parameter w3;
    private final Parameter w2;
    /** Each projection's bias, null where the architecture gives it none ({@code LinearBias}). */
    private final Parameter queryBias;
    private final Parameter keyBias;
    private final Parameter valueBias;
    private final Parameter outputBias;
    private final Parameter w1Bias;
    private final Parameter w3Bias;
    private final Parameter w2Bias;
    /** The norms' biases and kept means under LayerNorm; null under RMSNorm. */
    private final Parameter attentionNormBias;
    private final Parameter ffnNormBias;
    private final KeptTensor attentionNormMean;
    private final KeptTensor ffnNormMean;
    /**
     * The norms after attention and the MLP, their inputs (the output projection's and W2's outputs) and
     * reciprocal RMS, and the gradient of such an input; all null where the norms are before them only.
     */
    private final Parameter attentionPostGain;
    private final Parameter ffnPostGain;
    private final KeptTensor attentionPostIn;
    private final KeptTensor attentionPostRms;
    private final KeptTensor ffnPostIn;
    private final KeptTensor ffnPostRms;
    private final StoredTensor postNormGradient;
    /** QK-norm's gains, and what it keeps and writes; all null without QK-norm. */
    private final Parameter queryNormGain;
    private final Parameter keyNormGain;
    private final KeptTensor queryPreNorm;
    private final KeptTensor keyPreNorm;
    private final KeptTensor queryNormRms;
    private final KeptTensor keyNormRms;
    private final StoredTensor queryPreNormGradient;
    private final StoredTensor keyPreNormGradient;

    private final KeptTensor input;
    private final KeptTensor attentionRms;
    private final KeptTensor attentionNormOut;
    private final KeptTensor queries;
    private final KeptTensor keys;
    private final KeptTensor values;
    private final KeptTensor probabilities;
    /** Eager attention's kept tanh of its soft-capped scores; null without a cap, or where not kept. */
    private final KeptTensor capped;
    /** Flash attention's kept log-sum-exp; null under eager. */
    private final KeptTensor logSumExp;
    private final KeptTensor attentionOut;
    private final KeptTensor middle;
    private final KeptTensor ffnRms;
    private final KeptTensor ffnNormOut;
    private final KeptTensor w1Out;
    private final KeptTensor w3Out;
    private final KeptTensor silu;
    private final KeptTensor product;
    private final KeptTensor out;

    /** Its attention: the windowed one, or the global one on a global layer under a window pattern. */
    private final CausalAttention attention;

    /** The block's mixture of experts in place of its MLP; null for a dense MLP. */
    private final ExpertMlp experts;

    /** True under full recomputation: only the input is kept, the rest rerun in backward. */
    private final boolean recomputes;

    private final StoredTensor residualGradient;
    private final StoredTensor normGradient;
    private final StoredTensor attentionOutGradient;
    private final StoredTensor queryGradient;
    private final StoredTensor keyGradient;
    private final StoredTensor valueGradient;
    private final StoredTensor productGradient;
    private final StoredTensor w3OutGradient;

    /**
     * The ops every block shares; each is stateless but for the attention's scratch. {@code gate} is
     * a gated MLP's activation (SwiGLU's or GeGLU's), {@code gelu} a two-matrix MLP's.
     */
    record Ops(BlockNorm norm, Linear query, Linear key, Linear value, Linear output, CausalAttention attention,
            Linear w1, Linear w3, Gate gate, Linear w2, RmsNorm qkNorm, Gelu gelu, Linear lora, float loraScale,
            StoredTensor loraHiddenGradient, CausalAttention globalAttention) {

        /** The ops of {@code shape}'s blocks, attention over at most {@code span} keys. */
        static Ops of(CountingOps ops, Shape shape, int span, ModelBuffers buffers) {
            Gelu gelu = new Gelu(ops);
            boolean lora = shape.settings().lora().active();
            return new Ops(new BlockNorm(ops, Component.RMSNORM), new Linear(ops, Component.QKV_PROJECTION),
                    new Linear(ops, Component.QKV_PROJECTION), new Linear(ops, Component.QKV_PROJECTION),
                    new Linear(ops, Component.OUTPUT_PROJECTION), new CausalAttention(ops, shape, span, buffers),
                    new Linear(ops, Component.FFN_W1), new Linear(ops, Component.FFN_W3),
                    shape.architecture().mlp() == MlpKind.GEGLU ? gelu : new SwiGlu(ops),
                    new Linear(ops, Component.FFN_W2), new RmsNorm(ops, Component.QKV_PROJECTION, OpClass.QK_NORM),
                    gelu, new Linear(ops, Component.LORA), lora ? (float) shape.settings().lora().scaling() : 0f,
                    lora ? buffers.workspace(WorkspaceBuffer.LORA_HIDDEN_GRADIENT) : null,
                    // the global layers' attention under a window pattern: every earlier key
                    shape.architecture().windowPattern() == Architecture.WINDOW_EVERY_LAYER ? null
                            : new CausalAttention(ops, shape, Math.toIntExact(shape.contextLength()), buffers,
                                    Component.ATTENTION_SOFTMAX_GLOBAL));
        }
    }

    /**
     * One projection's LoRA adapter: A (in x r), B (out x r, PEFT's layout) and the kept s * (x A).
     * y += (s * (x A)) B^T after the frozen projection's x W.
     */
    private record Adapter(Parameter a, Parameter b, KeptTensor hidden) {
    }

    /** The block's adapters by projection; empty where every parameter trains. */
    private final Map<LoraTarget, Adapter> adapters = new EnumMap<>(LoraTarget.class);

    Block(Shape shape, int layer, KeptTensor input, ModelBuffers buffers, CountingOps ops, Ops shared) {
        this.ops = ops;
        this.counter = ops.counter();
        this.shared = shared;
        attention = shape.architecture().globalLayer(layer) ? shared.globalAttention() : shared.attention();
        attentionGain = buffers.parameterIfHeld(ParameterTensor.ATTENTION_NORM_GAIN, layer);
        query = buffers.parameter(ParameterTensor.QUERY_WEIGHT, layer);
        key = buffers.parameter(ParameterTensor.KEY_WEIGHT, layer);
        value = buffers.parameter(ParameterTensor.VALUE_WEIGHT, layer);
        output = buffers.parameter(ParameterTensor.OUTPUT_WEIGHT, layer);
        ffnGain = buffers.parameterIfHeld(ParameterTensor.FFN_NORM_GAIN, layer);
        attentionPostGain = buffers.parameterIfHeld(ParameterTensor.ATTENTION_POST_NORM_GAIN, layer);
        ffnPostGain = buffers.parameterIfHeld(ParameterTensor.FFN_POST_NORM_GAIN, layer);
        attentionPostIn = buffers.keptOrRecomputed(ATTENTION_POST_NORM_INPUT, layer);
        attentionPostRms = buffers.keptOrRecomputed(ATTENTION_POST_NORM_RMS, layer);
        ffnPostIn = buffers.keptOrRecomputed(FFN_POST_NORM_INPUT, layer);
        ffnPostRms = buffers.keptOrRecomputed(FFN_POST_NORM_RMS, layer);
        postNormGradient = attentionPostGain == null ? null : buffers.workspace(WorkspaceBuffer.POST_NORM_INPUT_GRADIENT);
        boolean dense = !shape.architecture().experts().active();
        // under experts the matrices are each expert's, held by the ExpertMlp
        w1 = dense ? buffers.parameter(ParameterTensor.W1_WEIGHT, layer) : null;
        w3 = dense ? buffers.parameterIfHeld(ParameterTensor.W3_WEIGHT, layer) : null;
        w2 = dense ? buffers.parameter(ParameterTensor.W2_WEIGHT, layer) : null;
        queryBias = buffers.parameterIfHeld(ParameterTensor.QUERY_BIAS, layer);
        keyBias = buffers.parameterIfHeld(ParameterTensor.KEY_BIAS, layer);
        valueBias = buffers.parameterIfHeld(ParameterTensor.VALUE_BIAS, layer);
        outputBias = buffers.parameterIfHeld(ParameterTensor.OUTPUT_BIAS, layer);
        w1Bias = buffers.parameterIfHeld(ParameterTensor.W1_BIAS, layer);
        w3Bias = buffers.parameterIfHeld(ParameterTensor.W3_BIAS, layer);
        w2Bias = buffers.parameterIfHeld(ParameterTensor.W2_BIAS, layer);
        attentionNormBias = buffers.parameterIfHeld(ParameterTensor.ATTENTION_NORM_BIAS, layer);
        ffnNormBias = buffers.parameterIfHeld(ParameterTensor.FFN_NORM_BIAS, layer);
        attentionNormMean = buffers.keptOrRecomputed(ATTENTION_NORM_MEAN, layer);
        ffnNormMean = buffers.keptOrRecomputed(FFN_NORM_MEAN, layer);
        queryNormGain = buffers.parameterIfHeld(ParameterTensor.QUERY_NORM_GAIN, layer);
        keyNormGain = buffers.parameterIfHeld(ParameterTensor.KEY_NORM_GAIN, layer);
        boolean qkNorm = queryNormGain != null;
        queryPreNorm = buffers.keptOrRecomputed(QUERY_PRE_NORM, layer);
        keyPreNorm = buffers.keptOrRecomputed(KEY_PRE_NORM, layer);
        queryNormRms = buffers.keptOrRecomputed(QUERY_NORM_RMS, layer);
        keyNormRms = buffers.keptOrRecomputed(KEY_NORM_RMS, layer);
        queryPreNormGradient = qkNorm ? buffers.workspace(WorkspaceBuffer.QUERY_PRE_NORM_GRADIENT) : null;
        keyPreNormGradient = qkNorm ? buffers.workspace(WorkspaceBuffer.KEY_PRE_NORM_GRADIENT) : null;

        this.input = input;
        attentionRms = buffers.keptOrRecomputed(ATTENTION_NORM_RMS, layer);
        attentionNormOut = buffers.keptOrRecomputed(ATTENTION_NORM_OUTPUT, layer);
        queries = buffers.keptOrRecomputed(QUERY, layer);
        keys = buffers.keptOrRecomputed(KEY, layer);
        values = buffers.keptOrRecomputed(VALUE, layer);
        probabilities = buffers.keptOrRecomputed(ATTENTION_PROBABILITIES, layer);
        capped = buffers.keptOrRecomputed(KeptActivation.ATTENTION_SOFTCAP, layer);
        logSumExp = buffers.keptOrRecomputed(ATTENTION_LOGSUMEXP, layer);
        attentionOut = buffers.keptOrRecomputed(ATTENTION_OUTPUT, layer);
        middle = buffers.keptOrRecomputed(ATTENTION_RESIDUAL, layer);
        ffnRms = buffers.keptOrRecomputed(FFN_NORM_RMS, layer);
        ffnNormOut = buffers.keptOrRecomputed(FFN_NORM_OUTPUT, layer);
        w1Out = buffers.keptOrRecomputed(W1_OUTPUT, layer);
        w3Out = buffers.keptOrRecomputed(W3_OUTPUT, layer);
        silu = buffers.keptOrRecomputed(SILU_OUTPUT, layer);
        product = buffers.keptOrRecomputed(GATED_PRODUCT, layer);
        out = buffers.blockOutput(layer, Math.toIntExact(shape.layers()));
        residualGradient = buffers.workspace(WorkspaceBuffer.RESIDUAL_GRADIENT);
        normGradient = buffers.workspace(WorkspaceBuffer.NORM_OUTPUT_GRADIENT);
        // with no norm before the MLP its input is x_mid itself, and d(x_mid) gathers its input gradient
        experts = dense ? null : new ExpertMlp(shape, layer, buffers, ops, shared, ffnGain == null ? middle : ffnNormOut,
                w1Out, w3Out, silu, product, ffnPostGain == null ? out : ffnPostIn,
                ffnPostGain == null ? residualGradient : postNormGradient,
                ffnGain == null ? residualGradient : normGradient, ffnGain == null);

        for (LoraTarget target : LoraTarget.values()) {
            // under experts the MLP's adapters are each expert's, held by the ExpertMlp
            Parameter a = dense || !target.mlp() ? buffers.parameterIfHeld(ParameterTensor.loraA(target), layer)
                    : null;
            if (a != null) {
                adapters.put(target, new Adapter(a, buffers.parameter(ParameterTensor.loraB(target), layer),
                        buffers.keptOrRecomputed(KeptActivation.loraHidden(target), layer)));
            }
        }
        recomputes = shape.recompute().dropped().contains(Region.LAYER);
        attentionOutGradient = buffers.workspace(WorkspaceBuffer.ATTENTION_OUTPUT_GRADIENT);
        queryGradient = buffers.workspace(WorkspaceBuffer.QUERY_GRADIENT);
        keyGradient = buffers.workspace(WorkspaceBuffer.KEY_GRADIENT);
        valueGradient = buffers.workspace(WorkspaceBuffer.VALUE_GRADIENT);
        // shaped for this block: a dense layer's MLP among experts is wider or narrower than the experts' rows
        productGradient = buffers.workspace(WorkspaceBuffer.PRODUCT_GRADIENT, layer);
        w3OutGradient = !dense || w3 == null ? null : buffers.workspace(WorkspaceBuffer.W3_OUTPUT_GRADIENT, layer);
    }

    /** This block's output, the next block's input. */
    KeptTensor output() {
        return out;
    }

    /**
     * Every op reads its operands' stored values (widened from bfloat16 under a bf16 policy) and
     * rounds what it wrote back into storage ({@link StoredTensor}), so the next op, and the
     * backward pass, read what a bf16 run stores; under float32 the loads and stores are the
     * buffers themselves and cost nothing.
     */
    void forward() {
        KeptTensor h1 = input;
        if (attentionGain != null) {
            shared.norm().forward(input.use(), attentionGain, attentionNormBias, attentionNormOut, attentionRms,
                    attentionNormMean);
            h1 = attentionNormOut;
        }
        if (queryNormGain == null) {
            project(shared.query(), h1, query, queryBias, queries, LoraTarget.QUERY);
            project(shared.key(), h1, key, keyBias, keys, LoraTarget.KEY);
        } else {
            project(shared.query(), h1, query, queryBias, queryPreNorm, LoraTarget.QUERY);
            headNorm(queryPreNorm, queryNormGain, queries, queryNormRms);
            project(shared.key(), h1, key, keyBias, keyPreNorm, LoraTarget.KEY);
            headNorm(keyPreNorm, keyNormGain, keys, keyNormRms);
        }
        project(shared.value(), h1, value, valueBias, values, LoraTarget.VALUE);
        attention.forward(queries.use(), keys.use(), values.use(),
                probabilities == null ? null : probabilities.matrices(), capped == null ? null : capped.matrices(),
                logSumExp == null ? null : logSumExp.matrix(), attentionOut.matrix());
        if (probabilities != null) {
            probabilities.store();
        }
        if (capped != null) {
            capped.store();
        }
        if (logSumExp != null) {
            logSumExp.store();
        }
        attentionOut.store();
        if (attentionPostGain == null) {
            project(shared.output(), attentionOut, output, outputBias, middle, LoraTarget.OUTPUT);
        } else {
            project(shared.output(), attentionOut, output, outputBias, attentionPostIn, LoraTarget.OUTPUT);
            shared.norm().forward(attentionPostIn.use(), attentionPostGain, null, middle, attentionPostRms, null);
        }
        ops.addEquals(Component.OUTPUT_PROJECTION, middle.use(), input.use());
        middle.store();

        KeptTensor h2 = middle;
        if (ffnGain != null) {
            shared.norm().forward(middle.use(), ffnGain, ffnNormBias, ffnNormOut, ffnRms, ffnNormMean);
            h2 = ffnNormOut;
        }
        KeptTensor y = ffnPostGain == null ? out : ffnPostIn;
        if (experts != null) {
            experts.forward();
        } else {
            project(shared.w1(), h2, w1, w1Bias, w1Out, LoraTarget.W1);
            if (w3 == null) {
                // a two-matrix MLP: product = GELU(W1 h2)
                shared.gelu().forward(w1Out.use(), product.matrix());
            } else {
                project(shared.w3(), h2, w3, w3Bias, w3Out, LoraTarget.W3);
                shared.gate().forward(w1Out.use(), w3Out.use(), silu.matrix(), product.matrix());
                silu.store();
            }
            product.store();
            project(shared.w2(), product, w2, w2Bias, y, LoraTarget.W2);
        }
        if (ffnPostGain != null) {
            shared.norm().forward(ffnPostIn.use(), ffnPostGain, null, out, ffnPostRms, null);
        }
        ops.addEquals(Component.FFN_W2, out.use(), middle.use());
        out.store();
    }

    /**
     * y = x W (+ b where the projection has a bias, null where not) (+ (s * (x A)) B^T where
     * {@code target} carries a LoRA adapter) into a kept tensor, rounded into its storage.
     */
    private void project(Linear linear, KeptTensor x, Parameter weight, Parameter bias, KeptTensor y,
            LoraTarget target) {
        linear.forward(x.use(), weight.value.load(), y.matrix());
        if (bias != null) {
            linear.addBias(y.matrix(), bias.value.load());
        }
        Adapter adapter = adapters.get(target);
        if (adapter != null) {
            FMatrixRMaj hidden = adapter.hidden().matrix();
            shared.lora().forward(x.use(), adapter.a().value.load(), hidden);
            ops.scale(Component.LORA, hidden, shared.loraScale());
            adapter.hidden().store();
            ops.multAddTransB(Component.LORA, adapter.hidden().use(), adapter.b().value.load(), y.matrix());
        }
        y.store();
    }

    /**
     * Differentiates y = x W (+ b): dx = dy W^T (or dx += dy W^T) into a workspace gradient,
     * dW += x^T dy into the weight's gradient and, where there is a bias, dB += the sum of dy's rows
     * into its gradient, each rounded into its storage.
     */
    private void projectionBackward(Linear linear, KeptTensor x, StoredTensor dy, Parameter weight, Parameter bias,
            StoredTensor dx, boolean accumulate, LoraTarget target) {
        linear.backwardInput(dy.load(), weight.value.load(), accumulate ? dx.load() : dx.open(), accumulate);
        dx.store();
        if (weight.grad != null) {
            linear.backwardWeight(x.read(counter), dy.load(), weight.grad.load());
            weight.grad.store();
        }
        if (bias != null && bias.grad != null) {
            linear.backwardBias(dy.load(), bias.grad.load());
            bias.grad.store();
        }
        Adapter adapter = adapters.get(target);
        if (adapter != null) {
            adapterBackward(adapter, x, dy, dx);
        }
    }

    /**
     * Differentiates y += (s * (x A)) B^T: d(hidden) = dy B, dB += dy^T hidden, then d(x A) = s * d(hidden),
     * dA += x^T d(x A) and dx += d(x A) A^T, each rounded into its storage.
     */
    private void adapterBackward(Adapter adapter, KeptTensor x, StoredTensor dy, StoredTensor dx) {
        StoredTensor dHidden = shared.loraHiddenGradient();
        ops.mult(Component.LORA, dy.load(), adapter.b().value.load(), dHidden.open());
        dHidden.store();
        ops.multAddTransA(Component.LORA, dy.load(), adapter.hidden().read(counter), adapter.b().grad.load());
        adapter.b().grad.store();
        ops.scale(Component.LORA, dHidden.load(), shared.loraScale());
        dHidden.store();
        ops.multAddTransA(Component.LORA, x.read(counter), dHidden.load(), adapter.a().grad.load());
        adapter.a().grad.store();
        ops.multAddTransB(Component.LORA, dHidden.load(), adapter.a().value.load(), dx.load());
        dx.store();
    }


    /**
     * residualGradient holds d(x_out) on entry and d(x) on return. Under full recomputation the
     * block first reruns its forward pass from its kept input, counted as recompute.
     */
    void backward() {
        if (recomputes) {
            // the rerun reads the kept input: with no norm before attention and frozen Q, K and V, nothing else does
            input.read(counter);
            counter.pass(FlopCounter.Pass.RECOMPUTE);
            forward();
            counter.pass(FlopCounter.Pass.BACKWARD);
        }
        // x_out = x_mid + FFN(h2) (+ a norm after it), h2 = RMSNorm(x_mid) (or x_mid with no norm before it)
        StoredTensor dMlpOut = postNormBackward(ffnPostIn, ffnPostGain, ffnPostRms);
        if (experts != null) {
            experts.backward();
        } else {
            mlpBackward(dMlpOut);
        }
        if (ffnGain != null) {
            shared.norm().backward(normGradient, middle, ffnGain, ffnNormBias, ffnRms, ffnNormMean, residualGradient,
                    counter);
        }

        // x_mid = x + Wo(Attention(Q, K, V)) (+ a norm after it), Q, K, V = h1 Wq, h1 Wk, h1 Wv, h1 = RMSNorm(x)
        // (or x with no norm before attention)
        StoredTensor dProjected = postNormBackward(attentionPostIn, attentionPostGain, attentionPostRms);
        projectionBackward(shared.output(), attentionOut, dProjected, output, outputBias, attentionOutGradient,
                false, LoraTarget.OUTPUT);
        attention.backward(attentionOutGradient.load(), queries.read(counter), keys.read(counter),
                values.read(counter), probabilities == null ? null : probabilities.readAll(counter),
                capped == null ? null : capped.readAll(counter), logSumExp == null ? null : logSumExp.read(counter),
                attentionOut.read(counter), queryGradient.open(), keyGradient.open(), valueGradient.open());
        queryGradient.store();
        keyGradient.store();
        valueGradient.store();
        StoredTensor dQuery = queryGradient;
        StoredTensor dKey = keyGradient;
        if (queryNormGain != null) {
            headNormBackward(queryGradient, queryPreNorm, queryNormGain, queryNormRms, queryPreNormGradient);
            headNormBackward(keyGradient, keyPreNorm, keyNormGain, keyNormRms, keyPreNormGradient);
            dQuery = queryPreNormGradient;
            dKey = keyPreNormGradient;
        }
        // with no norm before attention, h1 is x: the projections' input gradients add into d(x) itself
        boolean normed = attentionGain != null;
        KeptTensor h1 = normed ? attentionNormOut : input;
        StoredTensor dh1 = normed ? normGradient : residualGradient;
        projectionBackward(shared.query(), h1, dQuery, query, queryBias, dh1, !normed, LoraTarget.QUERY);
        projectionBackward(shared.key(), h1, dKey, key, keyBias, dh1, true, LoraTarget.KEY);
        projectionBackward(shared.value(), h1, valueGradient, value, valueBias, dh1, true, LoraTarget.VALUE);
        if (normed) {
            shared.norm().backward(normGradient, input, attentionGain, attentionNormBias, attentionRms,
                    attentionNormMean, residualGradient, counter);
        }
    }

    /**
     * Differentiates a norm after a sublayer, y = RMSNorm(p) added into the residual stream: d(p) from
     * the residual gradient into the post-norm gradient, which it returns; with no such norm ({@code gain}
     * null) the residual gradient itself, the sublayer's output gradient.
     */
    private StoredTensor postNormBackward(KeptTensor p, Parameter gain, KeptTensor rms) {
        if (gain == null) {
            return residualGradient;
        }
        ops.zero(OpClass.RMSNORM, postNormGradient.open());
        postNormGradient.store();
        shared.norm().backward(residualGradient, p, gain, null, rms, null, postNormGradient, counter);
        return postNormGradient;
    }

    /**
     * Differentiates the dense MLP from d(out) in {@code dOut}: d(h2) into the norm-output gradient, or,
     * with no norm before the MLP, added into the residual gradient.
     */
    private void mlpBackward(StoredTensor dOut) {
        boolean normed = ffnGain != null;
        KeptTensor h2 = normed ? ffnNormOut : middle;
        StoredTensor dh2 = normed ? normGradient : residualGradient;
        projectionBackward(shared.w2(), product, dOut, w2, w2Bias, productGradient, false, LoraTarget.W2);
        if (w3 == null) {
            shared.gelu().backward(productGradient.load(), w1Out.read(counter));
            productGradient.store();
            projectionBackward(shared.w1(), h2, productGradient, w1, w1Bias, dh2, !normed, LoraTarget.W1);
        } else {
            shared.gate().backward(productGradient.load(), w1Out.read(counter), w3Out.read(counter),
                    silu.read(counter), w3OutGradient.open());
            productGradient.store();
            w3OutGradient.store();
            projectionBackward(shared.w1(), h2, productGradient, w1, w1Bias, dh2, !normed, LoraTarget.W1);
            projectionBackward(shared.w3(), h2, w3OutGradient, w3, w3Bias, dh2, true, LoraTarget.W3);
        }
    }

    /**
     * QK-norm: {@code x}'s rows split into heads of d_k values (the gain's width), each RMS-normalized
     * and multiplied by the gain into {@code out}, one reciprocal RMS per head and row kept.
     */
    private void headNorm(KeptTensor x, Parameter gain, KeptTensor out, KeptTensor rms) {
        FMatrixRMaj gains = gain.value.load();
        shared.qkNorm().forward(heads(x.use(), gains), gains, heads(out.matrix(), gains), rms.matrix());
        out.store();
        rms.store();
    }

    /** Differentiates {@link #headNorm}: d(x) written into {@code dx} (zeroed, then accumulated), the gain's gradient added. */
    private void headNormBackward(StoredTensor dOut, KeptTensor x, Parameter gain, KeptTensor rms, StoredTensor dx) {
        FMatrixRMaj gains = gain.value.load();
        FMatrixRMaj dxs = dx.open();
        ops.zero(OpClass.QK_NORM, dxs);
        shared.qkNorm().backward(heads(dOut.load(), gains), heads(x.read(counter), gains), gains, rms.read(counter),
                heads(dxs, gains), gain.grad == null ? null : gain.grad.load());
        dx.store();
        if (gain.grad != null) {
            gain.grad.store();
        }
    }

    /** The (B*T) x (heads*d_k) rows of {@code m} as (B*T*heads) x d_k rows, over the same floats. */
    private static FMatrixRMaj heads(FMatrixRMaj m, FMatrixRMaj gains) {
        int width = gains.getNumElements();
        return FMatrixRMaj.wrap(m.numRows * (m.numCols / width), width, m.data);
    }

}
