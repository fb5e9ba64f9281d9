package flopcast.cli;

import static flopcast.cli.NumberText.grouped;
import static flopcast.cli.NumberText.groupedOrDash;
import static flopcast.cli.NumberText.seed;

import flopcast.analytic.Accounting;
import flopcast.analytic.AdamWFlops;
import flopcast.analytic.CompleteAccounting;
import flopcast.analytic.Component;
import flopcast.analytic.DataParallel;
import flopcast.analytic.DataType;
import flopcast.analytic.ComponentRow;
import flopcast.analytic.FlopTotals;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.MemoryBreakdown;
import flopcast.analytic.MemoryPolynomial;
import flopcast.analytic.Prediction;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Shape;
import flopcast.analytic.TensorSpec;
import flopcast.analytic.TrainingPlan;
import flopcast.analytic.TrainingTime;
import flopcast.analytic.WorkspaceBuffer;
import java.math.BigInteger;
import java.util.Locale;

/**
 * {@code predict --detail}'s tables, after the summary: the component rows, then memory, largest
 * batch, FLOPs and training time, each in the seed's notation (9 significant digits) beside the
 * exact integer, then the kept-tensor and workspace rows. With ranks every figure here is one
 * rank's at B / N before sharding, so the largest batch and the time are left to the data-parallel
 * section that follows. Checked by {@code PredictTableTest}.
 */
final class PredictTable {

    private PredictTable() {
    }

    /** The detail; {@code ranks} is the data-parallel plan, or null on one device. */
    static String render(Prediction prediction, MemoryPolynomial.BatchFit fit, TrainingPlan plan, DataParallel ranks) {
        Shape shape = prediction.shape();
        boolean seedAccounting = prediction.accounting() == Accounting.SEED;
        StringBuilder text = new StringBuilder();
        // the summary above names the command and the accounting; the detail starts at the full shape
        text.append("shape: ").append(shape.describe()).append("\n\n");
        text.append(components(prediction)).append('\n');

        MemoryBreakdown memory = prediction.memory();
        MemoryPolynomial polynomial = memory.polynomial();
        String words = seedAccounting ? "floats" : "4-byte values (float32; int32 token ids and targets)";
        text.append("parameters         ").append(grouped(prediction.parameters())).append('\n');
        long word = DataType.FLOAT32.bytes();
        PrecisionPolicy policy = shape.policy();
        if (seedAccounting || policy == PrecisionPolicy.FP32) {
            text.append("memory             ").append(grouped(polynomial.perBatchElementBytes() / word))
                    .append(" x B + ").append(grouped(polynomial.fixedBytes() / word)).append(' ').append(words)
                    .append('\n');
        } else {
            text.append("memory             ").append(grouped(polynomial.perBatchElementBytes())).append(" x B + ")
                    .append(grouped(polynomial.fixedBytes())).append(" bytes (").append(policy.cliName())
                    .append(": weights ").append(policy.weightBytes()).append(" + gradients ")
                    .append(policy.gradientBytes()).append(" + master ").append(policy.masterWeightBytes())
                    .append(" + AdamW m, v ").append(policy.optimizerStateBytes()).append(" = ")
                    .append(policy.bytesPerParameter()).append(shape.settings().freezes()
                            ? " bytes per trainable parameter, the frozen ones' weights alone" : " bytes per parameter")
                    .append("; activations and workspace " + policy.activationType().label() + ")\n");
        }
        text.append("                   = ").append(seed(BigInteger.valueOf(polynomial.fixedBytes()))).append(" + ")
                .append(seed(BigInteger.valueOf(polynomial.perBatchElementBytes()))).append(" x B bytes\n");
        text.append(String.format(Locale.ROOT, "%-19s", "at B = " + shape.batchSize())).append("parameters ")
                .append(grouped(memory.parametersBytes())).append(", gradients ").append(grouped(memory.gradientsBytes()))
                .append(memory.masterWeightsBytes() == 0 ? "" : ", master weights " + grouped(memory.masterWeightsBytes()))
                .append(", AdamW m and v ").append(grouped(memory.optimizerStateBytes())).append(", activations ")
                .append(grouped(memory.activationsBytes())).append(", workspace ")
                .append(memory.workspaceBytes() == null ? "not counted" : grouped(memory.workspaceBytes()))
                .append(": total ").append(grouped(memory.totalBytes())).append(" bytes\n");
        if (fit != null && ranks != null) {
            text.append("largest batch      per rank: in the data-parallel section below (the model state is sharded"
                    + " there)\n");
        } else if (fit != null && !fit.fixedPartFits()) {
            text.append("largest batch      on ").append(fit.capacity().describe()).append(": 0, does not fit: ")
                    .append(fit.shortfall()).append('\n');
        } else if (fit != null) {
            text.append("largest batch      on ").append(fit.capacity().describe()).append(": ")
                    .append(fit.batchSize()).append(" (").append(NumberText.fractionalBatch(fit.fractional()))
                    .append(" before rounding down)");
            if (fit.batchSize() == 0) {
                text.append("; one sequence needs ").append(grouped(polynomial.perBatchElementBytes()))
                        .append(" bytes, ").append(grouped(polynomial.perBatchElementBytes() - fit.spareBytes()))
                        .append(" more than the ").append(grouped(fit.spareBytes())).append(" left after the fixed part");
            }
            text.append('\n');
        }
        text.append(flops(prediction, seedAccounting));
        if (plan != null) {
            text.append(training(prediction.flops(), plan, ranks != null));
        }
        if (!seedAccounting) {
            text.append('\n').append(tensors(shape));
        }
        return text.toString();
    }

