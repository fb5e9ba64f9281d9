package flopcast.measure.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flopcast.analytic.Architecture;
import flopcast.analytic.Component;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.Shape;
import flopcast.measure.buffers.ModelBuffers;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;
import java.util.Arrays;
import java.util.Random;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.api.Test;

/** Every op's backward against central finite differences of its forward (tolerance in FiniteDifference). */
class OpGradientTest {
    private final Random random = new Random(42);
    private final CountingOps ops = new CountingOps(new FlopCounter(), backend());

    /** The backend whose kernels are checked: EJML's here, the vector one in {@link VectorOpGradientTest}. */
    MatmulBackend backend() {
        return MatmulBackend.ejml();
    }

    private FMatrixRMaj gaussian(int rows, int cols, double std) {
        FMatrixRMaj matrix = new FMatrixRMaj(rows, cols);
        FiniteDifference.fillGaussian(matrix.data, random, std);
        return matrix;
    }

    @Test
    void rmsNormInputAndGain() {
        RmsNorm norm = new RmsNorm(ops, Component.RMSNORM);
        FMatrixRMaj x = gaussian(3, 5, 1);
        FMatrixRMaj gain = gaussian(1, 5, 1);
        FMatrixRMaj weights = gaussian(3, 5, 1);
        FMatrixRMaj y = new FMatrixRMaj(3, 5);
        FMatrixRMaj r = new FMatrixRMaj(3, 1);
        FMatrixRMaj dx = new FMatrixRMaj(3, 5);
        FMatrixRMaj dGain = new FMatrixRMaj(1, 5);
        norm.forward(x, gain, y, r);
        norm.backward(weights, x, gain, r, dx, dGain);
        Runnable forward = () -> norm.forward(x, gain, y, r);
        int checked = checkedEntries(forward, weights, y, 100,
                new Gradient("rmsnorm dx", x, dx), new Gradient("rmsnorm dgain", gain, dGain));
        assertEquals(20, checked);
    }

    @Test
    void layerNormInputGainAndBias() {
        LayerNorm norm = new LayerNorm(ops, Component.RMSNORM);
        FMatrixRMaj x = gaussian(3, 5, 1);
        FMatrixRMaj gain = gaussian(1, 5, 1);
        FMatrixRMaj bias = gaussian(1, 5, 1);
        FMatrixRMaj weights = gaussian(3, 5, 1);
        FMatrixRMaj y = new FMatrixRMaj(3, 5);
        FMatrixRMaj r = new FMatrixRMaj(3, 1);
        FMatrixRMaj mean = new FMatrixRMaj(3, 1);
        FMatrixRMaj dx = new FMatrixRMaj(3, 5);
        FMatrixRMaj dGain = new FMatrixRMaj(1, 5);
        FMatrixRMaj dBias = new FMatrixRMaj(1, 5);
        norm.forward(x, gain, bias, y, r, mean);
        norm.backward(weights, x, gain, r, mean, dx, dGain, dBias);
        Runnable forward = () -> norm.forward(x, gain, bias, y, r, mean);
        int checked = checkedEntries(forward, weights, y, 100, new Gradient("layernorm dx", x, dx),
                new Gradient("layernorm dgain", gain, dGain), new Gradient("layernorm dbias", bias, dBias));
        assertEquals(25, checked);
        for (int row = 0; row < 3; row++) {
            double sum = 0;
            double squares = 0;
            for (int j = 0; j < 5; j++) {
                sum += x.data[row * 5 + j];
            }
            for (int j = 0; j < 5; j++) {
                squares += Math.pow(x.data[row * 5 + j] - sum / 5, 2);
            }
            assertEquals(sum / 5, mean.data[row], 1e-6, "the row's mean kept");
            assertEquals(1 / Math.sqrt(squares / 5 + 1e-5), r.data[row], 1e-5 * r.data[row], "1 / its std kept");
        }
    }

