package flopcast.cli;

import flopcast.calibration.csv.CsvColumn;
import flopcast.calibration.csv.CsvText;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.Accounting;
import flopcast.analytic.CompleteAccounting;
import flopcast.analytic.ComponentRow;
import flopcast.analytic.DataParallel;
import flopcast.analytic.FlopTotals;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.MemoryBreakdown;
import flopcast.analytic.MemoryPolynomial;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Prediction;
import flopcast.analytic.RankPeak;
import flopcast.analytic.Shape;
import flopcast.analytic.ShapeKey;
import flopcast.analytic.TensorSpec;
import flopcast.analytic.TorchSavedTensor;
import flopcast.analytic.TrainingPlan;
import flopcast.analytic.TrainingTime;
import flopcast.analytic.WorkspaceBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code predict}'s JSON (keys as DESIGN.md names them) and its CSV, which is the same tree
 * flattened to one row per value.
 */
final class PredictDocument {
    static final List<CsvColumn> CSV_SCHEMA = List.of(
            new CsvColumn("accounting", "-", "seed or complete"),
            new CsvColumn("quantity", "-", "the JSON path of the value, array items named by their name"),
            new CsvColumn("value", "as the quantity", "the value: integers exact, others as Java prints a double"));

    private PredictDocument() {
    }

    /** A batch fit as {@code max_batch} writes it: the capacity, the largest batch, its fraction and what is spare. */
    static ObjectNode fitJson(MemoryPolynomial.BatchFit fit) {
        ObjectNode batch = Json.object();
        batch.put("capacity_bytes", fit.capacity().bytes());
        batch.put("capacity", fit.capacity().amount());
        batch.put("capacity_unit", fit.capacity().unit().symbol());
        batch.put(ShapeKey.BATCH_SIZE.key(), fit.batchSize());
        batch.put("fractional", fit.fractional());
        batch.put("spare_bytes", fit.spareBytes());
        return batch;
    }

    static ObjectNode json(Prediction prediction, MemoryPolynomial.BatchFit fit, TrainingPlan plan) {
        return json(prediction, fit, plan, null);
    }

    /**
     * The document with {@code answer} (which figure is the answer: {@link PredictAnswer#json()})
     * right after {@code accounting}; null leaves it out.
     */
    static ObjectNode json(Prediction prediction, MemoryPolynomial.BatchFit fit, TrainingPlan plan,
            PredictAnswer answer) {
        ObjectNode root = Json.object();
        root.put("accounting", prediction.accounting().cliName());
        if (answer != null) {
            root.set("answer", answer.json());
        }
        root.set("shape", Json.shape(prediction.shape()));
        root.set("settings", Json.settings(prediction.shape()));
        root.put("parameters", prediction.parameters());
        root.put("trainable_parameters", prediction.accounting() == Accounting.COMPLETE
                ? ParameterTensor.trainable(prediction.shape()) : prediction.parameters());
        // what one token's forward reads: the parameters, less the experts it is not routed to
        root.put("active_parameters", prediction.accounting() == Accounting.COMPLETE
                ? ParameterTensor.active(prediction.shape()) : prediction.parameters());

        MemoryBreakdown memory = prediction.memory();
        ObjectNode bytes = root.putObject("memory_bytes");
        bytes.put("parameters", memory.parametersBytes());
        bytes.put("gradients", memory.gradientsBytes());
        bytes.put("master_weights", memory.masterWeightsBytes());
        bytes.put("optimizer_state", memory.optimizerStateBytes());
        bytes.put("activations", memory.activationsBytes());
        bytes.put("workspace", memory.workspaceBytes());
        bytes.put("total", memory.totalBytes());
        bytes.put("fixed", memory.polynomial().fixedBytes());
        bytes.put("per_batch_element", memory.polynomial().perBatchElementBytes());

        FlopTotals flops = prediction.flops();
        ObjectNode flopNode = root.putObject("flops");
        flopNode.put("forward", flops.forward());
        flopNode.put("backward", flops.backward());
        flopNode.put("elementwise", flops.elementwise());
        flopNode.put("optimizer", flops.optimizer());
        flopNode.put("step", flops.step());
        flopNode.put("recompute", flops.recompute());
        flopNode.put("hardware", flops.hardware());

        if (fit != null) {
            root.set("max_batch", fitJson(fit));
        }
        if (plan != null) {
            TrainingTime time = plan.timeFor(flops.step());
            ObjectNode training = root.putObject("training");
            training.put("steps", plan.steps());
            training.put("device", plan.device() == null ? null : plan.device().cliName());
            training.put("precision", plan.precision().cliName());
            training.put("peak_flops_per_second", plan.peakFlopsPerSecond());
            training.put("mfu", plan.mfu());
            training.put("hfu", flops.hfu(plan.mfu()));
            training.put("total_flops", time.totalFlops());
            training.put("seconds", time.seconds());
            training.put("days", time.days());
        }

        ArrayNode components = root.putArray("components");
        for (ComponentRow row : prediction.components()) {
            ObjectNode item = components.addObject();
            item.put("name", row.component().jsonName());
            item.put("count", row.count());
            item.put("parameters", row.parameters());
            item.put("activation_floats", row.activationFloats());
            item.put("forward_flops", row.forwardFlops());
            item.put("elementwise_flops", row.elementwiseFlops());
        }
        if (prediction.accounting() == Accounting.COMPLETE) {
            ArrayNode tensors = root.putArray("tensors");
            Shape shape = prediction.shape();
            // bytes are every instance's, each at its own kind of block's width where blocks differ (the elements
            // are one instance's at the shape's own widths)
            for (KeptActivation tensor : KeptActivation.values()) {
                tensor(tensors, "activation", tensor.component().jsonName(), tensor, shape, tensor.instances(shape),
                        tensor.totalBytes(shape));
            }
            for (WorkspaceBuffer tensor : WorkspaceBuffer.values()) {
                tensor(tensors, "workspace", null, tensor, shape, tensor.instances(shape), tensor.totalBytes(shape));
            }
            for (KeptActivation tensor : KeptActivation.values()) {
                tensor(tensors, "recompute", tensor.component().jsonName(), tensor, shape,
                        tensor.recomputeInstances(shape), CompleteAccounting.recomputeBytes(tensor, shape));
            }
            if (TorchSavedTensor.covers(shape)) {
                ObjectNode profile = root.putObject("pytorch_saved");
                profile.put("profile", TorchSavedTensor.PROFILE);
                profile.put("bytes", TorchSavedTensor.savedBytes(shape));
                ArrayNode saved = profile.putArray("tensors");
                for (TorchSavedTensor tensor : TorchSavedTensor.ROWS) {
                    tensor(saved, TorchSavedTensor.PROFILE, tensor.row().component().jsonName(), tensor, shape,
                            tensor.instances(shape), tensor.totalBytes(shape));
                }
            }
        }
        return root;
    }

