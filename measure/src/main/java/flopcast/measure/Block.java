package flopcast.measure;

import static flopcast.analytic.KeptActivation.ATTENTION_LOGSUMEXP;
import static flopcast.analytic.KeptActivation.ATTENTION_NORM_OUTPUT;
import static flopcast.analytic.KeptActivation.ATTENTION_NORM_RMS;
import static flopcast.analytic.KeptActivation.ATTENTION_OUTPUT;
import static flopcast.analytic.KeptActivation.ATTENTION_PROBABILITIES;
import static flopcast.analytic.KeptActivation.ATTENTION_RESIDUAL;
import static flopcast.analytic.KeptActivation.FFN_NORM_OUTPUT;
import static flopcast.analytic.KeptActivation.FFN_NORM_RMS;
import static flopcast.analytic.KeptActivation.FFN_RESIDUAL;
import static flopcast.analytic.KeptActivation.GATED_PRODUCT;
import static flopcast.analytic.KeptActivation.KEY;
import static flopcast.analytic.KeptActivation.QUERY;
import static flopcast.analytic.KeptActivation.SILU_OUTPUT;
import static flopcast.analytic.KeptActivation.VALUE;
import static flopcast.analytic.KeptActivation.W1_OUTPUT;
import static flopcast.analytic.KeptActivation.W3_OUTPUT;

import flopcast.analytic.Component;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.WorkspaceBuffer;
import org.ejml.data.FMatrixRMaj;

/**
 * One pre-norm block, x_mid = x + Attn(RMSNorm(x)), x_out = x_mid + FFN(RMSNorm(x_mid)), with its
 * parameters, kept tensors and the shared workspace bound once, for both passes.
 */
final class Block {
    private final CountingOps ops;
    private final FlopCounter counter;
    private final Ops shared;

    private final Parameter attentionGain;
    private final Parameter query;
    private final Parameter key;
    private final Parameter value;
    private final Parameter output;
    private final Parameter ffnGain;
    private final Parameter w1;
    private final Parameter w3;
    private final Parameter w2;

    private final KeptTensor input;
    private final KeptTensor attentionRms;
    private final KeptTensor attentionNormOut;
    private final KeptTensor queries;
    private final KeptTensor keys;
    private final KeptTensor values;
    private final KeptTensor probabilities;
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

    /** True under full recomputation: only the input is kept, the rest rerun in backward. */
    private final boolean recomputes;

    private final FMatrixRMaj residualGradient;
    private final FMatrixRMaj normGradient;
    private final FMatrixRMaj attentionOutGradient;
    private final FMatrixRMaj queryGradient;
    private final FMatrixRMaj keyGradient;
    private final FMatrixRMaj valueGradient;
    private final FMatrixRMaj productGradient;
    private final FMatrixRMaj w3OutGradient;

    /** The ops every block shares; each is stateless but for the attention's scratch. */
    record Ops(RmsNorm norm, Linear query, Linear key, Linear value, Linear output, CausalAttention attention,
            Linear w1, Linear w3, SwiGlu swiGlu, Linear w2) {
    }

    Block(int layer, KeptTensor input, ModelBuffers buffers, CountingOps ops, Ops shared) {
        this.ops = ops;
        this.counter = ops.counter();
        this.shared = shared;
        attentionGain = buffers.parameter(ParameterTensor.ATTENTION_NORM_GAIN, layer);
        query = buffers.parameter(ParameterTensor.QUERY_WEIGHT, layer);
        key = buffers.parameter(ParameterTensor.KEY_WEIGHT, layer);
        value = buffers.parameter(ParameterTensor.VALUE_WEIGHT, layer);
        output = buffers.parameter(ParameterTensor.OUTPUT_WEIGHT, layer);
        ffnGain = buffers.parameter(ParameterTensor.FFN_NORM_GAIN, layer);
        w1 = buffers.parameter(ParameterTensor.W1_WEIGHT, layer);
        w3 = buffers.parameter(ParameterTensor.W3_WEIGHT, layer);
        w2 = buffers.parameter(ParameterTensor.W2_WEIGHT, layer);

        this.input = input;
        attentionRms = buffers.keptOrRecomputed(ATTENTION_NORM_RMS, layer);
        attentionNormOut = buffers.keptOrRecomputed(ATTENTION_NORM_OUTPUT, layer);
        queries = buffers.keptOrRecomputed(QUERY, layer);
        keys = buffers.keptOrRecomputed(KEY, layer);
        values = buffers.keptOrRecomputed(VALUE, layer);
        probabilities = buffers.keptOrRecomputed(ATTENTION_PROBABILITIES, layer);
        logSumExp = buffers.keptOrRecomputed(ATTENTION_LOGSUMEXP, layer);
        attentionOut = buffers.keptOrRecomputed(ATTENTION_OUTPUT, layer);
        middle = buffers.keptOrRecomputed(ATTENTION_RESIDUAL, layer);
        ffnRms = buffers.keptOrRecomputed(FFN_NORM_RMS, layer);
        ffnNormOut = buffers.keptOrRecomputed(FFN_NORM_OUTPUT, layer);
        w1Out = buffers.keptOrRecomputed(W1_OUTPUT, layer);
        w3Out = buffers.keptOrRecomputed(W3_OUTPUT, layer);
        silu = buffers.keptOrRecomputed(SILU_OUTPUT, layer);
        product = buffers.keptOrRecomputed(GATED_PRODUCT, layer);
        out = buffers.kept(FFN_RESIDUAL, layer);

        recomputes = !buffers.keeps(ATTENTION_NORM_OUTPUT);
        residualGradient = buffers.workspace(WorkspaceBuffer.RESIDUAL_GRADIENT);
        normGradient = buffers.workspace(WorkspaceBuffer.NORM_OUTPUT_GRADIENT);
        attentionOutGradient = buffers.workspace(WorkspaceBuffer.ATTENTION_OUTPUT_GRADIENT);
        queryGradient = buffers.workspace(WorkspaceBuffer.QUERY_GRADIENT);
        keyGradient = buffers.workspace(WorkspaceBuffer.KEY_GRADIENT);
        valueGradient = buffers.workspace(WorkspaceBuffer.VALUE_GRADIENT);
        productGradient = buffers.workspace(WorkspaceBuffer.PRODUCT_GRADIENT);
        w3OutGradient = buffers.workspace(WorkspaceBuffer.W3_OUTPUT_GRADIENT);
    }

