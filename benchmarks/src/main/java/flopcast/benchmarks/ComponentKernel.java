package flopcast.benchmarks;

import static flopcast.analytic.KeptActivation.ATTENTION_NORM_OUTPUT;
import static flopcast.analytic.KeptActivation.ATTENTION_NORM_RMS;
import static flopcast.analytic.KeptActivation.EMBEDDING_OUTPUT;
import static flopcast.analytic.KeptActivation.FFN_RESIDUAL;
import static flopcast.analytic.KeptActivation.FINAL_NORM_OUTPUT;
import static flopcast.analytic.KeptActivation.FINAL_NORM_RMS;
import static flopcast.analytic.KeptActivation.GATED_PRODUCT;
import static flopcast.analytic.KeptActivation.LOGIT_PROBABILITIES;
import static flopcast.analytic.KeptActivation.SILU_OUTPUT;
import static flopcast.analytic.KeptActivation.TARGETS;
import static flopcast.analytic.KeptActivation.TOKEN_IDS;
import static flopcast.analytic.KeptActivation.W1_OUTPUT;
import static flopcast.analytic.KeptActivation.W3_OUTPUT;
import static flopcast.analytic.ParameterTensor.ATTENTION_NORM_GAIN;
import static flopcast.analytic.ParameterTensor.FINAL_NORM_GAIN;
import static flopcast.analytic.ParameterTensor.TOKEN_EMBEDDING_WEIGHT;
import static flopcast.analytic.WorkspaceBuffer.NORM_OUTPUT_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.PRODUCT_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.RESIDUAL_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.W3_OUTPUT_GRADIENT;

import flopcast.analytic.Component;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Shape;
import flopcast.measure.model.AdamW;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.model.CrossEntropy;
import flopcast.measure.model.Embedding;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.model.RmsNorm;
import flopcast.measure.model.SwiGlu;
import java.util.List;
import java.util.Random;
import org.ejml.data.FMatrixRMaj;

/**
 * One component's forward or backward pass alone, what a benchmark times: the model's own op
 * classes on one instance of the tensor-table rows the component reads and writes in the model
 * ({@link KernelBuffers}), inputs filled with random values. {@link #forward()} and
 * {@link #backward()} switch the counter's pass as the model does, so a backward's matmuls count
 * as backward. Ops that work in place (softmax, SwiGLU backward, cross-entropy) get their inputs
 * back from {@link #prepare()}, which a benchmark calls before each invocation; it also clears the
 * gradients RMSNorm and the embedding accumulate into; for the others it does nothing.
 */
public final class ComponentKernel {
    private final Runnable forward;
    private final Runnable backward;
    private final Runnable prepare;
    private final FlopCounter counter;

    ComponentKernel(FlopCounter counter, Runnable forward, Runnable backward, Runnable prepare) {
        this.counter = counter;
        this.forward = forward;
        this.backward = backward;
        this.prepare = prepare;
    }

    public void forward() {
        counter.pass(FlopCounter.Pass.FORWARD);
        forward.run();
    }

    public void backward() {
        counter.pass(FlopCounter.Pass.BACKWARD);
        backward.run();
    }

    /** Restores inputs an in-place op overwrote. */
    public void prepare() {
        prepare.run();
    }

    /** What the kernel has executed so far. */
    public FlopCounter counter() {
        return counter;
    }

    /** The kernel of one instance of {@code component} at {@code shape}, matmuls on EJML. */
    public static ComponentKernel of(Component component, Shape shape, long seed) {
        return of(component, shape, seed, MatmulBackend.ejml());
    }

