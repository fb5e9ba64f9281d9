package flopcast.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long does one whole training step take on the vector backend, on one thread and on every processor, at shapes
 * unlike each other (d from 128 to 768, T from 32 to 512, B from 2 to 32, L from 1 to 8, V from 512
 * to 16384, d_ff/d from 2.7 to 8, h = 3 and 5, T above d)? These are the step-time model's held-out
 * set: calibration predicts each from the component rows of the other shapes only. The
 * {@code wide} row is the vector side of {@link BackendComparisonEjmlBenchmark}. Timed after
 * {@link SteadyState} has seen the step settle (C2 compiles the Vector API kernels in seconds).
 *
 * <p>A broken result looks like a step faster than the sum of its parts, or an MFU far from its
 * neighbours' at a similar size. Run alone: {@code mvn jmh:run -Djmh.include=VectorStep}.
 */
@Warmup(iterations = 1, time = 100, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 8, time = 100, timeUnit = TimeUnit.MILLISECONDS)
public class VectorStepBenchmark extends WholeStepBenchmark {
    @Param({"tiny", "small", "wide", "long", "deep", "vocab", "ffn", "narrow", "batch", "broad"})
    public String shape;

    @Param({"vector"})
    public String backend;

    /**
     * One thread, where the model has nothing but the kernels to explain, and every processor, where
     * the threads hand work to each other: the held-out targets differ (3% and 5%, 5% and 10%).
     */
    @Param({"1", "all"})
    public String threads;
}
