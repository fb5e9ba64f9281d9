package flopcast.measure.run;

import flopcast.analytic.CompleteAccounting;
import flopcast.analytic.DataType;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Prediction;
import flopcast.analytic.Shape;
import flopcast.analytic.StepTimeline;
import flopcast.analytic.WorkingCopies;
import flopcast.measure.buffers.BufferPool;
import flopcast.measure.buffers.MemoryLog;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.model.AdamW;
import flopcast.measure.model.TransformerModel;
import java.lang.ref.Reference;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Trains the model for a number of steps and reports what it counted beside what the complete
 * accounting predicts, the live bytes its buffers hold beside the predicted bytes, the bytes a
 * step allocates, and the seconds a step takes; on request, where a step's time goes ({@link StepProfile}).
 */
public final class TrainRun {

    private TrainRun() {
    }

    /**
     * @param forwardMatmulFlops  forward matmul FLOPs of one step
     * @param backwardMatmulFlops backward matmul FLOPs of one step
     * @param recomputeMatmulFlops matmul FLOPs one step runs again in backward (hardware, not model FLOPs)
     * @param elementwiseFlops    elementwise FLOPs of one step
     * @param optimizerFlops      AdamW FLOPs of one step
     * @param parameters          parameters
     * @param trainableParameters the parameters the step trains: all, or LoRA's adapters
     * @param activationFloats    kept activation elements (float32 or bfloat16; the int32 ids and targets excluded)
     * @param workingCopyFloats   float32 working copies of bfloat16 tensors ({@link WorkingCopies}; 0 under fp32)
     * @param nf4Bytes            bytes of QLoRA's NF4 weights: codes, quantized maxima and constants (0 without)
     */
    public record Counts(BigInteger forwardMatmulFlops, BigInteger backwardMatmulFlops,
            BigInteger recomputeMatmulFlops, BigInteger elementwiseFlops, BigInteger optimizerFlops, long parameters,
            long trainableParameters, long activationFloats, long workingCopyFloats, long nf4Bytes) {

        /** Model FLOPs: forward plus backward matmuls (MFU). */
        public BigInteger modelFlops() {
            return forwardMatmulFlops.add(backwardMatmulFlops);
        }

        /** Hardware FLOPs: model plus recomputed matmuls (HFU). */
        public BigInteger hardwareFlops() {
            return modelFlops().add(recomputeMatmulFlops);
        }
    }

    /**
     * @param shape                  what ran
     * @param steps                  steps executed
     * @param passes                 micro-batches a step accumulates, each of the shape's batch
     * @param firstLoss              loss of the first step
     * @param lastLoss               loss of the last step
     * @param counted                what the last step executed, counted at each call
     * @param predicted              what the complete accounting predicts
     * @param predictedHeapBytes     parameters, gradients, master weights, m, v, activations, workspace and the
     *                               working copies, predicted ({@link #predictedHeapBytes(Shape)})
     * @param measuredLiveBytes      live float[], int[], short[] and byte[] bytes the model added to the heap
     * @param allocatedBytesPerStep  median bytes allocated by the steps after the first, on every thread (the
     *                               first if only one)
     * @param secondsPerStep         median wall time of the steps after the first (the first if only one)
     * @param profile                where the profiled steps (the second half) spent their time, where asked for
     * @param timelines              the last step's buffers alive at each phase, from each one's first use to its
     *                               last ({@link MemoryLog}), with the gradients zeroed in place and set to none
     * @param pooled                 the steps after the first allocating and releasing their buffers as the
     *                               timeline says, where they ran ({@link Pooled})
     */
    public record Report(Shape shape, int steps, int passes, float firstLoss, float lastLoss, Counts counted,
            Counts predicted,
            long predictedHeapBytes, long measuredLiveBytes, long allocatedBytesPerStep, double secondsPerStep,
            Optional<StepProfile> profile, Map<StepTimeline.Gradients, List<MemoryLog.Phase>> timelines,
            Optional<Pooled> pooled) {

        public double heapRatio() {
            return (double) measuredLiveBytes / predictedHeapBytes;
        }

        public boolean countsEqual() {
            return counted.equals(predicted);
        }
    }

