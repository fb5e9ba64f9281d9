package flopcast.measure;

import flopcast.analytic.Component;
import org.ejml.data.FMatrixRMaj;

/**
 * Mean cross-entropy of the logits against the next tokens. The logits are softmaxed in place,
 * and the backward pass writes their gradient over the probabilities.
 * Forward N*(5V + 5) + 1 FLOPs, backward N*(V + 1) + 1.
 */
final class CrossEntropy {
    private final CountingOps ops;

    CrossEntropy(CountingOps ops) {
        this.ops = ops;
    }

    /** Softmaxes each row of {@code logits} in place and returns the mean loss. */
    float forward(FMatrixRMaj logits, int[] targets) {
        int rows = logits.numRows;
        int vocab = logits.numCols;
        float[] z = logits.data;
        double total = 0;
        long flops = 0;
        for (int row = 0; row < rows; row++) {
            int base = row * vocab;
            float target = z[base + targets[row]];
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                max = Math.max(max, z[base + j]);                  // 1
            }
            float sum = 0;
            for (int j = 0; j < vocab; j++) {
                float e = (float) Math.exp(z[base + j] - max);     // 2
                z[base + j] = e;
                sum += e;                                          // 1
            }
            float inverse = 1f / sum;                              // 1
            for (int j = 0; j < vocab; j++) {
                z[base + j] *= inverse;                            // 1
            }
            double rowLoss = Math.log(sum) + max - target;         // 3: log, +, -
            total += rowLoss;                                      // 1
            flops += 5L * vocab + 5;
        }
        float mean = (float) (total / rows);                       // 1
        ops.elementwise(Component.CROSS_ENTROPY, flops + 1);
        return mean;
    }

    /** Differentiates the mean loss: (p - onehot(target)) / N, written over the probabilities. */
    void backward(FMatrixRMaj probabilities, int[] targets) {
        int rows = probabilities.numRows;
        int vocab = probabilities.numCols;
        float[] p = probabilities.data;
        float scale = 1f / rows;                                   // 1
        long flops = 1;
        for (int row = 0; row < rows; row++) {
            int base = row * vocab;
            p[base + targets[row]] -= 1f;                          // 1
            for (int j = 0; j < vocab; j++) {
                p[base + j] *= scale;                              // 1
            }
            flops += vocab + 1L;
        }
        ops.elementwise(Component.CROSS_ENTROPY, flops);
    }
}
