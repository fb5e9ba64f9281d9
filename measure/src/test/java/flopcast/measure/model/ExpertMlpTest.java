package flopcast.measure.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Architecture;
import flopcast.analytic.AttentionKernel;
import flopcast.analytic.LinearBias;
import flopcast.analytic.MlpKind;
import flopcast.analytic.NormKind;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Recompute;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.counting.CountingTest;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.run.BackendChoice;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A mixture of experts, executed: every gradient, the router's and each expert's, against finite
 * differences on both backends, and a model whose experts are all copies of one MLP computing what
 * that dense model computes (the gates of each token sum to 1). Counted = predicted for experts is
 * {@code CountingTest}'s sweep.
 */
class ExpertMlpTest {

    /** Llama's layout under grouped-query attention (SwiGLU), or GPT-2's (LayerNorm, Q/K/V biases, GELU, positions). */
    private static Shape shape(String layout, String kernel, String mode, long experts, long topK) {
        Shape base = layout.equals("llama")
                ? new Shape(11, 6, 2, 8, 4, 12, 2).withArchitecture(new Architecture(2, false))
                : new Shape(11, 6, 2, 8, 4, 12, 2, new Architecture(4, true, LinearBias.QKV, 0, false, 0,
                        NormKind.LAYER, 8, MlpKind.GELU));
        return CountingTest.experts(base.withSettings(new Settings(PrecisionPolicy.FP32, AttentionKernel.byName(kernel),
                Recompute.byName(mode))), experts, topK);
    }

    /**
     * Every trained tensor's gradient, the router's included, against central differences of the loss,
     * four values a tensor. The loss is smooth only while no token's choice of experts changes: a value
     * whose perturbation flips a choice (a jump, not a slope) is tried again at a quarter of the step
     * (the tolerance's round-off term four times larger), else set aside and another drawn; at most a
     * quarter of the draws may be set aside. Full recomputation runs on one block, whose choices the shared
     * buffer holds.
     */
    @ParameterizedTest
    @CsvSource({"ejml, 1, llama, eager, none, 4, 2, 2", "vector, 2, llama, flash, full, 3, 1, 1",
            "ejml, 2, gpt2, eager, selective, 4, 3, 2", "vector, 1, gpt2, flash, none, 5, 2, 2",
            "ejml, 1, gpt2, eager, full, 6, 2, 1"})
    void routerAndExpertGradientsMatchFiniteDifferences(String backend, int threads, String layout, String kernel,
            String mode, long experts, long topK, long layers) {
        Shape shaped = shape(layout, kernel, mode, experts, topK);
        Shape shape = new Shape(shaped.vocabSize(), shaped.contextLength(), layers, shaped.dModel(), shaped.heads(),
                shaped.dFf(), shaped.batchSize(), shaped.architecture(), shaped.settings());
        TransformerModel model = assertRoutedGradients(shape, backend, threads);
        java.util.Set<ParameterTensor> seen = java.util.EnumSet.noneOf(ParameterTensor.class);
        model.trainableParameters().forEach(p -> seen.add(p.row()));
        assertTrue(seen.contains(ParameterTensor.ROUTER_WEIGHT), "the router checked");
        assertEquals(experts * layers,
                model.parameters().stream().filter(p -> p.row() == ParameterTensor.W1_WEIGHT).count(),
                "one W1 for each expert and block");
        assertEquals(ParameterTensor.total(shape), model.parameterCount());
    }

