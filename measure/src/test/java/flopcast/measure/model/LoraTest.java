package flopcast.measure.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Architecture;
import flopcast.analytic.FrozenKind;
import flopcast.analytic.FrozenLayers;
import flopcast.analytic.Scope;
import flopcast.analytic.AttentionKernel;
import flopcast.analytic.LinearBias;
import flopcast.analytic.Lora;
import flopcast.analytic.LoraTarget;
import flopcast.analytic.MlpKind;
import flopcast.analytic.NormKind;
import flopcast.analytic.NormPlacement;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.QkNorm;
import flopcast.analytic.Recompute;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.counting.CountingTest;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.run.BackendChoice;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * LoRA adapters on the frozen model, executed: their gradients against finite differences (every
 * target, over Llama's layout and GPT-2's, flash and full recomputation included), the frozen model
 * untouched by a step, and an adapted model that starts as the model it adapts (B = 0).
 * Counted = predicted for LoRA is {@code CountingTest}'s sweep.
 */
class LoraTest {

    /**
     * Llama's layout under grouped-query attention, every target, or PEFT's default Q and V ({@code llama-qv}:
     * no adapter reads the heads' output, which flash's backward still does); GPT-2's (LayerNorm, biases,
     * GELU, positions, tied), every target it has; OLMo 2's (Llama's with norms after each sublayer and
     * QK-norm over each whole projection), every target or Q and V ({@code olmo2-qv}: no adapter reads x_mid,
     * which is then scratch).
     */
    private static Shape shape(String layout, String kernel, String mode) {
        Shape base = !layout.startsWith("gpt2")
                ? new Shape(11, 6, 2, 8, 4, 12, 2).withArchitecture(new Architecture(2, false))
                : new Shape(11, 6, 2, 8, 4, 12, 2, new Architecture(4, true, LinearBias.ALL, 0, false, 0,
                        NormKind.LAYER, 8, MlpKind.GELU));
        if (layout.startsWith("olmo2")) {
            base = base.withArchitecture(base.architecture().withNorms(NormPlacement.POST, QkNorm.PROJECTION));
        }
        Shape run = base.withSettings(new Settings(PrecisionPolicy.FP32, AttentionKernel.byName(kernel),
                Recompute.byName(mode)));
        List<LoraTarget> targets = new ArrayList<>();
        for (LoraTarget target : LoraTarget.values()) {
            if (target.heldBy(run) && (!layout.endsWith("-qv") || Lora.DEFAULT_TARGETS.contains(target))) {
                targets.add(target);
            }
        }
        return CountingTest.lora(run, 3, targets.toArray(LoraTarget[]::new));
    }

    @ParameterizedTest
    @CsvSource({"ejml, 1, llama, eager, none", "vector, 2, llama, flash, full", "ejml, 2, gpt2, eager, selective",
            "vector, 1, gpt2, flash, none", "ejml, 1, llama-qv, flash, none", "vector, 2, llama-qv, flash, selective",
            "ejml, 2, olmo2-qv, eager, none", "vector, 1, olmo2, flash, full"})
    void adapterGradientsMatchFiniteDifferences(String backend, int threads, String layout, String kernel,
            String mode) {
        Shape shape = shape(layout, kernel, mode);
        TransformerModel model = TransformerModelTest.assertGradientsMatchFiniteDifferences(shape, backend, threads);
        assertEquals(shape.settings().lora().targets().size() * 2 * shape.layers(),
                model.trainableParameters().size(), "an A and a B for each target and block");
        for (Parameter parameter : model.parameters()) {
            if (!parameter.row().isAdapter()) {
                assertNull(parameter.grad, parameter.row().tensorName() + " is frozen: no gradient held");
            }
        }
    }

    /**
     * QLoRA: the adapters' gradients on an NF4 base against central differences of the float32 loss of
     * the same model whose frozen weights are the NF4 ones dequantized (the function the QLoRA step
     * differentiates), within {@link FiniteDifference}'s tolerance plus {@link MixedPrecisionTest}'s
     * bfloat16 allowance; every adapter checked, every target on Llama's layout and GPT-2's.
     */
    @ParameterizedTest
    @CsvSource({"ejml, 1, llama, eager, none, bf16-mixed", "vector, 2, llama, flash, full, bf16",
            "ejml, 2, gpt2, eager, selective, bf16-mixed"})
    void qloraAdapterGradientsMatchFiniteDifferencesOnTheDequantizedBase(String backend, int threads, String layout,
            String kernel, String mode, String policy) {
        Shape reference = shape(layout, kernel, mode);
        Shape shape = CountingTest.qlora(reference.withPolicy(PrecisionPolicy.byName(policy)));
        TransformerModel model = new TransformerModel(shape, 3, new FlopCounter(), BackendChoice.of(backend, threads));
        TransformerModel float32 = new TransformerModel(reference, 3, new FlopCounter(),
                BackendChoice.of(backend, threads));
        Random random = new Random(5);
        int quantized = 0;
        for (int t = 0; t < model.parameters().size(); t++) {
            Parameter parameter = model.parameters().get(t);
            float[] weights = new float[parameter.size()];
            FiniteDifference.fillGaussian(weights, random, 0.5);
            parameter.setWeights(weights);
            float32.parameters().get(t).setWeights(parameter.weights());
            quantized += parameter.value.isNf4() ? 1 : 0;
        }
        assertEquals(shape.layers() * LoraTarget.values().length - (layout.equals("gpt2") ? shape.layers() : 0),
                quantized, "every block projection's weight in NF4 (GPT-2's MLP has no W3)");
        int[][] batch = CountingTest.Counted.batch(shape, random);
        model.forward(batch[0], batch[1]);
        model.backward();
        int checked = 0;
        for (int t = 0; t < model.parameters().size(); t++) {
            Parameter parameter = model.parameters().get(t);
            if (!parameter.row().isAdapter()) {
                assertNull(parameter.grad, parameter.row().tensorName() + " is frozen: no gradient held");
                continue;
            }
            checked += MixedPrecisionTest.assertMatchesFloat32Differences(parameter, float32, t, batch, random);
        }
        assertEquals(4 * model.trainableParameters().size(), checked, "four values of every adapter matrix");
    }

