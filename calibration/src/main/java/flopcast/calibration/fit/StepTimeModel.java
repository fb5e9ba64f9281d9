package flopcast.calibration.fit;

import flopcast.analytic.Component;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.MinimumTraffic;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Shape;
import flopcast.calibration.measurements.OpClass;
import java.math.BigInteger;
import java.util.Optional;

/**
 * Time of one training step from the analytic module's per-component FLOPs and bytes and an
 * efficiency per op class:
 * <pre>
 *   time = sum over matmul passes of FLOPs / (peak x efficiency)
 *        + sum over memory-bound passes of bytes / (bandwidth x efficiency)
 *        + AdamW bytes / (bandwidth x efficiency)
 * </pre>
 * every component instance, forward and backward (backward matmuls: 2 x forward's FLOPs). The token
 * embedding (a row copy and a scatter-add) is left out: no benchmark times it alone, and it moves
 * under 1% of a step's bytes. Neither are the per-head copies of the attention or the gradient
 * zeroing, which the held-out check against measured steps accounts for in its error.
 */
public final class StepTimeModel {

    /** Efficiency of an op class at a size. */
    public interface Efficiency {
        double of(OpClass opClass, double size);
    }

    /**
     * @param matmulSeconds    time in matmuls
     * @param memorySeconds    time in memory-bound kernels
     * @param optimizerSeconds time in AdamW
     */
    public record StepTime(double matmulSeconds, double memorySeconds, double optimizerSeconds) {
        public double seconds() {
            return matmulSeconds + memorySeconds + optimizerSeconds;
        }
    }

    private StepTimeModel() {
    }

    public static StepTime predict(Shape shape, Efficiency efficiency, double peakFlopsPerSecond,
            double bandwidthBytesPerSecond) {
        double matmul = 0;
        double memory = 0;
        for (Component component : Component.values()) {
            double count = component.scope().instances(shape);
            for (boolean forward : new boolean[] {true, false}) {
                Optional<OpClass> opClass = OpClass.of(component, forward);
                if (opClass.isEmpty()) {
                    continue;
                }
                BigInteger matmulFlops = MatmulFlops.forward(component, shape).multiply(BigInteger.valueOf(forward ? 1 : 2));
                double flops = matmulFlops.doubleValue();
                double bytes = (forward ? MinimumTraffic.forward(component, shape)
                        : MinimumTraffic.backward(component, shape)).doubleValue();
                OpClass op = opClass.get();
                double e = efficiency.of(op, op.size(flops, bytes));
                if (op.computeBound()) {
                    matmul += count * flops / (peakFlopsPerSecond * e);
                } else {
                    memory += count * bytes / (bandwidthBytesPerSecond * e);
                }
            }
        }
        double adamBytes = MinimumTraffic.adamW(ParameterTensor.total(shape)).doubleValue();
        double optimizer = adamBytes / (bandwidthBytesPerSecond * efficiency.of(OpClass.ADAMW, adamBytes));
        return new StepTime(matmul, memory, optimizer);
    }
}