    @Test
    void geluInput() {
        Gelu gelu = new Gelu(ops);
        FMatrixRMaj a = gaussian(4, 6, 1.5);
        FMatrixRMaj weights = gaussian(4, 6, 1);
        FMatrixRMaj y = new FMatrixRMaj(4, 6);
        gelu.forward(a, y);
        FMatrixRMaj da = weights.copy();
        gelu.backward(da, a);
        int checked = checkedEntries(() -> gelu.forward(a, y), weights, y, 100, new Gradient("gelu da", a, da));
        assertEquals(24, checked);
        // the tanh form against its definition at one point: GELU(1) = 0.5 (1 + tanh(sqrt(2/pi) 1.044715))
        FMatrixRMaj one = new FMatrixRMaj(1, 1, true, 1f);
        FMatrixRMaj out = new FMatrixRMaj(1, 1);
        gelu.forward(one, out);
        assertEquals(0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), out.data[0], 1e-6);
    }

    /** GeGLU's gate g = GELU(a) * b: both inputs' gradients against finite differences. */
    @Test
    void gegluInputs() {
        Gelu gelu = new Gelu(ops);
        FMatrixRMaj a = gaussian(4, 6, 1.5);
        FMatrixRMaj b = gaussian(4, 6, 1);
        FMatrixRMaj weights = gaussian(4, 6, 1);
        FMatrixRMaj activation = new FMatrixRMaj(4, 6);
        FMatrixRMaj g = new FMatrixRMaj(4, 6);
        gelu.forward(a, b, activation, g);
        FMatrixRMaj da = weights.copy();
        FMatrixRMaj db = new FMatrixRMaj(4, 6);
        gelu.backward(da, a, b, activation, db);
        int checked = checkedEntries(() -> gelu.forward(a, b, activation, g), weights, g, 100,
                new Gradient("geglu da", a, da), new Gradient("geglu db", b, db));
        assertEquals(48, checked);
    }

    @Test
    void rmsNormBackwardAccumulatesIntoTheResidualGradient() {
        RmsNorm norm = new RmsNorm(ops, Component.RMSNORM);
        FMatrixRMaj x = gaussian(2, 4, 1);
        FMatrixRMaj gain = gaussian(1, 4, 1);
        FMatrixRMaj dy = gaussian(2, 4, 1);
        FMatrixRMaj r = new FMatrixRMaj(2, 1);
        norm.forward(x, gain, new FMatrixRMaj(2, 4), r);
        FMatrixRMaj fresh = new FMatrixRMaj(2, 4);
        norm.backward(dy, x, gain, r, fresh, new FMatrixRMaj(1, 4));
        FMatrixRMaj accumulated = new FMatrixRMaj(2, 4);
        Arrays.fill(accumulated.data, 1f);
        norm.backward(dy, x, gain, r, accumulated, new FMatrixRMaj(1, 4));
        for (int i = 0; i < 8; i++) {
            assertEquals(fresh.data[i] + 1f, accumulated.data[i], 1e-6f);
        }
    }

    @Test
    void swiGluBothInputs() {
        SwiGlu swiGlu = new SwiGlu(ops);
        FMatrixRMaj a = gaussian(4, 6, 1.5);
        FMatrixRMaj b = gaussian(4, 6, 1);
        FMatrixRMaj weights = gaussian(4, 6, 1);
        FMatrixRMaj s = new FMatrixRMaj(4, 6);
        FMatrixRMaj g = new FMatrixRMaj(4, 6);
        swiGlu.forward(a, b, s, g);
        FMatrixRMaj dA = weights.copy();
        FMatrixRMaj dB = new FMatrixRMaj(4, 6);
        swiGlu.backward(dA, a, b, s, dB);
        Runnable forward = () -> swiGlu.forward(a, b, s, g);
        int checked = checkedEntries(forward, weights, g, 100,
                new Gradient("swiglu da", a, dA), new Gradient("swiglu db", b, dB));
        assertEquals(48, checked);
    }

    @Test
    void crossEntropyLogits() {
        CrossEntropy loss = new CrossEntropy(ops, new FMatrixRMaj(5, 1));
        FMatrixRMaj logits = gaussian(5, 7, 2);
        int[] targets = {0, 6, 3, 3, 1};
        FMatrixRMaj probabilities = logits.copy();
        loss.forward(probabilities, targets);
        loss.backward(probabilities, targets);
        int checked = FiniteDifference.check("cross-entropy", logits.data, probabilities.data,
                () -> loss.forward(logits.copy(), targets), 100, random);
        assertEquals(35, checked);
    }

    @Test
    void linearInputAndWeight() {
        Linear linear = new Linear(ops, Component.FFN_W1);
        FMatrixRMaj x = gaussian(3, 4, 1);
        FMatrixRMaj w = gaussian(4, 5, 1);
        FMatrixRMaj weights = gaussian(3, 5, 1);
        FMatrixRMaj y = new FMatrixRMaj(3, 5);
        FMatrixRMaj dx = new FMatrixRMaj(3, 4);
        FMatrixRMaj dw = new FMatrixRMaj(4, 5);
        linear.backwardInput(weights, w, dx, false);
        linear.backwardWeight(x, weights, dw);
        Runnable forward = () -> linear.forward(x, w, y);
        int checked = checkedEntries(forward, weights, y, 100,
                new Gradient("linear dx", x, dx), new Gradient("linear dw", w, dw));
        assertEquals(32, checked);
    }

    @Test
    void embeddingTable() {
        Embedding embedding = new Embedding(ops);
        FMatrixRMaj table = gaussian(5, 3, 1);
        int[] ids = {4, 1, 4, 0};
        FMatrixRMaj weights = gaussian(4, 3, 1);
        FMatrixRMaj out = new FMatrixRMaj(4, 3);
        FMatrixRMaj grad = new FMatrixRMaj(5, 3);
        embedding.backward(ids, weights, grad);
        int checked = FiniteDifference.check("embedding", table.data, grad.data,
                loss(() -> embedding.forward(ids, table, out), weights, out), 100, random);
        assertEquals(15, checked);
    }

    @Test
    void causalAttentionQueriesKeysValues() {
        // B = 2, T = 4, d = 6, h = 3 (d_k = 2)
        Shape shape = new Shape(5, 4, 1, 6, 3, 8, 2);
        ModelBuffers buffers = new ModelBuffers(shape);
        CausalAttention attention = new CausalAttention(ops, shape, 4, buffers);
        FMatrixRMaj q = gaussian(8, 6, 1);
        FMatrixRMaj k = gaussian(8, 6, 1);
        FMatrixRMaj v = gaussian(8, 6, 1);
        FMatrixRMaj weights = gaussian(8, 6, 1);
        FMatrixRMaj[] probabilities = buffers.kept(KeptActivation.ATTENTION_PROBABILITIES, 0).matrices();
        FMatrixRMaj out = new FMatrixRMaj(8, 6);
        FMatrixRMaj dq = new FMatrixRMaj(8, 6);
        FMatrixRMaj dk = new FMatrixRMaj(8, 6);
        FMatrixRMaj dv = new FMatrixRMaj(8, 6);
        attention.forward(q, k, v, probabilities, null, null, out);
        attention.backward(weights, q, k, v, probabilities, null, null, null, dq, dk, dv);
        Runnable forward = () -> attention.forward(q, k, v, probabilities, null, null, out);
        int checked = checkedEntries(forward, weights, out, 100,
                new Gradient("attention dq", q, dq), new Gradient("attention dk", k, dk),
                new Gradient("attention dv", v, dv));
        assertEquals(144, checked);
    }

    /**
     * Flash attention over T = 67 (a 64-position tile and a ragged one of 3), two query heads on one
     * key and value head: dQ, dK and dV against finite differences, and the output and gradients
     * equal eager attention's within {@value #FLASH_AGREEMENT} of each tensor's largest (float32 sums
     * in tile order against row order, exp of differently shifted arguments: measured about 1e-6).
     */
    @Test
    void flashAttentionMatchesFiniteDifferencesAndEager() {
        Shape eager = new Shape(5, 67, 1, 4, 2, 8, 1).withArchitecture(new Architecture(1, false));
        Shape flash = eager.withSettings(new flopcast.analytic.Settings(flopcast.analytic.PrecisionPolicy.FP32,
                flopcast.analytic.AttentionKernel.FLASH, flopcast.analytic.Recompute.NONE));
        ModelBuffers buffers = new ModelBuffers(flash);
        CausalAttention attention = new CausalAttention(ops, flash, 67, buffers);
        FMatrixRMaj q = gaussian(67, 4, 1);
        FMatrixRMaj k = gaussian(67, 2, 1);
        FMatrixRMaj v = gaussian(67, 2, 1);
        FMatrixRMaj weights = gaussian(67, 4, 1);
        FMatrixRMaj lse = buffers.kept(KeptActivation.ATTENTION_LOGSUMEXP, 0).matrix();
        FMatrixRMaj out = new FMatrixRMaj(67, 4);
        FMatrixRMaj dq = new FMatrixRMaj(67, 4);
        FMatrixRMaj dk = new FMatrixRMaj(67, 2);
        FMatrixRMaj dv = new FMatrixRMaj(67, 2);
        attention.forward(q, k, v, null, null, lse, out);
        attention.backward(weights, q, k, v, null, null, lse, out, dq, dk, dv);
        float[][] flashResults = {out.data.clone(), dq.data.clone(), dk.data.clone(), dv.data.clone()};
        Runnable forward = () -> attention.forward(q, k, v, null, null, lse, out);
        int checked = checkedEntries(forward, weights, out, 60,
                new Gradient("flash dq", q, dq), new Gradient("flash dk", k, dk), new Gradient("flash dv", v, dv));
        assertEquals(180, checked);

        ModelBuffers eagerBuffers = new ModelBuffers(eager);
        CausalAttention reference = new CausalAttention(ops, eager, 67, eagerBuffers);
        FMatrixRMaj[] probabilities = eagerBuffers.kept(KeptActivation.ATTENTION_PROBABILITIES, 0).matrices();
        FMatrixRMaj eagerOut = new FMatrixRMaj(67, 4);
        reference.forward(q, k, v, probabilities, null, null, eagerOut);
        FMatrixRMaj edq = new FMatrixRMaj(67, 4);
        FMatrixRMaj edk = new FMatrixRMaj(67, 2);
        FMatrixRMaj edv = new FMatrixRMaj(67, 2);
        reference.backward(weights, q, k, v, probabilities, null, null, null, edq, edk, edv);
        float[][] eagerResults = {eagerOut.data, edq.data, edk.data, edv.data};
        for (int t = 0; t < 4; t++) {
            float largest = 0;
            for (float value : eagerResults[t]) {
                largest = Math.max(largest, Math.abs(value));
            }
            for (int i = 0; i < eagerResults[t].length; i++) {
                assertEquals(eagerResults[t][i], flashResults[t][i], FLASH_AGREEMENT * largest, "tensor " + t + "[" + i + "]");
            }
        }
    }

    private static final float FLASH_AGREEMENT = 1e-5f;

    @Test
    void causalAttentionIgnoresLaterPositions() {
        Shape shape = new Shape(5, 4, 1, 4, 2, 8, 1);
        ModelBuffers buffers = new ModelBuffers(shape);
        CausalAttention attention = new CausalAttention(ops, shape, 4, buffers);
        FMatrixRMaj q = gaussian(4, 4, 1);
        FMatrixRMaj k = gaussian(4, 4, 1);
        FMatrixRMaj v = gaussian(4, 4, 1);
        FMatrixRMaj[] probabilities = buffers.kept(KeptActivation.ATTENTION_PROBABILITIES, 0).matrices();
        FMatrixRMaj before = new FMatrixRMaj(4, 4);
        attention.forward(q, k, v, probabilities, null, null, before);
        for (int j = 0; j < 4; j++) {
            k.set(3, j, 100f);
            v.set(3, j, -100f);
        }
        FMatrixRMaj after = new FMatrixRMaj(4, 4);
        attention.forward(q, k, v, probabilities, null, null, after);
        for (int i = 0; i < 12; i++) {
            assertEquals(before.data[i], after.data[i], 0f, "rows 0..2 cannot see position 3");
        }
    }

    /** Runs the forward, then returns sum(weights * output) in double. */
    /** An input, the gradient backward wrote for it, and the name a failure reports. */
    private record Gradient(String name, FMatrixRMaj input, FMatrixRMaj gradient) {
    }

    /**
     * Each gradient against central finite differences of the loss sum(weights .* output) after
     * {@code forward}, at {@code samples} entries each; how many entries were checked.
     */
    private int checkedEntries(Runnable forward, FMatrixRMaj weights, FMatrixRMaj output, int samples,
            Gradient... gradients) {
        int checked = 0;
        for (Gradient gradient : gradients) {
            checked += FiniteDifference.check(gradient.name(), gradient.input().data, gradient.gradient().data,
                    loss(forward, weights, output), samples, random);
        }
        return checked;
    }

    private static java.util.function.DoubleSupplier loss(Runnable forward, FMatrixRMaj weights, FMatrixRMaj output) {
        return () -> {
            forward.run();
            return FiniteDifference.dot(weights.data, output.data);
        };
    }
}
