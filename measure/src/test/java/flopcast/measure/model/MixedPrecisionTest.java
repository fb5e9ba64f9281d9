package flopcast.measure.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Architecture;
import flopcast.analytic.AttentionKernel;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Recompute;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import flopcast.measure.buffers.BFloat16;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.counting.CountingTest;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.run.BackendChoice;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bf16 policies executed: every bfloat16 tensor stored as 16-bit values, every op computing in
 * float32 on its operands widened and rounding what it writes (to nearest even).
 *
 * <p>Tolerances, and why. bfloat16 keeps 8 significant bits, so each stored value is within
 * u = 2^-8 of the float32 it rounds (relative). A weight's gradient passes through every tensor
 * the forward and backward passes store between it and the loss, about 16 per block and 5 outside
 * them; the errors do not add up in one direction, and against the float32 model at the same
 * weights the worst gradient element measured 2.5e-2 of its tensor's largest (6.5 u, two blocks).
 * {@link #GRADIENT_TOLERANCE} is 16 u = 2^-4 of the tensor's largest: two and a half times that,
 * and far below what a wrong or missing backward term gives (of the order of the gradient itself).
 * The loss is computed in float32 from rounded logits: within u of float32's
 * ({@link #LOSS_TOLERANCE}; measured 8.6e-5).
 */
class MixedPrecisionTest {
    /** Of each gradient tensor's largest element: 16 bfloat16 roundings, 2^-4. */
    static final double GRADIENT_TOLERANCE = 16 * BFloat16.EPSILON / 2;
    /** Relative: one bfloat16 rounding, 2^-8. */
    static final double LOSS_TOLERANCE = BFloat16.EPSILON / 2;

    /** The tensors each policy stores in bfloat16, as {@link PrecisionPolicy} tabulates them. */
    @ParameterizedTest
    @CsvSource({"fp32, float32, float32, -, float32, float32", "bf16-mixed, bfloat16, bfloat16, float32, float32, float32",
            "bf16-mixed-fp32-grads, bfloat16, float32, float32, float32, float32",
            "bf16, bfloat16, bfloat16, -, bfloat16, bfloat16"})
    void eachTensorIsStoredInItsPolicysType(String policy, String weights, String gradients, String master,
            String m, String v) {
        Shape shape = new Shape(7, 3, 2, 8, 4, 6, 2).withPolicy(PrecisionPolicy.byName(policy));
        TransformerModel model = new TransformerModel(shape, 1, new FlopCounter());
        for (Parameter parameter : model.parameters()) {
            assertEquals(weights, parameter.value.dataType().label());
            assertEquals(gradients, parameter.grad.dataType().label());
            assertEquals(master, parameter.master == null ? "-" : parameter.master.dataType().label());
            assertEquals(m, parameter.m.dataType().label());
            assertEquals(v, parameter.v.dataType().label());
        }
    }

    /**
     * At the same (bfloat16-representable) weights, each bf16 policy's loss and gradients are the
     * float32 model's within bfloat16 rounding, and not bit for bit the same (so the rounding is
     * really done), under both kernels, recomputation, GQA and tying, on both backends.
     */
    @ParameterizedTest
    @CsvSource({"bf16-mixed, V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 tied, ejml, 1",
            "bf16-mixed-fp32-grads, V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2, ejml, 2",
            "bf16, V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 tied recompute=full, vector, 2",
            "bf16-mixed, V=7 T=67 L=1 d=8 h=4 d_ff=6 B=2 h_kv=2 tied flash recompute=selective, ejml, 2",
            "bf16-mixed, V=61 T=32 L=2 d=48 h=4 d_ff=80 B=3 h_kv=2 tied, vector, 2",
            "bf16, V=61 T=32 L=2 d=48 h=4 d_ff=80 B=3 recompute=selective, ejml, 1"})
    void gradientsAreFloat32sWithinBfloat16Rounding(String policy, String described, String backend, int threads) {
        Shape float32 = ShapeKey.parse(described);
        Shape bf16 = float32.withPolicy(PrecisionPolicy.byName(policy));
        MatmulBackend matmuls = BackendChoice.of(backend, threads);
        TransformerModel[] models = {new TransformerModel(float32, 5, new FlopCounter(), matmuls),
                new TransformerModel(bf16, 5, new FlopCounter(), matmuls)};
        Random random = new Random(6);
        for (int t = 0; t < models[0].parameters().size(); t++) {
            float[] weights = new float[models[0].parameters().get(t).size()];
            FiniteDifference.fillGaussian(weights, random, 0.3);
            for (int i = 0; i < weights.length; i++) {
                weights[i] = BFloat16.rounded(weights[i]);
            }
            for (TransformerModel model : models) {
                model.parameters().get(t).setWeights(weights);
            }
        }
        int[][] batch = CountingTest.Counted.batch(float32, new Random(3));
        float[] losses = new float[2];
        for (int run = 0; run < 2; run++) {
            losses[run] = models[run].forward(batch[0], batch[1]);
            models[run].backward();
        }
        assertEquals(losses[0], losses[1], LOSS_TOLERANCE * losses[0], "loss");
        boolean anyDifferent = false;
        for (int t = 0; t < models[0].parameters().size(); t++) {
            float[] expected = models[0].parameters().get(t).gradient();
            float[] actual = models[1].parameters().get(t).gradient();
            float largest = 0;
            for (float value : expected) {
                largest = Math.max(largest, Math.abs(value));
            }
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], GRADIENT_TOLERANCE * largest,
                        models[0].parameters().get(t).row().tensorName() + " [" + i + "]");
                anyDifferent |= expected[i] != actual[i];
            }
        }
        assertTrue(anyDifferent, "bfloat16 storage changed no gradient: nothing was rounded");
    }

    /**
     * The bf16 model's gradients against finite differences of the loss at its (bfloat16) weights:
     * central differences of the float32 model's loss there ({@link FiniteDifference}'s step and
     * tolerance), plus {@link #GRADIENT_TOLERANCE} of each tensor's largest gradient for bfloat16's
     * rounding, under GQA, tying, flash attention and recomputation. The bf16 model's own loss is no
     * function to differentiate this way: its round-off (u * |loss|, 8e-3) would need a step near
     * 0.1, where the loss is far from linear (one embedding weight of a tied model: gradient 0.71,
     * float32 central difference 0.10 at a step of 0.0625).
     */
    @ParameterizedTest
    @CsvSource({"bf16-mixed, V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 tied", "bf16, V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2",
            "bf16-mixed-fp32-grads, V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 h_kv=1 recompute=selective",
            "bf16-mixed, V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 tied flash recompute=selective",
            "bf16, V=7 T=3 L=2 d=8 h=4 d_ff=6 B=2 h_kv=2 tied flash recompute=full"})
    void gradientsMatchFiniteDifferences(String policy, String described) {
        Shape float32 = ShapeKey.parse(described);
        Shape bf16 = float32.withPolicy(PrecisionPolicy.byName(policy));
        TransformerModel reference = new TransformerModel(float32, 3, new FlopCounter());
        TransformerModel model = new TransformerModel(bf16, 3, new FlopCounter());
        Random random = new Random(5);
        for (int t = 0; t < model.parameters().size(); t++) {
            float[] weights = new float[model.parameters().get(t).size()];
            FiniteDifference.fillGaussian(weights, random, 0.5);
            model.parameters().get(t).setWeights(weights);
            reference.parameters().get(t).setWeights(model.parameters().get(t).weights());
        }
        int[][] batch = CountingTest.Counted.batch(float32, random);
        model.forward(batch[0], batch[1]);
        model.backward();
        int checked = 0;
        for (int t = 0; t < model.parameters().size(); t++) {
            checked += assertMatchesFloat32Differences(model.parameters().get(t), reference, t, batch, random);
        }
        assertEquals(4 * model.parameters().size(), checked);
    }

    /**
     * The gradient {@code parameter} holds (of a bf16 model) against central differences of
     * {@code reference}'s float32 loss at four random values of its tensor {@code t}: within
     * {@link FiniteDifference}'s tolerance plus {@link #GRADIENT_TOLERANCE} of the gradient's largest
     * element. Returns the values checked, 4.
     */
    static int assertMatchesFloat32Differences(Parameter parameter, TransformerModel reference, int t,
            int[][] batch, Random random) {
        float[] gradient = parameter.gradient();
        float largest = 0;
        for (float value : gradient) {
            largest = Math.max(largest, Math.abs(value));
        }
        float[] weights = reference.parameters().get(t).value().data;
        for (int s = 0; s < 4; s++) {
            int i = random.nextInt(weights.length);
            float original = weights[i];
            weights[i] = original + FiniteDifference.STEP;
            double plus = reference.forward(batch[0], batch[1]);
            weights[i] = original - FiniteDifference.STEP;
            double minus = reference.forward(batch[0], batch[1]);
            weights[i] = original;
            double numeric = (plus - minus) / (2 * FiniteDifference.STEP);
            double allowed = FiniteDifference.ABSOLUTE + FiniteDifference.RELATIVE * Math.abs(numeric)
                    + GRADIENT_TOLERANCE * largest;
            assertTrue(Math.abs(gradient[i] - numeric) <= allowed, parameter.row().tensorName() + "@"
                    + parameter.layer() + "[" + i + "]: analytic " + gradient[i] + ", numeric " + numeric);
        }
        return 4;
    }

    /**
     * Under the mixed policies AdamW updates the float32 master copy, and the weights the next
     * forward reads are that copy rounded; the master keeps what rounding drops. Under pure bf16
     * there is no master: the weights, m and v are updated in float32 and stored rounded.
     */
    @ParameterizedTest
    @ValueSource(strings = {"bf16-mixed", "bf16-mixed-fp32-grads", "bf16"})
    void adamWUpdatesTheMasterAndRoundsTheWeights(String policy) {
        Shape shape = new Shape(11, 4, 2, 8, 2, 12, 2).withPolicy(PrecisionPolicy.byName(policy));
        TransformerModel model = new TransformerModel(shape, 3, new FlopCounter());
        float[][] before = new float[model.parameters().size()][];
        for (int t = 0; t < before.length; t++) {
            before[t] = model.parameters().get(t).weights();
        }
        int[][] batch = CountingTest.Counted.batch(shape, new Random(2));
        model.step(batch[0], batch[1]);
        boolean masterHoldsMore = false;
        boolean moved = false;
        for (int t = 0; t < before.length; t++) {
            Parameter parameter = model.parameters().get(t);
            float[] weights = parameter.weights();
            for (int i = 0; i < weights.length; i++) {
                moved |= weights[i] != before[t][i];
                assertEquals(BFloat16.rounded(weights[i]), weights[i], 0f, "weights are bfloat16 values");
            }
            if (parameter.master != null) {
                float[] master = parameter.master.values();
                for (int i = 0; i < weights.length; i++) {
                    assertEquals(BFloat16.rounded(master[i]), weights[i], 0f, "weights = the master rounded");
                    masterHoldsMore |= master[i] != weights[i];
                }
            }
        }
        assertTrue(moved, "AdamW moved no weight");
        assertEquals(PrecisionPolicy.byName(policy).masterWeightType() != null, masterHoldsMore,
                "the master copy holds bits the weights do not");
    }

    /** Recomputation under bf16 reruns the same ops on the same stored values: gradients bit for bit those of keeping. */
    @ParameterizedTest
    @CsvSource({"selective, eager", "full, eager", "selective, flash", "full, flash"})
    void recomputationStaysBitIdentical(String mode, String kernel) {
        Shape kept = new Shape(11, 6, 2, 8, 4, 12, 2).withArchitecture(new Architecture(2, true)).withSettings(new Settings(
                PrecisionPolicy.BF16_MIXED, AttentionKernel.byName(kernel), Recompute.NONE));
        Shape recomputed = kept.withSettings(new Settings(kept.policy(), kept.attention(), Recompute.byName(mode)));
        TransformerModelTest.assertBitIdenticalLossAndGradients(kept, recomputed, BackendChoice.of("ejml", 2));
    }
}
