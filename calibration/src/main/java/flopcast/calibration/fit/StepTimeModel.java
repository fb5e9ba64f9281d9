package flopcast.calibration.fit;

import flopcast.analytic.Bf16Conversions;
import flopcast.analytic.Component;
import flopcast.analytic.ElementwiseFlops;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.MinimumTraffic;
import flopcast.analytic.MlpKind;
import flopcast.analytic.NormKind;
import flopcast.analytic.OverheadTraffic;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.calibration.measurements.OpClass;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Time of one training step from the analytic module's per-component FLOPs and bytes and an
 * efficiency per op class:
 * <pre>
 *   time = sum over matmul passes of FLOPs / (peak x efficiency)
 *        + sum over memory-bound passes of bytes / (bandwidth(bytes) x efficiency) x kernel work
 *        + AdamW bytes / (bandwidth(bytes) x efficiency)
 *        + the work outside the components: bytes / bandwidth(footprint per call) (x efficiency, on the host,
 *          for the classes with rows of their own)
 *        + on the host, under a bf16 policy: the conversions' bytes / (bandwidth(footprint per call) x efficiency)
 *        + what the settings run again
 * </pre>
 * every component instance, forward and backward (backward matmuls: 2 x forward's FLOPs), each
 * memory-bound pass against the bandwidth at its own footprint ({@link MinimumTraffic#footprint}, and
 * {@link Bandwidth}: a cache level's where its data fits one). The
 * component rows are measured at the default settings; a step at other settings is predicted from
 * them by what the analytic tables say those settings execute:
 * <ul>
 * <li>matmuls run again (hardware FLOPs): each component of {@code Recompute.forwardAgain} and of
 *     {@code AttentionKernel.backwardRecomputes} once more, at its forward time;</li>
 * <li>elementwise kernels whose work the settings change (flash's tiles in place of the softmax, a
 *     rebuilt softmax or log-sum-exp, a block's forward kernels again under full recomputation):
 *     the measured default kernel's time scaled by the ratio of elementwise FLOPs, settings over
 *     default ({@code ElementwiseFlops}), i.e. at the measured kernel's time per elementwise FLOP.</li>
 * </ul>
 * A precision policy changes none of these: the model computes in float32 under every policy. What a
 * bf16 policy adds on this host is the widening of bfloat16 storage into float32 working copies and the
 * rounding back ({@link Bf16Conversions}), a term of the host's step alone ({@code hostThreads}): a GPU
 * converts in registers, so a device's step has none. Those are scalar loops (on the calling thread
 * but for eager attention's probabilities, rounded inside the attention split), well under the probe's
 * bandwidth, so they are timed from their own rows ({@code ConversionBenchmark}: the widening's
 * efficiency, and the rounding's time per element for every rounding). The work outside
 * the components' kernels is copies, adds and fills, timed at the bandwidth probe's rate at its bytes
 * per call: the token embedding's gather and scatter-add ({@link MinimumTraffic}), the residual adds,
 * biases, QK-norm, the head and tile copies and the gradient zeroing ({@link OverheadTraffic}); on the
 * host the residual adds, head copies and gradient zeroing at their own rows' efficiencies too
 * ({@code OverheadBenchmark}, whose loops read arrays that have left the cache, as the step's do: at
 * the probe's rate at one call's footprint the profile ran them 4 to 15 times slower than this term),
 * where the calibration has them. What is left unmodelled is the attention split's hand-off
 * between threads, and the conversions where they have no term: a model the conversion table does not
 * cover ({@link Bf16Conversions#uncovered}: biases, QK-norm, experts and the like under a bf16 policy),
 * or a calibration without conversion rows.
 */
public final class StepTimeModel {

    /** Efficiency of an op class at a size. */
    public interface Efficiency {
        double of(OpClass opClass, double size);

        /** Whether {@code opClass} has an efficiency: an {@linkplain OpClass#optional optional} class may have none. */
        default boolean fitted(OpClass opClass) {
            return true;
        }
    }

    /**
     * @param matmulSeconds    time in matmuls
     * @param memorySeconds    time in memory-bound kernels
     * @param overheadSeconds  time in the work outside the components (embedding, residual adds, copies,
     *                         gradient zeroing), forward and backward
     * @param optimizerSeconds time in AdamW
     * @param againSeconds     time in what the settings run again (recomputed matmuls, kernels and copies)
     */
    public record StepTime(double matmulSeconds, double memorySeconds, double overheadSeconds,
            double optimizerSeconds, double againSeconds) {
        public double seconds() {
            return matmulSeconds + memorySeconds + overheadSeconds + optimizerSeconds + againSeconds;
        }
    }

    /** What a term times: matmuls, a component's memory-bound kernel, the work outside them, or AdamW. */
    public enum Kind { MATMUL, MEMORY, OVERHEAD, OPTIMIZER }

    private StepTimeModel() {
    }

    /**
     * One term of the sum: a component's pass over all its instances (or AdamW), named as the in-situ
     * profile names its classes and passes, so that each can be set beside what the step spent there.
     *
     * @param opClass the profile's name of its class: a component's JSON name, residual_add, head_copy,
     *                gradient_zeroing, bf16_conversion or adamw
     * @param pass    forward, backward, recompute (what the settings run again) or optimizer
     * @param kind    what it times
     * @param seconds its time in the step
     */
    public record Term(String opClass, String pass, Kind kind, double seconds) {
    }

    /**
     * The step's time: {@link #terms} summed by kind, what the settings run again apart.
     *
     * @param hostThreads the kernel threads of a step the host's executed model runs (its bf16 conversions
     *                    timed); 0 for a device's step
     */
    public static StepTime predict(Shape shape, Efficiency efficiency, double peakFlopsPerSecond, Bandwidth bandwidth,
            int hostThreads) {
        double[] seconds = new double[Kind.values().length];
        double again = 0;
        for (Term term : terms(shape, efficiency, peakFlopsPerSecond, bandwidth, hostThreads)) {
            if (term.pass().equals("recompute")) {
                again += term.seconds();
            } else {
                seconds[term.kind().ordinal()] += term.seconds();
            }
        }
        return new StepTime(seconds[Kind.MATMUL.ordinal()], seconds[Kind.MEMORY.ordinal()],
                seconds[Kind.OVERHEAD.ordinal()], seconds[Kind.OPTIMIZER.ordinal()], again);
    }

    /**
     * Every term of the step's time, in component order, then the work outside the components (on the host,
     * the bf16 conversions last of them), AdamW last.
     */
    public static List<Term> terms(Shape shape, Efficiency efficiency, double peakFlopsPerSecond,
            Bandwidth bandwidth, int hostThreads) {
        requireMeasured(shape, "this shape", "--norm rmsnorm and --mlp swiglu");
        Shape measured = shape.withSettings(Settings.DEFAULT);
        Set<Component> matmulsAgain = EnumSet.noneOf(Component.class);
        matmulsAgain.addAll(shape.recompute().forwardAgain());
        matmulsAgain.addAll(shape.attention().backwardRecomputes());
        List<Term> terms = new ArrayList<>();
        for (Component component : Component.values()) {
            double count = component.instances(shape);
            for (boolean forward : new boolean[] {true, false}) {
                Optional<OpClass> opClass = OpClass.of(component, forward);
                if (opClass.isEmpty()) {
                    continue;
                }
                double seconds = count * passSeconds(opClass.get(), component, measured, forward, efficiency,
                        peakFlopsPerSecond, bandwidth);
                String pass = forward ? "forward" : "backward";
                String name = component.jsonName();
                if (opClass.get().computeBound()) {
                    terms.add(new Term(name, pass, Kind.MATMUL, seconds));
                    if (forward && matmulsAgain.contains(component)) {
                        terms.add(new Term(name, "recompute", Kind.MATMUL, seconds));
                    }
                } else {
                    BigInteger atDefault = forward ? ElementwiseFlops.forward(component, measured)
                            : ElementwiseFlops.backward(component, measured);
                    BigInteger atSettings = forward ? ElementwiseFlops.forward(component, shape)
                            : ElementwiseFlops.backward(component, shape);
                    terms.add(new Term(name, pass, Kind.MEMORY, seconds * ratio(atSettings, atDefault)));
                    BigInteger recomputed = ElementwiseFlops.recomputed(component, shape);
                    if (forward && recomputed.signum() > 0) {
                        terms.add(new Term(name, "recompute", Kind.MEMORY, seconds * ratio(recomputed, atDefault)));
                    }
                }
            }
        }
        for (boolean forward : new boolean[] {true, false}) {
            BigInteger bytes = forward ? MinimumTraffic.forward(Component.TOKEN_EMBEDDING, shape)
                    : MinimumTraffic.backward(Component.TOKEN_EMBEDDING, shape);
            terms.add(overhead(shape, new OverheadTraffic.Traffic(Component.TOKEN_EMBEDDING.jsonName(),
                    forward ? "forward" : "backward", 1, bytes, bytes), bandwidth, efficiency, hostThreads));
        }
        for (OverheadTraffic.Traffic traffic : OverheadTraffic.of(shape)) {
            terms.add(overhead(shape, traffic, bandwidth, efficiency, hostThreads));
        }
        if (hostThreads > 0 && Bf16Conversions.uncovered(shape).isEmpty() && efficiency.fitted(OpClass.BF16_WIDEN)
                && efficiency.fitted(OpClass.BF16_ROUND)) {
            for (Bf16Conversions.Pass pass : Bf16Conversions.of(shape)) {
                terms.add(new Term(Bf16Conversions.OP_CLASS, pass.pass(), Kind.OVERHEAD,
                        conversionSeconds(shape, pass, efficiency, bandwidth, hostThreads)));
            }
        }
        long parameters = ParameterTensor.total(shape);
        double adamBytes = MinimumTraffic.adamW(parameters).doubleValue();
        double adamLevel = bandwidth.at(MinimumTraffic.adamWFootprint(parameters).doubleValue());
        terms.add(new Term("adamw", "optimizer", Kind.OPTIMIZER,
                adamBytes / (adamLevel * efficiency.of(OpClass.ADAMW, adamBytes))));
        return terms;
    }

    /**
     * One line where {@code shape}'s norm or MLP is one no component row measures (LayerNorm, a GELU or
     * GeGLU MLP): RMSNorm's and SiLU's fits would time other kernels. {@code subject} names the shape as
     * the caller took it, {@code allowed} what the caller takes.
     */
    public static void requireMeasured(Shape shape, String subject, String allowed) {
        List<String> unmeasured = new ArrayList<>();
        if (shape.architecture().norm() != NormKind.RMS) {
            unmeasured.add(shape.architecture().norm().cliName());
        }
        if (shape.architecture().mlp() != MlpKind.SWIGLU) {
            unmeasured.add("a " + shape.architecture().mlp().cliName() + " MLP");
        }
        if (!unmeasured.isEmpty()) {
            throw new InvalidInputException(subject + " has " + String.join(" and ", unmeasured) + ", which no"
                    + " component row measures: the step-time model's efficiencies are fitted on RMSNorm and SwiGLU"
                    + " only (allowed: " + allowed + ")");
        }
        if (shape.settings().freezes()) {
            throw new InvalidInputException(subject + " trains part of the model (LoRA adapters or --freeze), which no"
                    + " component row measures: the step-time model's efficiencies are fitted on full training only"
                    + " (allowed: no --lora-rank or --freeze)");
        }
    }

    /**
     * Work outside the components: its bytes at the probe's bandwidth at one call's footprint; on the host,
     * for a class with rows of its own ({@link OpClass#overhead}: residual adds, head copies, gradient
     * zeroing), at their fitted efficiency at its bytes per call too, the head copies over the attention
     * split's parts (one a thread, at most B x h_kv), where the rows time one thread's loop.
     */
    private static Term overhead(Shape shape, OverheadTraffic.Traffic traffic, Bandwidth bandwidth,
            Efficiency efficiency, int hostThreads) {
        double perCall = traffic.bytes().doubleValue() / traffic.calls();
        double seconds = traffic.bytes().doubleValue() / bandwidth.at(traffic.footprint().doubleValue() / traffic.calls());
        Optional<OpClass> own = OpClass.overhead(traffic.opClass());
        if (hostThreads > 0 && own.isPresent() && efficiency.fitted(own.get())) {
            seconds /= efficiency.of(own.get(), perCall);
            if (own.get() == OpClass.HEAD_COPY) {
                seconds /= parts(shape, hostThreads);
            }
        }
        return new Term(traffic.opClass(), traffic.pass(), Kind.OVERHEAD, seconds);
    }

    /** The attention split's parts on {@code threads} threads: one a thread, at most one a (sequence, K/V head). */
    private static long parts(Shape shape, int threads) {
        return Math.min(threads, Math.multiplyExact(shape.batchSize(), shape.architecture().kvHeads()));
    }

    /**
     * A pass's conversions on {@code threads} threads: the widened bytes at the widening's efficiency at
     * the widening's bytes per call; every rounding (into storage, in place, the master copy into the
     * weights) at the rounding row's time per element, as 10 bytes an element at the rounding's efficiency
     * at its bytes per call: each rounds to nearest even element by element, a loop bound by its
     * arithmetic, not its bytes, so elements carry over where bytes would not. Each against the probe at
     * the footprint of one call of its kind. The in-place rounding of eager attention's probabilities runs
     * inside the attention split, one part a thread (at most B x h_kv parts); the rest on the calling thread.
     */
    private static double conversionSeconds(Shape shape, Bf16Conversions.Pass pass, Efficiency efficiency,
            Bandwidth bandwidth, int threads) {
        double seconds = 0;
        if (pass.widenCalls() > 0) {
            double widened = (double) pass.widened() * Bf16Conversions.WIDEN_BYTES;
            double perCall = widened / pass.widenCalls();
            seconds += widened / (bandwidth.at(perCall) * efficiency.of(OpClass.BF16_WIDEN, perCall));
        }
        long roundCalls = pass.calls() - pass.widenCalls();
        if (roundCalls > 0) {
            long elements = pass.rounded() + pass.mastered() + pass.inPlace();
            double perCall = (double) elements * Bf16Conversions.ROUND_BYTES / roundCalls;
            double footprint = (double) elements * Bf16Conversions.HELD_BYTES / roundCalls;
            double perElement = Bf16Conversions.ROUND_BYTES
                    / (bandwidth.at(footprint) * efficiency.of(OpClass.BF16_ROUND, perCall));
            seconds += perElement * (pass.rounded() + pass.mastered() + (double) pass.inPlace() / parts(shape, threads));
        }
        return seconds;
    }

    /** One instance's pass at the default settings, as its component rows measured it. */
    private static double passSeconds(OpClass op, Component component, Shape shape, boolean forward,
            Efficiency efficiency, double peakFlopsPerSecond, Bandwidth bandwidth) {
        double flops = MatmulFlops.forward(component, shape).multiply(BigInteger.valueOf(forward ? 1 : 2)).doubleValue();
        double bytes = (forward ? MinimumTraffic.forward(component, shape) : MinimumTraffic.backward(component, shape))
                .doubleValue();
        double e = efficiency.of(op, op.size(flops, bytes));
        return op.computeBound() ? flops / (peakFlopsPerSecond * e)
                : bytes / (bandwidth.at(MinimumTraffic.footprint(component, forward, shape).doubleValue()) * e);
    }

    /** settings over default elementwise FLOPs; 1 where the default runs none (nothing to scale). */
    private static double ratio(BigInteger atSettings, BigInteger atDefault) {
        return atDefault.signum() == 0 ? 1 : atSettings.doubleValue() / atDefault.doubleValue();
    }
}
