package flopcast.cli;

import static flopcast.cli.NumberText.grouped;

import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.StepTimeline;
import flopcast.analytic.WorkingCopies;
import flopcast.measure.buffers.MemoryLog;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.run.TrainRun;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** {@code train}'s summary, its detail table and its JSON (keys as DESIGN.md names them). */
final class TrainReport {

    private TrainReport() {
    }

    static ObjectNode json(TrainRun.Report report, long seed, MatmulBackend backend, StepTimeline.Gradients gradients) {
        ObjectNode root = Json.object();
        root.set("shape", Json.shape(report.shape()));
        root.set("settings", Json.settings(report.shape()));
        root.put("steps", report.steps());
        root.put("accumulation_steps", report.passes());
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
        heap.put("working_copies", WorkingCopies.floatBytes(report.predicted().workingCopyFloats()));
        heap.put("measured_live", report.measuredLiveBytes());
        heap.put("ratio", report.heapRatio());
        root.put("allocated_bytes_per_step", report.allocatedBytesPerStep());
        root.put("seconds_per_step", report.secondsPerStep());
        report.profile().ifPresent(profile -> root.set("profile", ProfileTable.json(profile)));
        root.set("timeline", timelineJson(report, gradients));
        return root;
    }

    /** The predicted timeline of the step {@code train} ran (its micro-batches), the gradients as {@code gradients}. */
    private static StepTimeline predictedTimeline(TrainRun.Report report, StepTimeline.Gradients gradients) {
        return StepTimeline.of(report.shape(), gradients, report.passes());
    }

    /**
     * The counted timeline: the pool's live bytes at each phase of the last pooled step, where the steps after the
     * first ran pooled with {@code gradients}; otherwise (one step, or a profile) each buffer alive from its first
     * use to its last in the last step.
     */
    private static List<MemoryLog.Phase> counted(TrainRun.Report report, StepTimeline.Gradients gradients) {
        return pooled(report, gradients).map(TrainRun.Pooled::timeline).orElse(report.timelines().get(gradients));
    }

    /** The pooled steps, where they ran with {@code gradients}. */
    private static Optional<TrainRun.Pooled> pooled(TrainRun.Report report,
            StepTimeline.Gradients gradients) {
        return report.pooled().filter(pooled -> pooled.gradients() == gradients);
    }

    /**
     * Whether every phase's weights, optimizer state, gradients, activations and workspace counted equal the
     * predicted. Counted from the uses alone (no pooled step), the workspace is compared as at most the
     * predicted pool: an op reaches some rows through matrices it was handed once, unseen by the log.
     */
    static boolean timelineMatches(TrainRun.Report report, StepTimeline.Gradients gradients) {
        List<StepTimeline.Phase> predicted = predictedTimeline(report, gradients).runOrder();
        List<MemoryLog.Phase> counted = counted(report, gradients);
        boolean pooled = pooled(report, gradients).isPresent();
        if (predicted.size() != counted.size()) {
            return false;
        }
        for (int i = 0; i < counted.size(); i++) {
            MemoryLog.Phase c = counted.get(i);
            StepTimeline.Live p = predicted.get(i).live();
            if (!c.name().equals(predicted.get(i).name()) || c.microBatch() != predicted.get(i).microBatch()
                    && !(c.microBatch() > 2 && predicted.get(i).microBatch() == 2) || c.weights() != p.weights()
                    || c.optimizerState() != p.optimizerState() || c.gradients() != p.gradients()
                    || c.activations() != p.activations()
                    || (pooled ? c.workspace() != p.workspace() : c.workspace() > p.workspace())) {
                return false;
            }
        }
        return true;
    }

    /** The summary's line: whether the counted timeline holds what the predicted one does, and both peaks. */
    private static String timelineLine(TrainRun.Report report, StepTimeline.Gradients gradients) {
        StepTimeline predicted = predictedTimeline(report, gradients);
        List<MemoryLog.Phase> counted = counted(report, gradients);
        MemoryLog.Phase peak = counted.get(0);
        for (MemoryLog.Phase phase : counted) {
            if (phase.total() > peak.total()) {
                peak = phase;
            }
        }
        boolean pooled = pooled(report, gradients).isPresent();
        return (timelineMatches(report, gradients) ? "counted = predicted at all " + counted.size() + " phases"
                + (report.passes() == 1 ? "" : " of " + report.passes() + " micro-batches")
                : "DIFFERENT from the predicted phases (--format json has both)") + ", gradients "
                + gradients.cliName() + (pooled ? " (the pool's live bytes as the step allocated and released them)"
                : " (each buffer from its first use to its last; the workspace as its ops touched it)") + "; peak "
                + grouped(predicted.peak().live().total()) + " predicted at "
                + predicted.peak().describe(report.passes()) + ", " + grouped(peak.total()) + " counted at "
                + (report.passes() == 1 ? "" : "micro-batch " + peak.microBatch() + ": ") + peak.name();
    }