    private static String components(Prediction prediction) {
        boolean seedAccounting = prediction.accounting() == Accounting.SEED;
        Shape shape = prediction.shape();
        TextTable table = new TextTable("component", ">count", ">parameters", ">activation floats",
                ">forward FLOPs", ">elementwise FLOPs", "activation", "forward FLOP formula");
        long blockParameters = 0;
        long blockActivations = 0;
        BigInteger blockFlops = BigInteger.ZERO;
        BigInteger blockElementwise = prediction.flops().elementwise() == null ? null : BigInteger.ZERO;
        // where blocks differ, the per-instance figures and so the block's total are one block's: the first sparse
        // block that trains where there is one (Shape.trainingBlock)
        Shape block = shape.trainingBlock();
        for (ComponentRow row : prediction.components()) {
            if (row.component().inBlock()) {
                long perBlock = row.component().instances(block) / shape.layers();
                blockParameters = Math.addExact(blockParameters, Math.multiplyExact(perBlock, row.parameters()));
                blockActivations = Math.addExact(blockActivations,
                        Math.multiplyExact(perBlock, row.activationFloats()));
                blockFlops = blockFlops.add(row.forwardFlops().multiply(BigInteger.valueOf(perBlock)));
                if (blockElementwise != null) {
                    blockElementwise = blockElementwise.add(
                            row.elementwiseFlops().multiply(BigInteger.valueOf(perBlock)));
                }
            }
        }
        for (ComponentRow row : prediction.components()) {
            if (row.component() == Component.FINAL_RMSNORM) {
                table.row(shape.mixedBlocks() ? "block total (block " + shape.trainingBlockIndex() + ")"
                        : "block total (per block)",
                        grouped(shape.mixedBlocks() ? 1 : shape.layers()), grouped(blockParameters),
                        grouped(blockActivations), grouped(blockFlops), groupedOrDash(blockElementwise), "", "");
            }
            table.row(row.component().jsonName(), grouped(row.count()), grouped(row.parameters()),
                    grouped(row.activationFloats()), grouped(row.forwardFlops()), groupedOrDash(row.elementwiseFlops()),
                    row.activationFormula(), row.forwardFlopsFormula());
        }
        FlopTotals flops = prediction.flops();
        table.row("total", "", grouped(prediction.parameters()), grouped(totalActivationFloats(prediction)),
                grouped(flops.forward()), groupedOrDash(flops.elementwise()), "",
                seedAccounting ? "2*B*T*d*(4d + 2T + 3*d_ff): one block, no L factor, no LM head"
                        : shape.mixedBlocks() ? "each kind of block's own + LM head" : "L*(block) + LM head");
        return (shape.mixedBlocks() ? "per instance of block " + shape.trainingBlockIndex() + " (blocks differ; the"
                + " total row sums every block); 'count' instances in the model\n"
                : "per instance; 'count' instances in the model\n") + table.render();
    }

    private static long totalActivationFloats(Prediction prediction) {
        long sum = 0;
        for (ComponentRow row : prediction.components()) {
            sum = Math.addExact(sum, row.totalActivationFloats());
        }
        return sum;
    }