    /**
     * Keys added for the PyTorch probe, which reads them rather than restating them: {@code rank_peak}
     * (one rank's peak, {@link RankPeak}; complete accounting only), {@code training.step_seconds_at_peak}
     * (the step at MFU 1, {@link TrainingPlan#stepSecondsAtPeak}) and {@code pytorch_saved.torch_version}
     * (the release whose autograd the profile describes).
     */
    static void probeKeys(ObjectNode root, Prediction prediction, DataParallel ranks, TrainingPlan plan) {
        if (prediction.accounting() == Accounting.COMPLETE) {
            RankPeak peak = RankPeak.of(prediction, ranks == null ? DataParallel.SINGLE : ranks);
            ObjectNode node = root.putObject("rank_peak");
            node.put("bytes", peak.bytes());
            node.put("saved_by", peak.savedBy());
            node.put("state_bytes", peak.stateBytes());
            node.put("saved_bytes", peak.savedBytes());
            node.put("workspace_bytes", peak.workspaceBytes());
            if (root.get("pytorch_saved") instanceof ObjectNode profile) {
                profile.put("torch_version", TorchSavedTensor.TORCH_VERSION);
            }
        }
        if (plan != null) {
            ((ObjectNode) root.get("training")).put("step_seconds_at_peak",
                    plan.stepSecondsAtPeak(prediction.flops().step()));
        }
    }

    /** One tensor row where the settings hold {@code count} instances of it; none where they hold none. */
    private static void tensor(ArrayNode tensors, String kind, String component, TensorSpec tensor, Shape shape,
            long count, long bytes) {
        if (count == 0) {
            return;
        }
        ObjectNode item = tensors.addObject();
        item.put("name", tensor.tensorName());
        item.put("kind", kind);
        item.put("component", component);
        item.put("dtype", tensor.dataType(shape).label());
        item.put("shape", tensor.shapeText(shape));
        item.put("count", count);
        item.put("elements", tensor.elements(shape));
        item.put("bytes", bytes);
        item.put("read_by", tensor.reader());
    }

    /** The JSON tree as rows of (accounting, quantity, value). */
    static String csv(ObjectNode json) {
        String accounting = json.get("accounting").asText();
        List<List<Object>> rows = new ArrayList<>();
        for (List<Object> row : JsonRows.flatten(json)) {
            if (!row.get(0).equals("accounting")) {
                rows.add(List.of(accounting, row.get(0), row.get(1)));
            }
        }
        return CsvText.write(CSV_SCHEMA, rows);
    }
}