    /** The summary's line on the JVM's heap at the predicted peak's phase of a pooled step; null where none ran. */
    private static String peakHeapLine(TrainRun.Report report, StepTimeline.Gradients gradients) {
        return pooled(report, gradients).map(pooled -> String.format(Locale.ROOT, "ratio %.4f: %s bytes live as %s"
                + " ended (step 2, its buffers pooled) vs %s predicted (the peak%s)", pooled.heapRatio(),
                grouped(pooled.measuredPeakBytes()), phaseName(report, pooled.timeline().get(pooled.peakIndex())),
                grouped(pooled.predictedPeakBytes()), report.predicted().workingCopyFloats() > 0
                        ? " and the float32 working copies" : "")).orElse(null);
    }

    private static String phaseName(TrainRun.Report report, MemoryLog.Phase phase) {
        return (report.passes() == 1 || phase.microBatch() == 0 ? "" : "micro-batch " + phase.microBatch() + ": ")
                + phase.name();
    }

    private static ObjectNode timelineJson(TrainRun.Report report, StepTimeline.Gradients gradients) {
        ObjectNode node = Json.object();
        node.put("gradients", gradients.cliName());
        node.put("counted_matches_predicted", timelineMatches(report, gradients));
        Optional<TrainRun.Pooled> pooled = pooled(report, gradients);
        node.put("counted_from", pooled.isPresent() ? "pool" : "uses");
        pooled.ifPresent(run -> {
            node.put("pool_events", run.events());
            node.put("pool_allocated_bytes", run.allocatedBytes());
            ObjectNode heap = node.putObject("heap_at_peak");
            MemoryLog.Phase at = run.timeline().get(run.peakIndex());
            heap.put("micro_batch", at.microBatch());
            heap.put("phase", at.name());
            heap.put("predicted", run.predictedPeakBytes());
            heap.put("measured_live", run.measuredPeakBytes());
            heap.put("ratio", run.heapRatio());
        });
        List<StepTimeline.Phase> predicted = predictedTimeline(report, gradients).runOrder();
        List<MemoryLog.Phase> counted = counted(report, gradients);
        com.fasterxml.jackson.databind.node.ArrayNode phases = node.putArray("phases");
        for (int i = 0; i < counted.size(); i++) {
            MemoryLog.Phase c = counted.get(i);
            ObjectNode phase = phases.addObject();
            phase.put("micro_batch", c.microBatch());
            phase.put("phase", c.name());
            TimelineReport.kinds(phase.putObject("counted"), c.weights(), c.optimizerState(), c.gradients(),
                    c.activations(), c.workspace());
            if (i < predicted.size()) {
                StepTimeline.Live p = predicted.get(i).live();
                TimelineReport.kinds(phase.putObject("predicted"), p.weights(), p.optimizerState(), p.gradients(),
                        p.activations(), p.workspace());
            }
        }
        return node;
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
        node.put("trainable_parameters", counts.trainableParameters());
        node.put("activation_floats", counts.activationFloats());
        node.put("working_copy_floats", counts.workingCopyFloats());
        node.put("nf4_bytes", counts.nf4Bytes());
        return node;
    }

    /** One count of a step, counted and predicted. */
    private record Count(String name, BigInteger counted, BigInteger predicted) {
        boolean equal() {
            return counted.equals(predicted);
        }
    }

    /** The counts the table and the summary compare, in table order; rows that are zero on both sides left out. */
    private static List<Count> counts(TrainRun.Report report) {
        TrainRun.Counts c = report.counted();
        TrainRun.Counts p = report.predicted();
        List<Count> counts = new ArrayList<>();
        counts.add(new Count("forward matmul FLOPs", c.forwardMatmulFlops(), p.forwardMatmulFlops()));
        counts.add(new Count("backward matmul FLOPs", c.backwardMatmulFlops(), p.backwardMatmulFlops()));
        if (p.recomputeMatmulFlops().signum() > 0 || c.recomputeMatmulFlops().signum() > 0) {
            counts.add(new Count("recompute matmul FLOPs", c.recomputeMatmulFlops(), p.recomputeMatmulFlops()));
            counts.add(new Count("hardware FLOPs (HFU)", c.hardwareFlops(), p.hardwareFlops()));
        }
        counts.add(new Count("elementwise FLOPs", c.elementwiseFlops(), p.elementwiseFlops()));
        counts.add(new Count("AdamW FLOPs", c.optimizerFlops(), p.optimizerFlops()));
        counts.add(new Count("parameters", BigInteger.valueOf(c.parameters()), BigInteger.valueOf(p.parameters())));
        if (p.trainableParameters() != p.parameters() || c.trainableParameters() != c.parameters()) {
            counts.add(new Count("trainable parameters (LoRA)", BigInteger.valueOf(c.trainableParameters()),
                    BigInteger.valueOf(p.trainableParameters())));
        }
        counts.add(new Count("kept activation floats", BigInteger.valueOf(c.activationFloats()),
                BigInteger.valueOf(p.activationFloats())));
        if (p.workingCopyFloats() > 0 || c.workingCopyFloats() > 0) {
            counts.add(new Count("float32 working copies", BigInteger.valueOf(c.workingCopyFloats()),
                    BigInteger.valueOf(p.workingCopyFloats())));
        }
        if (p.nf4Bytes() > 0 || c.nf4Bytes() > 0) {
            counts.add(new Count("NF4 weight bytes (QLoRA)", BigInteger.valueOf(c.nf4Bytes()),
                    BigInteger.valueOf(p.nf4Bytes())));
        }
        return counts;
    }