    /** This block's output, the next block's input. */
    KeptTensor output() {
        return out;
    }

    void forward() {
        FMatrixRMaj x = input.matrix();
        shared.norm().forward(x, attentionGain.value, attentionNormOut.matrix(), attentionRms.matrix());
        FMatrixRMaj h1 = attentionNormOut.matrix();
        shared.query().forward(h1, query.value, queries.matrix());
        shared.key().forward(h1, key.value, keys.matrix());
        shared.value().forward(h1, value.value, values.matrix());
        shared.attention().forward(queries.matrix(), keys.matrix(), values.matrix(),
                probabilities == null ? null : probabilities.matrices(), logSumExp == null ? null : logSumExp.matrix(),
                attentionOut.matrix());
        shared.output().forward(attentionOut.matrix(), output.value, middle.matrix());
        ops.addEquals(Component.OUTPUT_PROJECTION, middle.matrix(), x);

        FMatrixRMaj xMid = middle.matrix();
        shared.norm().forward(xMid, ffnGain.value, ffnNormOut.matrix(), ffnRms.matrix());
        FMatrixRMaj h2 = ffnNormOut.matrix();
        shared.w1().forward(h2, w1.value, w1Out.matrix());
        shared.w3().forward(h2, w3.value, w3Out.matrix());
        shared.swiGlu().forward(w1Out.matrix(), w3Out.matrix(), silu.matrix(), product.matrix());
        shared.w2().forward(product.matrix(), w2.value, out.matrix());
        ops.addEquals(Component.FFN_W2, out.matrix(), xMid);
    }

    /**
     * residualGradient holds d(x_out) on entry and d(x) on return. Under full recomputation the
     * block first reruns its forward pass from its kept input, counted as recompute.
     */
    void backward() {
        if (recomputes) {
            counter.pass(FlopCounter.Pass.RECOMPUTE);
            forward();
            counter.pass(FlopCounter.Pass.BACKWARD);
        }
        FMatrixRMaj dx = residualGradient;
        // x_out = x_mid + W2(SiLU(W1 h2) * W3 h2), h2 = RMSNorm(x_mid)
        shared.w2().backwardInput(dx, w2.value, productGradient, false);
        shared.w2().backwardWeight(product.read(counter), dx, w2.grad);
        shared.swiGlu().backward(productGradient, w1Out.read(counter), w3Out.read(counter), silu.read(counter),
                w3OutGradient);
        FMatrixRMaj h2 = ffnNormOut.read(counter);
        shared.w1().backwardInput(productGradient, w1.value, normGradient, false);
        shared.w1().backwardWeight(h2, productGradient, w1.grad);
        shared.w3().backwardInput(w3OutGradient, w3.value, normGradient, true);
        shared.w3().backwardWeight(h2, w3OutGradient, w3.grad);
        shared.norm().backward(normGradient, middle.read(counter), ffnGain.value, ffnRms.read(counter), dx,
                ffnGain.grad);

        // x_mid = x + Wo(Attention(Q, K, V)), Q, K, V = h1 Wq, h1 Wk, h1 Wv, h1 = RMSNorm(x)
        shared.output().backwardInput(dx, output.value, attentionOutGradient, false);
        shared.output().backwardWeight(attentionOut.read(counter), dx, output.grad);
        shared.attention().backward(attentionOutGradient, queries.read(counter), keys.read(counter),
                values.read(counter), probabilities == null ? null : probabilities.readAll(counter),
                logSumExp == null ? null : logSumExp.read(counter), attentionOut.read(counter), queryGradient,
                keyGradient, valueGradient);
        FMatrixRMaj h1 = attentionNormOut.read(counter);
        shared.query().backwardInput(queryGradient, query.value, normGradient, false);
        shared.query().backwardWeight(h1, queryGradient, query.grad);
        shared.key().backwardInput(keyGradient, key.value, normGradient, true);
        shared.key().backwardWeight(h1, keyGradient, key.grad);
        shared.value().backwardInput(valueGradient, value.value, normGradient, true);
        shared.value().backwardWeight(h1, valueGradient, value.grad);
        shared.norm().backward(normGradient, input.read(counter), attentionGain.value, attentionRms.read(counter), dx,
                attentionGain.grad);
    }
}
