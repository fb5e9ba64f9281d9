package flopcast.benchmarks;

import flopcast.analytic.Component;
import flopcast.analytic.CompleteAccounting;
import flopcast.analytic.MinimumTraffic;
import flopcast.analytic.Prediction;
import flopcast.analytic.Shape;
import flopcast.measure.FlopCounter;
import flopcast.measure.SubsetSequences;
import flopcast.measure.TransformerModel;
import java.math.BigInteger;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long does one whole training step take (forward, backward, AdamW) at each named shape, and
 * what MFU is that? The model FLOPs counter is the forward plus backward matmul FLOPs (what MFU
 * divides by); elementwise and AdamW FLOPs ride along apart. More iterations than the other
 * benchmarks, so that the step's error stays within 5% of its score on a noisy machine.
 *
 * <p>A broken result looks like a step faster than the sum of its parts. Run alone:
 * {@code mvn jmh:run -Djmh.include=Step}.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 15, time = 1, timeUnit = TimeUnit.SECONDS)
public class StepBenchmark extends BenchmarkSettings {
    @Param({"tiny", "small"})
    public String shape;

    /** See {@link Backends}: EJML on one thread, the vector GEMM on every processor. */
    @Param({"ejml", "vector-all"})
    public String backend;

    private TransformerModel model;
    private int[] tokens;
    private int[] targets;
    private Work.PerOp perOp;

    @Setup(Level.Trial)
    public void buildModel() {
        if (!shape.equals("tiny") && backend.startsWith("ejml")) {
            ModelProfileWarmup.run();
        }
        Shape at = NamedShape.byName(shape).shape();
        model = new TransformerModel(at, 1, new FlopCounter(), Backends.of(backend));
        int n = Math.toIntExact(at.tokens());
        tokens = new int[n];
        targets = new int[n];
        new SubsetSequences(at, SubsetSequences.defaultSubsetSize(at), 1).fill(tokens, targets);
        Prediction prediction = CompleteAccounting.predict(at);
        perOp = new Work.PerOp(prediction.flops().step().longValueExact(),
                prediction.flops().elementwise().longValueExact(), prediction.flops().optimizer().longValueExact(),
                stepBytes(prediction).longValueExact());
    }

    /** Every component instance's forward and backward traffic, plus AdamW's. */
    static BigInteger stepBytes(Prediction prediction) {
        Shape at = prediction.shape();
        BigInteger bytes = MinimumTraffic.adamW(prediction.parameters());
        for (Component component : Component.values()) {
            BigInteger count = BigInteger.valueOf(component.scope().instances(at));
            bytes = bytes.add(MinimumTraffic.forward(component, at).add(MinimumTraffic.backward(component, at))
                    .multiply(count));
        }
        return bytes;
    }

    @Benchmark
    public float step(Work work) {
        float loss = model.step(tokens, targets);
        work.add(perOp);
        return loss;
    }
}