    /**
     * The steps after the first, their buffers allocated and released as the first step used them
     * ({@link BufferPool}): the pool's live bytes at every phase of the last step, and the JVM's live heap at
     * the predicted peak's phase of the second step beside the predicted peak.
     *
     * @param gradients            the gradients' lifetime the pooled steps ran
     * @param timeline             the pool's live bytes at the end of each phase of the last step, by kind
     * @param events               the pool's acquires and releases in the last step
     * @param allocatedBytes       bytes of the arrays the pool allocated in the last step
     * @param peakIndex            the predicted peak's phase, its index in the step's phases
     * @param predictedPeakBytes   the predicted peak ({@link StepTimeline#peak}) plus the float32 working copies
     * @param measuredPeakBytes    live float[], int[], short[] and byte[] bytes the model added to the heap, taken
     *                             as that phase ended, before its releases
     */
    public record Pooled(StepTimeline.Gradients gradients, List<MemoryLog.Phase> timeline, long events,
            long allocatedBytes, int peakIndex, long predictedPeakBytes, long measuredPeakBytes) {
        public Pooled {
            if (measuredPeakBytes < 0) {
                throw new IllegalStateException("the pooled step never reached phase " + peakIndex + ", the peak's");
            }
        }

        /** The heap at the peak's phase over the predicted peak. */
        public double heapRatio() {
            return (double) measuredPeakBytes / predictedPeakBytes;
        }
    }

    /**
     * The heap the executed model's buffers take: the complete accounting's memory (what a device
     * holds) plus the float32 working copies the CPU model widens bfloat16 tensors into.
     */
    public static long predictedHeapBytes(Shape shape) {
        return Math.addExact(CompleteAccounting.predict(shape).memory().totalBytes(), WorkingCopies.bytes(shape));
    }

    public static Report run(Shape shape, int steps, long seed) {
        return run(shape, steps, seed, MatmulBackend.ejml());
    }

    public static Report run(Shape shape, int steps, long seed, MatmulBackend backend) {
        return run(shape, steps, seed, backend, false);
    }

    /**
     * {@code steps} steps; where {@code profile}, the second half of the steps (after a warm-up of the
     * first half, at least the first step) time every op by class and pass ({@link StepProfile}), which
     * needs two steps or more.
     */
    public static Report run(Shape shape, int steps, long seed, MatmulBackend backend, boolean profile) {
        return run(shape, steps, seed, backend, profile, 1);
    }

    /**
     * As above, each step {@code passes} micro-batches of the shape's batch accumulated before AdamW
     * ({@link TransformerModel#step(int[][], int[][])}): the counts predicted for a step are a pass's
     * times the passes, AdamW's once. A profile is of one pass a step.
     */
    public static Report run(Shape shape, int steps, long seed, MatmulBackend backend, boolean profile, int passes) {
        return run(shape, steps, seed, backend, profile, passes, StepTimeline.Gradients.ZEROED);
    }