    private static String flops(Prediction prediction, boolean seedAccounting) {
        FlopTotals flops = prediction.flops();
        long batch = prediction.shape().batchSize();
        BigInteger perSequence = flops.forward().divide(BigInteger.valueOf(batch));
        StringBuilder text = new StringBuilder();
        text.append("forward FLOPs      ").append(seed(perSequence)).append(" x B = ").append(seed(flops.forward()))
                .append(" at B = ").append(batch).append(" (").append(grouped(flops.forward())).append(")\n");
        text.append("forward + backward ").append(seed(flops.step())).append(" (").append(grouped(flops.step()))
                .append(prediction.shape().settings().freezes()
                        ? "; backward " + seed(flops.backward()) + ": 2 x forward but a frozen weight's, its input"
                                + " gradient only, 1 x"
                        : "; backward = 2 x forward")
                .append(seedAccounting ? ", the seed's \"x3\")\n" : "; model FLOPs, what MFU divides by)\n");
        if (flops.recompute() != null && flops.recompute().signum() > 0) {
            text.append("recompute FLOPs    ").append(seed(flops.recompute())).append(" (")
                    .append(grouped(flops.recompute())).append("; matmuls executed again: ")
                    .append(recomputeWhat(prediction.shape())).append(")\n");
            text.append("hardware FLOPs     ").append(seed(flops.hardware())).append(" (")
                    .append(grouped(flops.hardware())).append("; model + recompute, what HFU divides by: HFU = ")
                    .append(String.format(Locale.ROOT, "%.4f", flops.hardwarePerModelFlop()))
                    .append(" x MFU)\n");
        }
        text.append("elementwise FLOPs  ").append(flops.elementwise() == null ? "not counted by the seed"
                : grouped(flops.elementwise())).append('\n');
        text.append("AdamW FLOPs        ").append(flops.optimizer() == null ? "not counted by the seed"
                : grouped(flops.optimizer()) + " (" + AdamWFlops.formula()
                        + (prediction.shape().settings().freezes() ? ", over the trainable parameters" : "")
                        + ")")
                .append('\n');
        return text.toString();
    }

    private static String recomputeWhat(Shape shape) {
        String flash = shape.attention().rerunDescription();
        String mode = shape.recompute().rerunDescription();
        return flash.isEmpty() ? mode : mode.isEmpty() ? flash : flash + " and " + mode;
    }

    private static String training(FlopTotals flops, TrainingPlan plan, boolean ranks) {
        TrainingTime time = plan.timeFor(flops.step());
        String peakSource = plan.device() == null ? "given peak" : plan.device().cliName();
        String text = (ranks ? "compute alone      " : "training           ") + grouped(plan.steps()) + " steps x "
                + (plan.microBatches() == 1 ? "" : plan.microBatches() + " passes x ") + seed(flops.step()) + " = "
                + seed(time.totalFlops()) + " FLOPs / (" + NumberText.percent(plan.mfu()) + " of "
                + NumberText.plain(plan.peakFlopsPerSecond() / 1e12) + " TFLOP/s, " + plan.precision().cliName() + ", " + peakSource
                + ") = " + grouped(time.seconds(), 2) + " s = " + grouped(time.days(), 2) + " days"
                + (ranks ? " without communication: the time is the step with comms below\n" : "\n");
        if (flops.recompute() != null && flops.recompute().signum() > 0) {
            text += "HFU                " + NumberText.percent(flops.hfu(plan.mfu())) + " at that MFU: the hardware"
                    + " also runs the recomputed matmuls (HFU = MFU x hardware / model FLOPs)\n";
        }
        return text;
    }

    private static String tensors(Shape shape) {
        TextTable table = new TextTable("kept tensor / workspace", "component", "dtype", "shape", ">count",
                ">elements", ">bytes (all)", "read by");
        for (KeptActivation tensor : KeptActivation.values()) {
            if (tensor.instances(shape) > 0) {
                tensorRow(table, tensor, tensor.component().jsonName(), shape, tensor.instances(shape),
                        tensor.totalBytes(shape));
            }
        }
        for (WorkspaceBuffer tensor : WorkspaceBuffer.values()) {
            if (tensor.instances(shape) > 0) {
                tensorRow(table, tensor, "(workspace)", shape, tensor.instances(shape), tensor.totalBytes(shape));
            }
        }
        for (KeptActivation tensor : KeptActivation.values()) {
            if (tensor.recomputeInstances(shape) > 0) {
                tensorRow(table, tensor, "(recompute)", shape, tensor.recomputeInstances(shape),
                        CompleteAccounting.recomputeBytes(tensor, shape));
            }
        }
        return table.render();
    }

    /** One row: {@code bytes} every instance's, each at its kind of block's widths where blocks differ. */
    private static void tensorRow(TextTable table, TensorSpec tensor, String component, Shape shape, long count,
            long bytes) {
        table.row(tensor.tensorName(), component, tensor.dataType(shape).label(), tensor.shapeText(shape),
                grouped(count), grouped(tensor.elements(shape)), grouped(bytes), tensor.reader());
    }
}
