package flopcast.benchmarks;

import static flopcast.analytic.KeptActivation.ATTENTION_NORM_OUTPUT;
import static flopcast.analytic.KeptActivation.ATTENTION_OUTPUT;
import static flopcast.analytic.KeptActivation.ATTENTION_RESIDUAL;
import static flopcast.analytic.KeptActivation.FFN_NORM_OUTPUT;
import static flopcast.analytic.KeptActivation.FFN_RESIDUAL;
import static flopcast.analytic.KeptActivation.FINAL_NORM_OUTPUT;
import static flopcast.analytic.KeptActivation.GATED_PRODUCT;
import static flopcast.analytic.KeptActivation.LOGIT_PROBABILITIES;
import static flopcast.analytic.KeptActivation.W1_OUTPUT;
import static flopcast.analytic.KeptActivation.W3_OUTPUT;
import static flopcast.analytic.ParameterTensor.KEY_WEIGHT;
import static flopcast.analytic.ParameterTensor.LM_HEAD_WEIGHT;
import static flopcast.analytic.ParameterTensor.OUTPUT_WEIGHT;
import static flopcast.analytic.ParameterTensor.QUERY_WEIGHT;
import static flopcast.analytic.ParameterTensor.VALUE_WEIGHT;
import static flopcast.analytic.ParameterTensor.W1_WEIGHT;
import static flopcast.analytic.ParameterTensor.W2_WEIGHT;
import static flopcast.analytic.ParameterTensor.W3_WEIGHT;
import static flopcast.analytic.WorkspaceBuffer.ATTENTION_OUTPUT_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.KEY_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.NORM_OUTPUT_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.PRODUCT_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.QUERY_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.RESIDUAL_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.VALUE_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.W3_OUTPUT_GRADIENT;

import flopcast.analytic.Component;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.TensorSpec;
import flopcast.analytic.WorkspaceBuffer;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.model.Linear;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ejml.data.FMatrixRMaj;

/** The kernels of the projections: one {@link Linear} per component on its rows of the tables. */
final class ProjectionKernels {
    private ProjectionKernels() {
    }

    /**
     * Each projection's rows in the model ({@code Block}, {@code TransformerModel}): weight, input,
     * output, the output's gradient, the input's gradient and whether the backward adds into it (a
     * later projection of the same input), and the residual stream added to the output.
     */
    private enum Projection {
        QUERY(QUERY_WEIGHT, ATTENTION_NORM_OUTPUT, KeptActivation.QUERY, QUERY_GRADIENT, NORM_OUTPUT_GRADIENT, false,
                null),
        KEY(KEY_WEIGHT, ATTENTION_NORM_OUTPUT, KeptActivation.KEY, KEY_GRADIENT, NORM_OUTPUT_GRADIENT, true, null),
        VALUE(VALUE_WEIGHT, ATTENTION_NORM_OUTPUT, KeptActivation.VALUE, VALUE_GRADIENT, NORM_OUTPUT_GRADIENT, true,
                null),
        /** The residual is the block's input: the previous block's output. */
        OUTPUT(OUTPUT_WEIGHT, ATTENTION_OUTPUT, ATTENTION_RESIDUAL, RESIDUAL_GRADIENT, ATTENTION_OUTPUT_GRADIENT, false,
                FFN_RESIDUAL),
        W1(W1_WEIGHT, FFN_NORM_OUTPUT, W1_OUTPUT, PRODUCT_GRADIENT, NORM_OUTPUT_GRADIENT, false, null),
        /**
         * The model adds W3's input gradient to W1's (dX += dY W^T): EJML runs that as multAddTransB,
         * measurably slower than the multTransB every other projection's backward uses.
         */
        W3(W3_WEIGHT, FFN_NORM_OUTPUT, W3_OUTPUT, W3_OUTPUT_GRADIENT, NORM_OUTPUT_GRADIENT, true, null),
        W2(W2_WEIGHT, GATED_PRODUCT, FFN_RESIDUAL, RESIDUAL_GRADIENT, PRODUCT_GRADIENT, false, ATTENTION_RESIDUAL),
        /**
         * The model writes the logits' gradient over the probabilities; the kernel gives it its own
         * instance of that row, so the forward does not overwrite what the backward reads.
         */
        LM_HEAD(LM_HEAD_WEIGHT, FINAL_NORM_OUTPUT, LOGIT_PROBABILITIES, LOGIT_PROBABILITIES, NORM_OUTPUT_GRADIENT,
                false, null);

        final ParameterTensor weight;
        final KeptActivation input;
        final KeptActivation output;
        final TensorSpec outputGradient;
        final WorkspaceBuffer inputGradient;
        final boolean accumulate;
        final Optional<KeptActivation> residual;

        Projection(ParameterTensor weight, KeptActivation input, KeptActivation output, TensorSpec outputGradient,
                WorkspaceBuffer inputGradient, boolean accumulate, KeptActivation residual) {
            this.weight = weight;
            this.input = input;
            this.output = output;
            this.outputGradient = outputGradient;
            this.inputGradient = inputGradient;
            this.accumulate = accumulate;
            this.residual = Optional.ofNullable(residual);
        }
    }

    /**
     * The projections of {@code component} (three for QKV), in the model's order: each has its own
     * weight, output and gradients; an input row they share is one buffer, as in the model.
     */
    static ComponentKernel of(FlopCounter counter, CountingOps ops, Component component,
            KernelBuffers buffers) {
        Linear linear = new Linear(ops, component);
        Map<TensorSpec, FMatrixRMaj> shared = new HashMap<>();
        List<Runnable> forward = new ArrayList<>();
        List<Runnable> backward = new ArrayList<>();
        for (Projection projection : Projection.values()) {
            if (projection.weight.component() != component) {
                continue;
            }
            FMatrixRMaj x = shared.computeIfAbsent(projection.input, buffers::random);
            FMatrixRMaj dx = shared.computeIfAbsent(projection.inputGradient, buffers::zero);
            FMatrixRMaj w = buffers.random(projection.weight);
            FMatrixRMaj dw = buffers.zero(projection.weight);
            FMatrixRMaj y = buffers.zero(projection.output);
            FMatrixRMaj dy = buffers.random(projection.outputGradient);
            FMatrixRMaj stream = projection.residual.map(buffers::random).orElse(null);
            forward.add(stream == null ? () -> linear.forward(x, w, y) : () -> {
                linear.forward(x, w, y);
                ops.addEquals(component, y, stream);
            });
            boolean accumulate = projection.accumulate;
            backward.add(() -> {
                linear.backwardInput(dy, w, dx, accumulate);
                linear.backwardWeight(x, dy, dw);
            });
        }
        Runnable[] forwards = forward.toArray(Runnable[]::new);
        Runnable[] backwards = backward.toArray(Runnable[]::new);
        return new ComponentKernel(counter, () -> {
            for (Runnable step : forwards) {
                step.run();
            }
        }, () -> {
            for (Runnable step : backwards) {
                step.run();
            }
        }, () -> { });
    }
}