    private static String title(TrainRun.Report report, long seed, MatmulBackend backend) {
        return "flopcast train: " + report.steps() + " steps of the complete model"
                + (report.passes() == 1 ? "" : " (" + report.passes() + " accumulated micro-batches each)") + ", "
                + precision(report)
                + ", matmuls on " + backend.name() + ", " + backend.threads()
                + (backend.threads() == 1 ? " thread" : " threads") + ", seed " + seed;
    }

    /**
     * The answer first: whether every count the run executed equals the prediction, and how the
     * live heap compares with the predicted bytes, then the step's time and the loss; {@code
     * detailFollows} drops the line that points to {@code --detail}. Checked by {@code TrainCommandTest}.
     */
    static String summary(TrainRun.Report report, long seed, MatmulBackend backend, StepTimeline.Gradients gradients,
            boolean detailFollows) {
        Summary summary = new Summary(title(report, seed, backend));
        summary.line("shape", report.shape().describe());
        List<Count> counts = counts(report);
        List<String> different = new ArrayList<>();
        for (Count count : counts) {
            if (!count.equal()) {
                different.add(count.name() + " counted " + grouped(count.counted()) + ", predicted "
                        + grouped(count.predicted()));
            }
        }
        summary.line("counts", different.isEmpty()
                ? "counted = predicted: all " + counts.size() + " counts of a step equal (FLOPs, parameters, kept floats)"
                : "DIFFERENT in " + different.size() + " of " + counts.size() + ": " + String.join("; ", different));
        summary.line("heap", String.format(Locale.ROOT, "ratio %.4f: %s bytes live vs %s predicted",
                report.heapRatio(), grouped(report.measuredLiveBytes()), grouped(report.predictedHeapBytes())));
        summary.line("timeline", timelineLine(report, gradients));
        String peakHeap = peakHeapLine(report, gradients);
        if (peakHeap != null) {
            summary.line("peak heap", peakHeap);
        }
        summary.line("step", String.format(Locale.ROOT, "%.4f s (median%s); loss %.4f first, %.4f last (ln V = %.4f)",
                report.secondsPerStep(), which(report), report.firstLoss(), report.lastLoss(),
                Math.log(report.shape().vocabSize())));
        if (!detailFollows) {
            summary.line("detail", "--detail adds every count beside its prediction and the bytes allocated a step");
        }
        return summary.render();
    }

    private static String which(TrainRun.Report report) {
        return report.steps() > 1 ? " of steps 2.." + report.steps() : " of the only step";
    }

    /** Every count beside its prediction, the heap and the allocation: the detail behind the summary. */
    static String table(TrainRun.Report report) {
        StringBuilder text = new StringBuilder();
        // the summary above carries the title and the shape; the detail starts at the counts
        TrainRun.Counts p = report.predicted();
        TextTable table = new TextTable("per step", ">counted", ">predicted", "");
        for (Count count : counts(report)) {
            table.row(count.name(), grouped(count.counted()), grouped(count.predicted()),
                    count.equal() ? "equal" : "DIFFERENT");
        }
        text.append(table.render()).append('\n');
        text.append(String.format(Locale.ROOT, "heap               %s bytes live (GC.class_histogram, float[], int[],"
                + " short[] and byte[]) vs %s predicted: ratio %.4f%n", grouped(report.measuredLiveBytes()),
                grouped(report.predictedHeapBytes()), report.heapRatio()));
        if (p.workingCopyFloats() > 0) {
            text.append(String.format(Locale.ROOT, "                   (predicted: %s bytes a device holds, plus %s of"
                    + " float32 working copies the CPU model widens bfloat16 into)%n",
                    grouped(report.predictedHeapBytes() - WorkingCopies.floatBytes(p.workingCopyFloats())),
                    grouped(WorkingCopies.floatBytes(p.workingCopyFloats()))));
        }
        String which = which(report);
        text.append(String.format(Locale.ROOT,
                "allocated per step %s bytes, every thread (%.4f%% of predicted%s; median%s)%n",
                grouped(report.allocatedBytesPerStep()),
                100.0 * report.allocatedBytesPerStep() / report.predictedHeapBytes(), report.pooled()
                        .map(pooled -> ": the pool's arrays " + grouped(pooled.allocatedBytes())).orElse(""), which));
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
}