    /**
     * Frozen kinds: every gradient that trains against finite differences, nothing frozen holding one, on
     * both backends, Llama's layout (embeddings; attention and norms under flash) and GPT-2's (the tied
     * embedding and head; the MLP under selective recomputation).
     */
    @ParameterizedTest
    @CsvSource({"ejml, 1, llama, eager, none, embeddings+head", "vector, 2, llama, flash, none, attention+norms",
            "ejml, 2, gpt2, eager, none, embeddings+head", "vector, 1, gpt2, eager, selective, mlp",
            "ejml, 1, olmo2, eager, none, attention+mlp", "vector, 2, olmo2, flash, full, attention+norms"})
    void frozenKindsGradientsMatchFiniteDifferences(String backend, int threads, String layout, String kernel,
            String mode, String kinds) {
        Shape adapted = shape(layout, kernel, mode);
        Set<FrozenKind> frozen = EnumSet.noneOf(FrozenKind.class);
        for (String kind : kinds.split("\\+")) {
            frozen.add(FrozenKind.byName(kind));
        }
        Shape shape = adapted.withSettings(adapted.settings().withLora(Lora.NONE).withFrozen(frozen));
        TransformerModel model = TransformerModelTest.assertGradientsMatchFiniteDifferences(shape, backend, threads);
        for (Parameter parameter : model.parameters()) {
            assertEquals(parameter.row().trains(shape), parameter.grad != null, parameter.row().tensorName());
        }
    }

    /**
     * Blocks frozen by range: every gradient that trains against finite differences (the frozen blocks' input
     * gradients carry the lower blocks' and the embedding's), no frozen block's parameter holding one; block 0
     * under frozen embeddings; block 1 of GPT-2's layout under flash and selective recomputation; block 1 with the
     * MLP frozen everywhere under full recomputation.
     */
    @ParameterizedTest
    @CsvSource({"ejml, 1, llama, eager, none, 0, embeddings", "vector, 2, gpt2, flash, selective, 1, ''",
            "ejml, 2, llama, eager, full, 1, mlp"})
    void frozenBlocksGradientsMatchFiniteDifferences(String backend, int threads, String layout, String kernel,
            String mode, String blocks, String kinds) {
        Shape adapted = shape(layout, kernel, mode);
        Set<FrozenKind> frozen = EnumSet.noneOf(FrozenKind.class);
        for (String kind : kinds.isEmpty() ? new String[0] : kinds.split("\\+")) {
            frozen.add(FrozenKind.byName(kind));
        }
        Shape shape = adapted.withSettings(adapted.settings().withLora(Lora.NONE).withFrozen(frozen)
                .withFrozenLayers(FrozenLayers.parse(blocks)));
        TransformerModel model = TransformerModelTest.assertGradientsMatchFiniteDifferences(shape, backend, threads);
        int frozenBlockRows = 0;
        for (Parameter parameter : model.parameters()) {
            boolean perLayer = parameter.row().scope() == Scope.PER_LAYER;
            Shape view = perLayer ? shape.block(parameter.layer()) : shape;
            assertEquals(parameter.row().trains(view), parameter.grad != null, parameter.row().tensorName());
            if (perLayer && shape.settings().frozenLayers().covers(parameter.layer())) {
                assertNull(parameter.grad, parameter.row().tensorName() + " of a frozen block");
                frozenBlockRows++;
            }
        }
        assertTrue(frozenBlockRows > 0, "some parameter lies in the frozen block");
    }

    /**
     * B starts at 0, so the adapted model's first loss is the model's to the bit (the frozen weights draw
     * the same numbers first); a step leaves every frozen weight as it was and moves the adapters.
     */
    @ParameterizedTest
    @CsvSource({"ejml, 1, llama", "vector, 2, gpt2"})
    void startsAsTheModelAndTrainsOnlyItsAdapters(String backend, int threads, String layout) {
        Shape adapted = shape(layout, "eager", "none");
        Shape plain = adapted.withSettings(adapted.settings().withLora(Lora.NONE));
        TransformerModel base = new TransformerModel(plain, 3, new FlopCounter(), BackendChoice.of(backend, threads));
        TransformerModel lora = new TransformerModel(adapted, 3, new FlopCounter(),
                BackendChoice.of(backend, threads));
        int[][] batch = CountingTest.Counted.batch(plain, new Random(9));
        List<float[]> before = new ArrayList<>();
        for (Parameter parameter : lora.parameters()) {
            before.add(parameter.weights());
        }
        float first = lora.step(batch[0], batch[1]);
        assertEquals(base.forward(batch[0], batch[1]), first, 0f, "the first loss, B = 0");
        for (int i = 0; i < before.size(); i++) {
            Parameter parameter = lora.parameters().get(i);
            if (parameter.row().isAdapter()) {
                continue;
            }
            assertArrayEquals(before.get(i), parameter.weights(), 0f,
                    parameter.row().tensorName() + "@" + parameter.layer() + " frozen");
        }
        assertNotEquals(first, lora.forward(batch[0], batch[1]), "the adapters trained the loss away");
    }
}