    /**
     * Dense layers among experts: every gradient, the dense MLP's and the router's of the sparse layers, against
     * central differences; one W1 a dense layer, E a sparse one, the dense layer's at its own width.
     */
    @ParameterizedTest
    @CsvSource({"ejml, 1, llama, eager, none, 0, 20", "vector, 2, gpt2, flash, full, 1, 6"})
    void denseLayersAmongExpertsMatchFiniteDifferences(String backend, int threads, String layout, String kernel,
            String mode, long dense, long ffn) {
        Shape sparse = shape(layout, kernel, mode, 4, 2);
        Shape shape = CountingTest.dense(sparse, ffn, dense);
        TransformerModel model = assertRoutedGradients(shape, backend, threads);
        assertEquals(4 + 1, model.parameters().stream().filter(p -> p.row() == ParameterTensor.W1_WEIGHT).count(),
                "E W1s in the sparse block, one in the dense");
        assertEquals(1, model.parameters().stream().filter(p -> p.row() == ParameterTensor.W1_WEIGHT
                && p.size() == 8 * ffn).count(), "the dense layer's W1 is d x its own width");
        assertEquals(ParameterTensor.total(shape), model.parameterCount());
    }

    /**
     * Fine-tuning over experts: LoRA adapters on the attention with every expert and the router frozen,
     * or the experts frozen beside everything else training; every gradient that trains against finite
     * differences, and nothing frozen holding one.
     */
    @ParameterizedTest
    @CsvSource({"ejml, 1, lora", "vector, 2, mlp", "ejml, 2, embeddings+norms"})
    void frozenExpertsAndAdaptersBesideThem(String backend, int threads, String frozen) {
        Shape experts = shape("llama", "eager", "none", 4, 2);
        Shape shape = frozen.equals("lora")
                ? CountingTest.lora(experts, 2, flopcast.analytic.LoraTarget.QUERY,
                        flopcast.analytic.LoraTarget.OUTPUT)
                : CountingTest.freeze(experts, java.util.Arrays.stream(frozen.split("\\+"))
                        .map(flopcast.analytic.FrozenKind::byName).toArray(flopcast.analytic.FrozenKind[]::new));
        TransformerModel model = assertRoutedGradients(shape, backend, threads);
        for (Parameter parameter : model.parameters()) {
            assertEquals(parameter.row().trains(shape), parameter.grad != null, parameter.row().tensorName());
        }
    }

    /**
     * Qwen2-MoE's block: gates the softmax over all E (every logit's gradient), a shared expert with its
     * sigmoid gate, or both; every trained tensor's gradient against finite differences, the router's and
     * the shared gate's included, on both backends and both layouts, under flash and full recomputation.
     */
    @ParameterizedTest
    @CsvSource({"ejml, 1, llama, eager, none, false, 0, 2", "vector, 2, llama, flash, full, true, 10, 1",
            "ejml, 2, gpt2, eager, selective, false, 16, 2", "vector, 1, gpt2, flash, none, false, 8, 2"})
    void unnormalizedGatesAndASharedExpertMatchFiniteDifferences(String backend, int threads, String layout,
            String kernel, String mode, boolean normalized, long sharedFfn, long layers) {
        Shape shaped = shape(layout, kernel, mode, 4, 2);
        Shape shape = CountingTest.experts(new Shape(shaped.vocabSize(), shaped.contextLength(), layers,
                shaped.dModel(), shaped.heads(), shaped.dFf(), shaped.batchSize(), shaped.architecture(),
                shaped.settings()), new flopcast.analytic.Experts(4, 2, normalized, sharedFfn));
        TransformerModel model = assertRoutedGradients(shape, backend, threads);
        java.util.Set<ParameterTensor> seen = java.util.EnumSet.noneOf(ParameterTensor.class);
        model.trainableParameters().forEach(p -> seen.add(p.row()));
        assertTrue(seen.contains(ParameterTensor.ROUTER_WEIGHT), "the router checked");
        assertEquals(sharedFfn > 0, seen.contains(ParameterTensor.SHARED_GATE_WEIGHT), "the shared gate checked");
        assertEquals(sharedFfn > 0, seen.contains(ParameterTensor.SHARED_W2_WEIGHT), "the shared expert checked");
        assertEquals(ParameterTensor.total(shape), model.parameterCount());
    }

