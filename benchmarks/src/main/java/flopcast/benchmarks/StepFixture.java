package flopcast.benchmarks;

import flopcast.analytic.Component;
import flopcast.analytic.CompleteAccounting;
import flopcast.analytic.MinimumTraffic;
import flopcast.analytic.Prediction;
import flopcast.analytic.Shape;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.run.SubsetSequences;
import flopcast.measure.run.TrainRun;
import flopcast.measure.model.TransformerModel;
import java.math.BigInteger;

/** A model, one fixed batch, and the step's work per op: what the step benchmarks time. */
final class StepFixture {
    private final TransformerModel model;
    private final int[] tokens;
    private final int[] targets;
    private final Work.PerOp perOp;

    StepFixture(Identity identity, boolean measuresHeap) {
        Shape shape = identity.shape();
        model = new TransformerModel(shape, 1, new FlopCounter(), identity.matmulBackend());
        int n = Math.toIntExact(shape.tokens());
        tokens = new int[n];
        targets = new int[n];
        new SubsetSequences(shape, SubsetSequences.defaultSubsetSize(shape), 1).fill(tokens, targets);
        Prediction prediction = CompleteAccounting.predict(shape);
        perOp = new Work.PerOp(prediction.flops().step().longValueExact(),
                prediction.flops().elementwise().longValueExact(), prediction.flops().optimizer().longValueExact(),
                stepBytes(prediction).longValueExact(), identity.threads(),
                // the JVM's heap: a bf16 policy's model also holds the float32 working copies it widens into
                measuresHeap ? TrainRun.predictedHeapBytes(shape) : 0);
    }

    /** One training step, recorded. */
    float step(Work work) {
        float loss = step();
        work.add(perOp);
        return loss;
    }

    /** What one step does. */
    Work.PerOp perOp() {
        return perOp;
    }

    /** One training step, not recorded (warm-up). */
    float step() {
        return model.step(tokens, targets);
    }

    /** Every component instance's forward and backward traffic, plus AdamW's. */
    static BigInteger stepBytes(Prediction prediction) {
        Shape at = prediction.shape();
        BigInteger bytes = MinimumTraffic.adamW(prediction.parameters());
        for (Component component : Component.values()) {
            BigInteger count = BigInteger.valueOf(component.instances(at));
            bytes = bytes.add(MinimumTraffic.forward(component, at).add(MinimumTraffic.backward(component, at))
                    .multiply(count));
        }
        return bytes;
    }
}
