package flopcast.measure.model;

import flopcast.analytic.AdamWFlops;
import flopcast.analytic.Bf16Conversions;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.buffers.StoredTensor;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.OpClass;
import flopcast.measure.counting.OpProfile;
import flopcast.measure.kernels.Arithmetic;
import flopcast.measure.kernels.ElementwiseKernels;

/**
 * AdamW as torch.optim.AdamW defines it: decoupled weight decay p *= 1 - lr*wd, moments
 * m = beta1*m + (1 - beta1)*g and v = beta2*v + (1 - beta2)*g^2, bias corrections, and
 * p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps). Weight decay applies to every
 * parameter, as torch does for the parameters it is given. Under a mixed policy it updates the
 * float32 master copy and rounds it into the bfloat16 weights; under pure bf16 it widens the
 * weights, gradient and moments, updates them in float32 and rounds them back. Counted at the
 * costs per parameter and per step {@link AdamWFlops} declares. Each tensor's update is timed as
 * {@link OpClass#ADAMW}, the rounding of the master copy into the weights as a bf16 conversion.
 */
public final class AdamW {
    /** Parameters below which a part is not worth a thread. */
    private static final int GRAIN = 1 << 15;
    private final CountingOps ops;
    private final Hyperparameters hyperparameters;
    private final float oneMinusBeta1;
    private final float oneMinusBeta2;
    private double beta1Power = 1;
    private double beta2Power = 1;

    /**
     * @param learningRate lr
     * @param beta1        first-moment decay
     * @param beta2        second-moment decay
     * @param epsilon      added to the denominator
     * @param weightDecay  decoupled decay wd
     */
    public record Hyperparameters(float learningRate, float beta1, float beta2, float epsilon, float weightDecay) {
        /** torch.optim.AdamW's defaults but a learning rate fit for the small models measured here. */
        public static Hyperparameters defaults() {
            return new Hyperparameters(3e-3f, 0.9f, 0.999f, 1e-8f, 0.01f);
        }
    }

    /** Counts into {@code ops}' counter; each tensor's values are split across its backend's threads. */
    public AdamW(CountingOps ops, Hyperparameters hyperparameters) {
        this.ops = ops;
        this.hyperparameters = hyperparameters;
        this.oneMinusBeta1 = 1f - hyperparameters.beta1();
        this.oneMinusBeta2 = 1f - hyperparameters.beta2();
    }

    public void step(java.util.List<Parameter> parameters) {
        Hyperparameters hp = hyperparameters;
        ElementwiseKernels kernels = ops.kernels();
        Arithmetic f = kernels.arithmetic();
        OpProfile profile = ops.profile();
        beta1Power = f.mul(beta1Power, hp.beta1());
        beta2Power = f.mul(beta2Power, hp.beta2());
        float biasCorrection1 = (float) f.sub(1, beta1Power);
        float biasCorrection2 = (float) f.sub(1, beta2Power);
        float stepSize = f.div(hp.learningRate(), biasCorrection1);
        float sqrtBiasCorrection2 = f.sqrt(biasCorrection2);
        float decay = f.sub(1f, f.mul(hp.learningRate(), hp.weightDecay()));
        ElementwiseKernels.AdamWStep constants = new ElementwiseKernels.AdamWStep(decay, hp.beta1(), oneMinusBeta1,
                hp.beta2(), oneMinusBeta2, sqrtBiasCorrection2, hp.epsilon(), stepSize);
        long flops = AdamWFlops.PER_STEP;
        for (int t = 0; t < parameters.size(); t++) {
            Parameter parameter = parameters.get(t);
            // the float32 values updated: the master copy where the policy keeps one, else the weights
            StoredTensor updated = parameter.master != null ? parameter.master : parameter.value;
            float[] p = updated.load().data;
            float[] g = parameter.grad.load().data;
            float[] m = parameter.m.load().data;
            float[] v = parameter.v.load().data;
            long start = profile.start();
            flops += ops.workers().split(parameter.size(), GRAIN, 1, (part, from, to) -> {
                kernels.adamW(p, g, m, v, from, to, constants);
                return AdamWFlops.PER_PARAMETER * (to - from);
            });
            profile.stop(OpClass.ADAMW, start);
            updated.store();
            parameter.m.store();
            parameter.v.store();
            if (parameter.master != null) {
                start = profile.start();
                parameter.value.setValues(p);
                profile.stopMoving(OpClass.BF16_CONVERSION, start, parameter.size() * Bf16Conversions.MASTER_ROUND_BYTES);
            }
        }
        ops.optimizer(flops);
    }
}