    /**
     * As above, the steps after the first pooled ({@link Pooled}) with the gradients {@code gradients}, unless
     * profiled: a profile times the ops on buffers held throughout, as the benchmarks' steps run, so an
     * allocation inside an op does not land in its class's time.
     */
    public static Report run(Shape shape, int steps, long seed, MatmulBackend backend, boolean profile, int passes,
            StepTimeline.Gradients gradients) {
        if (passes < 1) {
            throw new IllegalArgumentException("passes must be at least 1, got " + passes);
        }
        if (profile && passes > 1) {
            throw new IllegalArgumentException("passes must be 1 where the steps are profiled (the profile times one"
                    + " pass a step), got " + passes);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        }
        if (profile && steps < 2) {
            throw new IllegalArgumentException("a profile times the steps after the first (the warm-up): it needs"
                    + " 2 steps or more, got " + steps);
        }
        Prediction prediction = CompleteAccounting.predict(shape);
        long before = HeapMeter.liveArrayBytes();
        FlopCounter counter = new FlopCounter();
        TransformerModel model = new TransformerModel(shape, seed, counter, backend);
        SubsetSequences data = new SubsetSequences(shape, SubsetSequences.defaultSubsetSize(shape), seed);
        int n = Math.toIntExact(shape.tokens());
        int[][] tokens = new int[passes][n];
        int[][] targets = new int[passes][n];
        long[] nanos = new long[steps];
        long[] allocated = new long[steps];
        float firstLoss = 0;
        float lastLoss = 0;
        long measuredLive = 0;
        // the profile's warm-up: the first half of the steps, at least the first (the vector backend's
        // first steps run the Vector API's Java fallbacks until C2 has compiled its kernels)
        int profileFrom = Math.max(1, steps / 2);
        boolean pooling = !profile && steps > 1;
        StepTimeline timeline = StepTimeline.of(shape, gradients, passes);
        int peakIndex = timeline.runOrder().indexOf(timeline.peak());
        // the heap at the peak, taken in the second step: the histogram's seconds and allocations are not the step's
        long[] heapAtPeak = {-1};
        long[] hookNanos = {0};
        long[] hookAllocated = {0};
        BufferPool pool = null;
        for (int step = 0; step < steps; step++) {
            if (step == 1 && pooling) {
                pool = model.memoryLog().pool(gradients == StepTimeline.Gradients.SET_TO_NONE);
                pool.atPhaseEnds(phase -> {
                    if (phase != peakIndex) {
                        return;
                    }
                    long hookStart = System.nanoTime();
                    long hookAllocatedBefore = AllocationMeter.allocatedBytes();
                    heapAtPeak[0] = HeapMeter.liveArrayBytes() - before;
                    hookAllocated[0] = AllocationMeter.allocatedBytes() - hookAllocatedBefore;
                    hookNanos[0] = System.nanoTime() - hookStart;
                });
            }
            for (int pass = 0; pass < passes; pass++) {
                data.fill(tokens[pass], targets[pass]);
            }
            counter.reset();
            counter.profile().enabled(profile && step >= profileFrom);
            long allocatedBefore = AllocationMeter.allocatedBytes();
            long start = System.nanoTime();
            lastLoss = passes == 1 ? model.step(tokens[0], targets[0]) : model.step(tokens, targets);
            nanos[step] = System.nanoTime() - start - hookNanos[0];
            allocated[step] = AllocationMeter.allocatedBytes() - allocatedBefore - hookAllocated[0];
            hookNanos[0] = 0;
            hookAllocated[0] = 0;
            if (step == 0) {
                firstLoss = lastLoss;
                measuredLive = HeapMeter.liveArrayBytes() - before;
            }
        }
        Reference.reachabilityFence(model);
        Counts counted = new Counts(BigInteger.valueOf(counter.forwardMatmulFlops()),
                BigInteger.valueOf(counter.backwardMatmulFlops()), BigInteger.valueOf(counter.recomputeMatmulFlops()),
                BigInteger.valueOf(counter.elementwiseFlops()),
                BigInteger.valueOf(counter.optimizerFlops()), model.parameterCount(), model.trainableParameterCount(),
                counter.keptFloatsRead(), model.workingCopyFloats(), model.nf4Bytes());
        BigInteger times = BigInteger.valueOf(passes);
        Counts predicted = new Counts(prediction.flops().forward().multiply(times),
                prediction.flops().backward().multiply(times), prediction.flops().recompute().multiply(times),
                prediction.flops().elementwise().multiply(times), prediction.flops().optimizer(),
                prediction.parameters(), ParameterTensor.trainable(shape),
                Math.multiplyExact(KeptActivation.totalFloats(shape), passes),
                WorkingCopies.bytes(shape) / DataType.FLOAT32.bytes(), ParameterTensor.totalNf4Bytes(shape));
        int warm = steps > 1 ? 1 : 0;
        Optional<StepProfile> stepProfile = profile
                ? Optional.of(StepProfile.of(counter.profile(), sum(Arrays.copyOfRange(nanos, profileFrom, steps)),
                        profileFrom + 1, steps - profileFrom, shape, model.trainableParameterCount()))
                : Optional.empty();
        // medians, like the seconds: the vector backend's first steps run the Vector API's Java fallbacks,
        // which allocate, until C2 has compiled its kernels; a mean would report that warm-up
        long allocatedPerStep = Math.round(median(Arrays.copyOfRange(allocated, warm, steps)));
        return new Report(shape, steps, passes, firstLoss, lastLoss, counted, predicted, predictedHeapBytes(shape),
                measuredLive, allocatedPerStep, median(Arrays.copyOfRange(nanos, warm, steps)) / 1e9, stepProfile,
                Map.of(StepTimeline.Gradients.ZEROED, model.memoryLog().timeline(false),
                        StepTimeline.Gradients.SET_TO_NONE, model.memoryLog().timeline(true)),
                pool == null ? Optional.empty() : Optional.of(new Pooled(gradients, pool.timeline(), pool.events(),
                        pool.allocatedBytes(), peakIndex,
                        Math.addExact(timeline.peak().live().total(), WorkingCopies.bytes(shape)), heapAtPeak[0])));
    }

    private static long sum(long[] values) {
        long total = 0;
        for (long value : values) {
            total = Math.addExact(total, value);
        }
        return total;
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
    }
}
