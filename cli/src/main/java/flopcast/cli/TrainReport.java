package flopcast.cli;

import static flopcast.cli.NumberText.grouped;

import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.PrecisionPolicy;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.run.TrainRun;
import java.math.BigInteger;
import java.util.Locale;

/** {@code train}'s table and JSON (keys as DESIGN.md names them). */
final class TrainReport {

    private TrainReport() {
    }

    static ObjectNode json(TrainRun.Report report, long seed, MatmulBackend backend) {
        ObjectNode root = Json.object();
        root.set("shape", Json.shape(report.shape()));
        root.set("settings", Json.settings(report.shape()));
        root.put("steps", report.steps());
        root.put("seed", seed);
        root.put("backend", backend.name());
        root.put("threads", backend.threads());
        ObjectNode loss = root.putObject("loss");
        loss.put("first", report.firstLoss());
        loss.put("last", report.lastLoss());
        root.set("counted", counts(report.counted()));
        root.set("predicted", counts(report.predicted()));
        root.put("counted_equals_predicted", report.countsEqual());
        ObjectNode heap = root.putObject("heap_bytes");
        heap.put("predicted", report.predictedHeapBytes());
        heap.put("working_copies", Math.multiplyExact(report.predicted().workingCopyFloats(), 4L));
        heap.put("measured_live", report.measuredLiveBytes());
        heap.put("ratio", report.heapRatio());
        root.put("allocated_bytes_per_step", report.allocatedBytesPerStep());
        root.put("seconds_per_step", report.secondsPerStep());
        return root;
    }

    private static ObjectNode counts(TrainRun.Counts counts) {
        ObjectNode node = Json.object();
        node.put("forward_matmul_flops", counts.forwardMatmulFlops());
        node.put("backward_matmul_flops", counts.backwardMatmulFlops());
        node.put("recompute_matmul_flops", counts.recomputeMatmulFlops());
        node.put("hardware_flops", counts.hardwareFlops());
        node.put("elementwise_flops", counts.elementwiseFlops());
        node.put("optimizer_flops", counts.optimizerFlops());
        node.put("parameters", counts.parameters());
        node.put("activation_floats", counts.activationFloats());
        node.put("working_copy_floats", counts.workingCopyFloats());
        return node;
    }

    static String table(TrainRun.Report report, long seed, MatmulBackend backend) {
        StringBuilder text = new StringBuilder();
        text.append("flopcast train: ").append(report.steps()).append(" steps of the complete model, ")
                .append(precision(report)).append(", matmuls on ")
                .append(backend.name()).append(", ").append(backend.threads()).append(backend.threads() == 1
                        ? " thread" : " threads").append(", seed ").append(seed).append('\n');
        text.append("shape: ").append(report.shape().describe()).append("\n\n");
        TrainRun.Counts c = report.counted();
        TrainRun.Counts p = report.predicted();
        TextTable table = new TextTable("per step", ">counted", ">predicted", "");
        row(table, "forward matmul FLOPs", c.forwardMatmulFlops(), p.forwardMatmulFlops());
        row(table, "backward matmul FLOPs", c.backwardMatmulFlops(), p.backwardMatmulFlops());
        if (p.recomputeMatmulFlops().signum() > 0 || c.recomputeMatmulFlops().signum() > 0) {
            row(table, "recompute matmul FLOPs", c.recomputeMatmulFlops(), p.recomputeMatmulFlops());
            row(table, "hardware FLOPs (HFU)", c.hardwareFlops(), p.hardwareFlops());
        }
        row(table, "elementwise FLOPs", c.elementwiseFlops(), p.elementwiseFlops());
        row(table, "AdamW FLOPs", c.optimizerFlops(), p.optimizerFlops());
        row(table, "parameters", BigInteger.valueOf(c.parameters()), BigInteger.valueOf(p.parameters()));
        row(table, "kept activation floats", BigInteger.valueOf(c.activationFloats()),
                BigInteger.valueOf(p.activationFloats()));
        if (p.workingCopyFloats() > 0 || c.workingCopyFloats() > 0) {
            row(table, "float32 working copies", BigInteger.valueOf(c.workingCopyFloats()),
                    BigInteger.valueOf(p.workingCopyFloats()));
        }
        text.append(table.render()).append('\n');
        text.append(String.format(Locale.ROOT, "heap               %s bytes live (GC.class_histogram, float[], int[]"
                + " and short[]) vs %s predicted: ratio %.4f%n", grouped(report.measuredLiveBytes()),
                grouped(report.predictedHeapBytes()), report.heapRatio()));
        if (p.workingCopyFloats() > 0) {
            text.append(String.format(Locale.ROOT, "                   (predicted: %s bytes a device holds, plus %s of"
                    + " float32 working copies the CPU model widens bfloat16 into)%n",
                    grouped(report.predictedHeapBytes() - 4 * p.workingCopyFloats()),
                    grouped(4 * p.workingCopyFloats())));
        }
        String which = report.steps() > 1 ? " of steps 2.." + report.steps() : " of the only step";
        text.append(String.format(Locale.ROOT,
                "allocated per step %s bytes, every thread (%.4f%% of predicted; median%s)%n",
                grouped(report.allocatedBytesPerStep()),
                100.0 * report.allocatedBytesPerStep() / report.predictedHeapBytes(), which));
        text.append(String.format(Locale.ROOT, "seconds per step   %.4f (median%s)%n", report.secondsPerStep(), which));
        text.append(String.format(Locale.ROOT, "loss               %.4f first, %.4f last (ln V = %.4f)%n",
                report.firstLoss(), report.lastLoss(), Math.log(report.shape().vocabSize())));
        return text.toString();
    }

    /** fp32, or the bf16 policy and what it stores. */
    private static String precision(TrainRun.Report report) {
        PrecisionPolicy policy = report.shape().policy();
        return policy == PrecisionPolicy.FP32 ? "float32"
                : policy.cliName() + " (bfloat16 storage, float32 arithmetic)";
    }

    private static void row(TextTable table, String name, BigInteger counted, BigInteger predicted) {
        table.row(name, grouped(counted), grouped(predicted), counted.equals(predicted) ? "equal" : "DIFFERENT");
    }
}