    /** The kernel of one instance of {@code component} at {@code shape}, matmuls on {@code backend}. */
    public static ComponentKernel of(Component component, Shape shape, long seed, MatmulBackend backend) {
        KernelBuffers buffers = new KernelBuffers(shape, new Random(seed));
        FlopCounter counter = new FlopCounter();
        CountingOps ops = new CountingOps(counter, backend);
        return switch (component) {
            case QKV_PROJECTION, OUTPUT_PROJECTION, FFN_W1, FFN_W3, FFN_W2, OUTPUT_EMBEDDING ->
                    ProjectionKernels.of(counter, ops, component, buffers);
            case ATTENTION_SCORES, ATTENTION_SOFTMAX, ATTENTION_WEIGHTED_SUM ->
                    AttentionKernels.of(counter, ops, component, shape, buffers);
            case RMSNORM, FINAL_RMSNORM -> norm(counter, ops, Norm.of(component), buffers);
            case FFN_SILU -> swiGlu(counter, ops, buffers);
            case CROSS_ENTROPY -> crossEntropy(counter, ops, shape, buffers);
            case TOKEN_EMBEDDING -> embedding(counter, ops, shape, buffers);
            case LORA -> throw new IllegalArgumentException("no component benchmark times the LoRA adapters alone");
            case ROUTER -> throw new IllegalArgumentException("no component benchmark times a mixture of experts' router");
            case ATTENTION_SOFTMAX_GLOBAL -> throw new IllegalArgumentException("the global layers' softmax is the"
                    + " softmax's kernel over every earlier key: benchmark attention_softmax without a window");
        };
    }

    /** AdamW alone over one tensor of {@code parameters} values, on EJML: {@link #forward()} is one step. */
    public static ComponentKernel adamW(int parameters, long seed) {
        return adamW(parameters, seed, MatmulBackend.ejml());
    }

    /** AdamW alone over one tensor of {@code parameters} values on {@code backend}'s loops and threads. */
    public static ComponentKernel adamW(int parameters, long seed, MatmulBackend backend) {
        Random random = new Random(seed);
        FlopCounter counter = new FlopCounter();
        AdamW optimizer = new AdamW(new CountingOps(counter, backend), AdamW.Hyperparameters.defaults());
        Parameter parameter = new Parameter(null, 0, KernelBuffers.fill(new FMatrixRMaj(1, parameters), random),
                KernelBuffers.fill(new FMatrixRMaj(1, parameters), random), new FMatrixRMaj(1, parameters),
                new FMatrixRMaj(1, parameters));
        List<Parameter> all = List.of(parameter);
        return new ComponentKernel(counter, () -> optimizer.step(all), () -> {
            throw new IllegalStateException("AdamW has no backward pass");
        }, () -> { });
    }

    /** Each RMSNorm's rows in the model: input, gain, output, reciprocal rms. */
    private enum Norm {
        /** A block's first norm; its input is the previous block's output. */
        ATTENTION(FFN_RESIDUAL, ATTENTION_NORM_GAIN, ATTENTION_NORM_OUTPUT, ATTENTION_NORM_RMS),
        FINAL(FFN_RESIDUAL, FINAL_NORM_GAIN, FINAL_NORM_OUTPUT, FINAL_NORM_RMS);

        final KeptActivation input;
        final ParameterTensor gain;
        final KeptActivation output;
        final KeptActivation reciprocalRms;

        Norm(KeptActivation input, ParameterTensor gain, KeptActivation output, KeptActivation reciprocalRms) {
            this.input = input;
            this.gain = gain;
            this.output = output;
            this.reciprocalRms = reciprocalRms;
        }

        static Norm of(Component component) {
            for (Norm norm : values()) {
                if (norm.gain.component() == component) {
                    return norm;
                }
            }
            throw new IllegalArgumentException(component + " is not an RMSNorm");
        }
    }

