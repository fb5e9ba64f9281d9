package flopcast.measure.model;

import flopcast.measure.buffers.KeptTensor;
import flopcast.measure.buffers.ModelBuffers;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import flopcast.analytic.Architecture;
import flopcast.analytic.AttentionKernel;
import flopcast.analytic.CompleteAccounting;
import flopcast.analytic.Component;
import flopcast.analytic.ElementwiseFlops;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Recompute;
import flopcast.analytic.Scope;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.analytic.WorkspaceBuffer;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One {@link Block} alone, the second of two (its input the first block's kept output): what one
 * block must do whatever the model around it. Its forward and backward count analytic's per-block
 * share of every component (matmul, elementwise, recompute) and read each kept tensor it keeps
 * once, its input included; its backward is the gradient of its forward against finite
 * differences for the input and all nine parameters, d(x_out) in and d(x) out of the residual
 * gradient; and with both output projections zero the block is the identity, forward and backward,
 * bit for bit (the residual wiring, x_mid = x + Attn(RMSNorm(x)), x_out = x_mid + FFN(RMSNorm(x_mid))).
 * The whole model is checked in {@code TransformerModelTest} and {@code CountingTest}.
 */
class BlockTest {
    /** B = 2, T = 4, L = 2, d = 8, h = 2 (d_k = 4), d_ff = 6, V = 5. */
    private static final Shape SHAPE = new Shape(5, 4, 2, 8, 2, 6, 2);
    /** The parameters a block owns. */
    private static final Set<ParameterTensor> BLOCK_PARAMETERS = EnumSet.of(ParameterTensor.ATTENTION_NORM_GAIN,
            ParameterTensor.QUERY_WEIGHT, ParameterTensor.KEY_WEIGHT, ParameterTensor.VALUE_WEIGHT,
            ParameterTensor.OUTPUT_WEIGHT, ParameterTensor.FFN_NORM_GAIN, ParameterTensor.W1_WEIGHT,
            ParameterTensor.W3_WEIGHT, ParameterTensor.W2_WEIGHT);

    /** Block 1 of a two-layer model's buffers, on EJML, its parameters and input drawn from a seed. */
    private static final class Rig {
        final Shape shape;
        final FlopCounter counter = new FlopCounter();
        final ModelBuffers buffers;
        final Block block;
        final KeptTensor input;
        final List<Parameter> parameters = new ArrayList<>();

        Rig(Shape shape, long seed) {
            this.shape = shape;
            buffers = new ModelBuffers(shape);
            CountingOps ops = new CountingOps(counter, MatmulBackend.ejml());
            Block.Ops shared = Block.Ops.of(ops, shape, Math.toIntExact(shape.attentionSpan()), buffers);
            input = buffers.kept(KeptActivation.FFN_RESIDUAL, 0);
            block = new Block(shape, 1, input, buffers, ops, shared);
            Random random = new Random(seed);
            for (ParameterTensor row : BLOCK_PARAMETERS) {
                Parameter parameter = buffers.parameter(row, 1);
                // larger than the 0.02 initialization, so that every gradient is far above round-off
                FiniteDifference.fillGaussian(parameter.value().data, random, 0.5);
                parameters.add(parameter);
            }
            FiniteDifference.fillGaussian(input.matrix().data, random, 1);
        }

        float[] forward() {
            counter.pass(FlopCounter.Pass.FORWARD);
            buffers.startStep();
            block.forward();
            return block.output().use().data;
        }

        /** d(x_out) in, d(x) back: what the residual gradient holds after the block's backward. */
        float[] backward(float[] outputGradient) {
            counter.pass(FlopCounter.Pass.BACKWARD);
            for (Parameter parameter : parameters) {
                parameter.grad().zero();
            }
            FMatrixRMaj residual = buffers.workspace(WorkspaceBuffer.RESIDUAL_GRADIENT).open();
            System.arraycopy(outputGradient, 0, residual.data, 0, outputGradient.length);
            block.backward();
            return residual.data.clone();
        }
    }

    @ParameterizedTest(name = "{0} attention, recompute {1}, h_kv {2}")
    @CsvSource({"eager, none, 2", "eager, selective, 2", "eager, full, 2", "flash, none, 2", "flash, selective, 1",
        "flash, full, 1", "eager, none, 1"})
    void countsAreAnalyticsShareOfOneBlock(String kernel, String mode, long kvHeads) {
        Shape shape = settings(kernel, mode, kvHeads);
        Rig rig = new Rig(shape, 1);
        rig.forward();
        FlopCounter counter = rig.counter;
        BigInteger layers = BigInteger.valueOf(shape.layers());
        for (Component component : Component.values()) {
            long perBlock = component.inBlock() ? component.scope().instances(shape) / shape.layers() : 0;
            BigInteger forward = MatmulFlops.forward(component, shape).multiply(BigInteger.valueOf(perBlock));
            assertEquals(forward, BigInteger.valueOf(counter.forwardMatmulFlops(component)), component + " forward");
        }
        long forwardElementwise = counter.elementwiseFlops();
        rig.backward(new float[Math.toIntExact(shape.tokens() * shape.dModel())]);
        for (Component component : Component.values()) {
            long perBlock = component.inBlock() ? component.scope().instances(shape) / shape.layers() : 0;
            BigInteger times = BigInteger.valueOf(perBlock);
            assertEquals(MatmulFlops.forward(component, shape).multiply(BigInteger.TWO).multiply(times),
                    BigInteger.valueOf(counter.backwardMatmulFlops(component)), component + " backward");
            assertEquals(ElementwiseFlops.perInstance(component, shape).multiply(times),
                    BigInteger.valueOf(counter.elementwiseFlops(component)), component + " elementwise");
        }
        assertEquals(CompleteAccounting.predict(shape).flops().recompute().divide(layers),
                BigInteger.valueOf(counter.recomputeMatmulFlops()), "recompute: every layer's is a block's");
        assertNotEquals(0, forwardElementwise);
        for (KeptActivation row : KeptActivation.values()) {
            long expected = row == KeptActivation.FFN_RESIDUAL ? row.elements(shape)
                    : row.scope() == Scope.PER_LAYER ? row.instances(shape) / shape.layers() * row.elements(shape) : 0;
            assertEquals(expected, counter.keptFloatsRead(row), row + ": its own, once, and the input");
        }
    }

    @ParameterizedTest(name = "{0} attention, h_kv {1}")
    @CsvSource({"eager, 2", "flash, 1"})
    void gradientsMatchFiniteDifferencesOfTheForward(String kernel, long kvHeads) {
        Rig rig = new Rig(settings(kernel, "none", kvHeads), 3);
        Random random = new Random(7);
        float[] weights = new float[Math.toIntExact(rig.shape.tokens() * rig.shape.dModel())];
        FiniteDifference.fillGaussian(weights, random, 1);
        rig.forward();
        float[] inputGradient = rig.backward(weights);
        java.util.function.DoubleSupplier loss = () -> FiniteDifference.dot(weights, rig.forward());
        int checked = FiniteDifference.check("d(x)", rig.input.matrix().data, inputGradient, loss, 12, random);
        for (Parameter parameter : rig.parameters) {
            checked += FiniteDifference.check(parameter.row().tensorName(), parameter.value().data,
                    parameter.grad().data.clone(), loss, 6, random);
        }
        assertEquals(12 + 6 * BLOCK_PARAMETERS.size(), checked);
    }

    /**
     * W_o = W_2 = 0: x_mid = x + 0 and x_out = x_mid + 0, so the block returns its input; backward,
     * every branch's gradient into the residual is 0, so d(x) is d(x_out) unchanged.
     */
    @ParameterizedTest(name = "{0} attention")
    @CsvSource({"eager", "flash"})
    void withZeroOutputProjectionsTheBlockIsTheIdentity(String kernel) {
        Rig rig = new Rig(settings(kernel, "none", 2), 5);
        rig.buffers.parameter(ParameterTensor.OUTPUT_WEIGHT, 1).value().zero();
        rig.buffers.parameter(ParameterTensor.W2_WEIGHT, 1).value().zero();
        float[] x = rig.input.matrix().data.clone();
        assertArrayEquals(x, rig.forward().clone());
        float[] outputGradient = new float[x.length];
        FiniteDifference.fillGaussian(outputGradient, new Random(8), 1);
        assertArrayEquals(outputGradient, rig.backward(outputGradient));
        float gradientOfWo = 0;
        for (float g : rig.buffers.parameter(ParameterTensor.OUTPUT_WEIGHT, 1).grad().data) {
            gradientOfWo = Math.max(gradientOfWo, Math.abs(g));
        }
        assertNotEquals(0f, gradientOfWo, "W_o still has a gradient: the test is not vacuous");
    }

    private static Shape settings(String kernel, String mode, long kvHeads) {
        return SHAPE.withArchitecture(new Architecture(kvHeads, false)).withSettings(new Settings(PrecisionPolicy.FP32,
                AttentionKernel.byName(kernel), Recompute.byName(mode)));
    }
}