    /**
     * LoRA on each expert's W1, W3 and W2 (PEFT wraps every expert's linear layer): an adapter pair for
     * each expert and block, every one's gradient against finite differences with the routed loss's
     * care, on Llama's layout and GPT-2's (no W3), under flash and full and selective recomputation (full
     * on one block, whose choices the shared buffer holds).
     */
    @ParameterizedTest
    @CsvSource({"ejml, 1, llama, eager, none, query+key+value+output+w1+w3+w2, 2",
            "vector, 2, llama, flash, full, w1+w2, 1", "ejml, 2, gpt2, eager, selective, w2+query, 2",
            "vector, 1, gpt2, flash, none, w1, 2"})
    void adaptersOnEachExpertsMatricesMatchFiniteDifferences(String backend, int threads, String layout,
            String kernel, String mode, String targets, long layers) {
        Shape shaped = shape(layout, kernel, mode, 4, 2);
        Shape experts = new Shape(shaped.vocabSize(), shaped.contextLength(), layers, shaped.dModel(), shaped.heads(),
                shaped.dFf(), shaped.batchSize(), shaped.architecture(), shaped.settings());
        Shape shape = CountingTest.lora(experts, 2, java.util.Arrays.stream(targets.split("\\+"))
                .map(flopcast.analytic.LoraTarget::byName).toArray(flopcast.analytic.LoraTarget[]::new));
        TransformerModel model = assertRoutedGradients(shape, backend, threads);
        for (Parameter parameter : model.parameters()) {
            assertEquals(parameter.row().isAdapter(), parameter.grad != null, parameter.row().tensorName());
            if (parameter.row().isAdapter()) {
                long perBlock = parameter.row().loraTarget().mlp() ? 4 : 1;
                assertEquals(perBlock * shape.layers(), parameter.row().instances(shape),
                        parameter.row().tensorName() + ": one a block, or one for each expert");
            }
        }
    }

    /**
     * Every expert a copy of the dense model's W1, W3 and W2, whatever the router: each token's gates sum
     * to 1, so the block adds what the dense MLP adds, and the loss is the dense model's to float
     * round-off (the gates' sum and the order of the k adds: a relative 1e-5 allows it); the router's
     * gradient is then 0, as each chosen gate's gradient is the same.
     */
    @ParameterizedTest
    @CsvSource({"ejml, 1, llama, 4, 2", "vector, 2, gpt2, 3, 3", "ejml, 1, llama, 5, 1"})
    void equalExpertsComputeTheDenseModel(String backend, int threads, String layout, long experts, long topK) {
        Shape mixture = shape(layout, "eager", "none", experts, topK);
        Shape dense = mixture.withArchitecture(mixture.architecture().withExperts(flopcast.analytic.Experts.NONE));
        TransformerModel plain = new TransformerModel(dense, 3, new FlopCounter(), BackendChoice.of(backend, threads));
        TransformerModel moe = new TransformerModel(mixture, 3, new FlopCounter(),
                BackendChoice.of(backend, threads));
        Random random = new Random(11);
        for (Parameter parameter : moe.parameters()) {
            // the router drawn at a scale that makes its choices differ from token to token
            FiniteDifference.fillGaussian(parameter.value().data, random, 0.5);
        }
        for (Parameter from : plain.parameters()) {
            boolean expert = from.row() == ParameterTensor.W1_WEIGHT || from.row() == ParameterTensor.W3_WEIGHT
                    || from.row() == ParameterTensor.W2_WEIGHT;
            for (Parameter to : moe.parameters()) {
                boolean same = to.row() == from.row() && (expert ? to.layer() / experts == from.layer()
                        : to.layer() == from.layer());
                if (same) {
                    to.setWeights(from.weights());
                }
            }
        }
        int[][] batch = CountingTest.Counted.batch(dense, new Random(9));
        float expected = plain.forward(batch[0], batch[1]);
        float loss = moe.step(batch[0], batch[1]);
        assertEquals(expected, loss, Math.abs(expected) * 1e-5f, "the dense model's loss");
        float[] router = null;
        for (Parameter parameter : moe.parameters()) {
            if (parameter.row() == ParameterTensor.ROUTER_WEIGHT && router == null) {
                router = parameter.gradient();
            }
        }
        float[] expertGradient = null;
        for (Parameter parameter : moe.parameters()) {
            if (parameter.row() == ParameterTensor.W1_WEIGHT && expertGradient == null) {
                expertGradient = parameter.gradient();
            }
        }
        // equal experts give each chosen gate the same gradient dg, and the gates' softmax backward
        // dz = g * (dg - sum g dg) is then 0: the router learns nothing from copies, to round-off
        assertTrue(largest(router) <= 1e-4f * largest(expertGradient), "router " + largest(router) + " beside W1 "
                + largest(expertGradient));
        assertNotEquals(0f, largest(expertGradient), "the experts have a gradient: the test is not vacuous");
    }

