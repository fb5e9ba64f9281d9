package flopcast.cli;

import flopcast.analytic.Capacity;
import flopcast.analytic.Device;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Precision;
import flopcast.analytic.Shape;
import flopcast.analytic.TrainingPlan;
import flopcast.analytic.TrainingTime;
import picocli.CommandLine.Option;

/** The device, capacity and training plan a prediction is asked about. */
final class TargetOptions {
    /** FLOP/s in a TFLOP/s. */
    private static final double TERA = 1e12;

    @Option(names = "--device", paramLabel = "NAME",
            description = "Catalog device (flopcast devices): a100-40gb, a100-80gb, h100-sxm, h200.")
    String device;

    @Option(names = "--memory-gb", paramLabel = "GB",
            description = "Capacity in GB (10^9 bytes); overrides the device's memory.")
    Double memoryGb;

    @Option(names = "--memory-gib", paramLabel = "GiB",
            description = "Capacity in GiB (2^30 bytes); overrides the device's memory.")
    Double memoryGib;

    @Option(names = "--precision", paramLabel = "P",
            description = "fp32, tf32 or bf16: which device peak the time divides by (default: the precision"
                    + " policy's compute type, fp32 under fp32; memory follows --precision-policy).")
    String precision;

    @Option(names = "--peak-tflops", paramLabel = "TFLOP/s",
            description = "Peak in TFLOP/s; overrides the device's peak.")
    Double peakTflops;

    @Option(names = "--mfu", paramLabel = "FRACTION", defaultValue = "0.5",
            description = "Model FLOPs utilization in (0, 1] (default: ${DEFAULT-VALUE}, the seed's).")
    double mfu;

    @Option(names = "--steps", paramLabel = "N",
            description = "Training steps for the time estimate; needs --device or --peak-tflops.")
    Long steps;

    @Option(names = "--tokens", paramLabel = "N",
            description = "Training tokens for the time estimate, instead of --steps: steps = ceil(N / (batch x"
                    + " context)); needs --device or --peak-tflops.")
    Long tokens;

    /** Everything resolved for {@code shape} (its policy's compute type is the default peak), or a one-line error. */
    Target resolve(Shape shape) {
        return resolve(shape, shape.tokens());
    }

    /**
     * As above, where a step trains {@code tokensPerStep} tokens: the global batch's, under data
     * parallelism, whose {@code shape} is one rank's.
     */
    Target resolve(Shape shape, long tokensPerStep) {
        Device catalogDevice = device == null ? null : Device.byName(device);
        Precision resolvedPrecision = precision == null ? shape.policy().compute() : Precision.byName(precision);
        TrainingTime.requireMfu(mfu);
        if (memoryGb != null && memoryGib != null) {
            throw new InvalidInputException("give --memory-gb or --memory-gib, not both");
        }
        Capacity capacity = null;
        if (memoryGb != null) {
            capacity = Capacity.of(memoryGb, Capacity.Unit.GB, "--memory-gb");
        } else if (memoryGib != null) {
            capacity = Capacity.of(memoryGib, Capacity.Unit.GIB, "--memory-gib");
        } else if (catalogDevice != null) {
            capacity = catalogDevice.memory();
        }
        if (peakTflops != null && !(peakTflops > 0 && Double.isFinite(peakTflops * TERA))) {
            throw new InvalidInputException("--peak-tflops must be a positive number, got " + peakTflops
                    + " (allowed: above 0, up to " + Double.MAX_VALUE / TERA + ")");
        }
        TrainingPlan plan = null;
        Long steps = steps(tokensPerStep);
        if (steps != null) {
            if (catalogDevice == null && peakTflops == null) {
                // the steps --tokens comes to are answered even so: the time is what needs the peak
                throw new InvalidInputException((tokens != null ? String.format(java.util.Locale.ROOT,
                        "--tokens %d is %,d step%s of %,d tokens; timing them", tokens, steps, steps == 1 ? "" : "s",
                        tokensPerStep)
                        : "--steps " + steps) + " needs a peak to divide by: give --device or --peak-tflops");
            }
            double peak = peakTflops != null ? peakTflops * TERA : catalogDevice.peakFlopsPerSecond(resolvedPrecision);
            plan = new TrainingPlan(steps, catalogDevice, resolvedPrecision, peak, mfu);
        }
        return new Target(catalogDevice, resolvedPrecision, capacity, plan);
    }

    /**
     * The steps asked for: {@code --steps}, or the fewest steps of {@code perStep} tokens (the global
     * batch x context) that cover {@code --tokens}; null with neither; a one-line error for both or a
     * bad value.
     */
    private Long steps(long perStep) {
        if (steps != null && tokens != null) {
            throw new InvalidInputException("give --steps or --tokens, not both (--steps " + steps + ", --tokens "
                    + tokens + ")");
        }
        if (steps != null && steps < 1) {
            throw new InvalidInputException("--steps must be at least 1, got " + steps);
        }
        if (tokens == null) {
            return steps;
        }
        if (tokens < 1) {
            throw new InvalidInputException("--tokens must be at least 1, got " + tokens);
        }
        return tokens / perStep + (tokens % perStep == 0 ? 0 : 1);
    }

    /**
     * @param device    catalog device, or null
     * @param precision precision of the peak
     * @param capacity  memory to fit, or null when none was given
     * @param plan      training plan, or null without {@code --steps}
     */
    record Target(Device device, Precision precision, Capacity capacity, TrainingPlan plan) {

        /** This target, its plan (where there is one) accumulating {@code passes} micro-batches a step. */
        Target accumulating(long passes) {
            return plan == null ? this : new Target(device, precision, capacity, plan.withMicroBatches(passes));
        }
    }
}