    /** The norm's gradients: of its output in, along the residual stream out, as the model's. */
    private static ComponentKernel norm(FlopCounter counter, CountingOps ops, Norm rows, KernelBuffers buffers) {
        RmsNorm norm = new RmsNorm(ops, rows.gain.component());
        FMatrixRMaj x = buffers.random(rows.input);
        FMatrixRMaj gain = buffers.random(rows.gain);
        FMatrixRMaj y = buffers.zero(rows.output);
        FMatrixRMaj r = buffers.zero(rows.reciprocalRms);
        FMatrixRMaj dy = buffers.random(NORM_OUTPUT_GRADIENT);
        FMatrixRMaj dx = buffers.zero(RESIDUAL_GRADIENT);
        FMatrixRMaj dGain = buffers.zero(rows.gain);
        norm.forward(x, gain, y, r);
        counter.reset();
        return new ComponentKernel(counter, () -> norm.forward(x, gain, y, r),
                () -> norm.backward(dy, x, gain, r, dx, dGain), () -> {
                    dx.zero();
                    dGain.zero();
                });
    }

    /** dA is written over dG, as in the model: {@link #prepare()} restores dG. */
    private static ComponentKernel swiGlu(FlopCounter counter, CountingOps ops, KernelBuffers buffers) {
        SwiGlu swiGlu = new SwiGlu(ops);
        FMatrixRMaj a = buffers.random(W1_OUTPUT);
        FMatrixRMaj gate = buffers.random(W3_OUTPUT);
        FMatrixRMaj silu = buffers.zero(SILU_OUTPUT);
        FMatrixRMaj product = buffers.zero(GATED_PRODUCT);
        FMatrixRMaj dProduct = buffers.random(PRODUCT_GRADIENT);
        FMatrixRMaj work = buffers.zero(PRODUCT_GRADIENT);
        FMatrixRMaj dGate = buffers.zero(W3_OUTPUT_GRADIENT);
        swiGlu.forward(a, gate, silu, product);
        counter.reset();
        return new ComponentKernel(counter, () -> swiGlu.forward(a, gate, silu, product),
                () -> swiGlu.backward(work, a, gate, silu, dGate), () -> work.setTo(dProduct));
    }

    /**
     * The logits are softmaxed in place and their gradient written over the probabilities:
     * {@link #prepare()} restores both. The row losses borrow the norm-output gradient, as in the model.
     */
    private static ComponentKernel crossEntropy(FlopCounter counter, CountingOps ops, Shape shape,
            KernelBuffers buffers) {
        CrossEntropy loss = new CrossEntropy(ops, buffers.zero(NORM_OUTPUT_GRADIENT));
        FMatrixRMaj logits = buffers.random(LOGIT_PROBABILITIES);
        int[] targets = buffers.ints(TARGETS, shape.vocabSize());
        FMatrixRMaj work = buffers.zero(LOGIT_PROBABILITIES);
        FMatrixRMaj probabilities = logits.copy();
        loss.forward(probabilities, targets);
        FMatrixRMaj dWork = buffers.zero(LOGIT_PROBABILITIES);
        counter.reset();
        return new ComponentKernel(counter, () -> loss.forward(work, targets), () -> loss.backward(dWork, targets),
                () -> {
                    work.setTo(logits);
                    dWork.setTo(probabilities);
                });
    }

    /** The backward scatter-adds the residual gradient: {@link #prepare()} clears the table's gradient. */
    private static ComponentKernel embedding(FlopCounter counter, CountingOps ops, Shape shape,
            KernelBuffers buffers) {
        Embedding embedding = new Embedding(ops);
        FMatrixRMaj table = buffers.random(TOKEN_EMBEDDING_WEIGHT);
        FMatrixRMaj tableGrad = buffers.zero(TOKEN_EMBEDDING_WEIGHT);
        int[] ids = buffers.ints(TOKEN_IDS, shape.vocabSize());
        FMatrixRMaj out = buffers.zero(EMBEDDING_OUTPUT);
        FMatrixRMaj dOut = buffers.random(RESIDUAL_GRADIENT);
        return new ComponentKernel(counter, () -> embedding.forward(ids, table, out),
                () -> embedding.backward(ids, dOut, tableGrad), tableGrad::zero);
    }
}
