package flopcast.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What do the settings people train with cost in time? One whole step on the vector backend, every
 * processor, at two shapes (T = 128 and T = 512: attention's share grows with T) under flash
 * attention, selective and full recomputation and bf16-mixed, each changed alone from the defaults
 * {@link VectorStepBenchmark} runs at the same shapes. Calibration predicts each from the fp32
 * component rows: the matmuls and kernels a setting runs again (hardware FLOPs), flash's tiles in
 * place of the probabilities. The report sets each beside its default step: how much slower, measured
 * and predicted.
 *
 * <p>Run alone: {@code mvn jmh:run -Djmh.include=SettingsStep}; one setting:
 * {@code -Djmh.params=recompute=full}.
 */
@Warmup(iterations = 1, time = 100, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 8, time = 100, timeUnit = TimeUnit.MILLISECONDS)
public class SettingsStepBenchmark extends WholeStepBenchmark {
    /** The setting changed from the defaults: one of attention, recompute or precision policy. */
    @Param({"attention=flash", "recompute=selective", "recompute=full", "precision_policy=bf16-mixed"})
    public String setting;

    @Param({"small", "long"})
    public String shape;

    @Param({"vector"})
    public String backend;

    @Param({"all"})
    public String threads;
}