    private static float largest(float[] values) {
        float largest = 0;
        for (float value : values) {
            largest = Math.max(largest, Math.abs(value));
        }
        return largest;
    }

    /**
     * Each trained tensor's gradient against central differences, four values a tensor, where the loss is
     * smooth: a value whose perturbation flips a token's choice of experts is retried at a quarter of the
     * step, else set aside (at most a quarter of the draws). Returns the model, stepped once.
     */
    static TransformerModel assertRoutedGradients(Shape shape, String backend, int threads) {
        TransformerModel model = new TransformerModel(shape, 3, new FlopCounter(), BackendChoice.of(backend, threads));
        Random random = new Random(5);
        for (Parameter parameter : model.parameters()) {
            // larger than the 0.02 initialization, so that every gradient is far above round-off; the router
            // larger still, so that a token's k-th and (k+1)-th logits are seldom within a perturbation's reach
            FiniteDifference.fillGaussian(parameter.value().data, random,
                    parameter.row() == ParameterTensor.ROUTER_WEIGHT ? 2 : 0.5);
        }
        int[][] batch = CountingTest.Counted.batch(shape, random);
        model.forward(batch[0], batch[1]);
        model.backward();
        int[] routing = model.routing();
        int checked = 0;
        int setAside = 0;
        for (Parameter parameter : model.trainableParameters()) {
            float[] values = parameter.value().data;
            float[] analytic = parameter.grad().data.clone();
            int wanted = Math.min(4, values.length);
            for (int done = 0, draws = 0; done < wanted; draws++) {
                assertTrue(draws < 64, parameter.row().tensorName() + "@" + parameter.layer() + ": " + draws
                        + " draws, " + done + " smooth");
                int i = random.nextInt(values.length);
                float original = values[i];
                boolean smooth = false;
                // the seed's step, else a quarter of it (whose round-off in the difference is four times larger)
                for (float step : new float[] {FiniteDifference.STEP, FiniteDifference.STEP / 4}) {
                    values[i] = original + step;
                    double plus = model.forward(batch[0], batch[1]);
                    smooth = java.util.Arrays.equals(routing, model.routing());
                    values[i] = original - step;
                    double minus = model.forward(batch[0], batch[1]);
                    smooth &= java.util.Arrays.equals(routing, model.routing());
                    values[i] = original;
                    if (smooth) {
                        double numeric = (plus - minus) / (2 * step);
                        double absolute = FiniteDifference.ABSOLUTE * FiniteDifference.STEP / step;
                        assertTrue(Math.abs(analytic[i] - numeric) <= absolute + FiniteDifference.RELATIVE
                                * Math.abs(numeric), parameter.row().tensorName() + "@" + parameter.layer() + "[" + i
                                + "]: analytic " + analytic[i] + ", numeric " + numeric + " at step " + step);
                        break;
                    }
                }
                if (!smooth) {
                    setAside++;
                    continue;
                }
                done++;
                checked++;
            }
        }
        assertTrue(setAside * 3 <= checked, setAside + " values flipped a choice beside " + checked + " checked");
        return model;
    }
}
