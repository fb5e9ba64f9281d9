package flopcast.cli;

import static flopcast.cli.NumberText.grouped;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.Capacity;
import flopcast.analytic.Device;
import flopcast.analytic.DeviceOverhead;
import flopcast.analytic.StepTimeline;
import java.util.List;

/** A step's timeline ({@link StepTimeline}) as {@code predict} shows it: a summary line, a table, JSON. */
final class TimelineReport {

    private TimelineReport() {
    }

    /**
     * The summary's line: the peak, its phase and what is alive there, and on a catalog GPU the least its
     * usage shows ({@link DeviceOverhead}).
     */
    static String peak(StepTimeline timeline, Device device) {
        StepTimeline.Phase peak = timeline.peak();
        StepTimeline.Live live = peak.live();
        return Capacity.gigabytes(live.total()) + " at "
                + peak.describe(timeline.microBatches()) + " (" + choices(timeline, false) + "): weights "
                + share(live.weights(), live) + ", optimizer " + share(live.optimizerState(), live) + ", gradients "
                + share(live.gradients(), live) + ", activations " + share(live.activations(), live) + ", workspace "
                + share(live.workspace(), live) + (live.temporaries() == 0 ? "" : ", temporaries "
                        + share(live.temporaries(), live)) + (device == null ? "" : "; " + device.cliName()
                        + " shows at least " + Capacity.gigabytes(DeviceOverhead.deviceUsage(live.total(),
                                rows(timeline, device))));
    }

    /** The rows beyond the tensors on {@code device} for this timeline's rank. */
    private static List<DeviceOverhead.Row> rows(StepTimeline timeline, Device device) {
        return DeviceOverhead.rows(device, timeline.plan().ranks());
    }

    /**
     * "gradients zeroed", or with another framework or choice "pytorch: gradients set-to-none, AdamW foreach,
     * loss fp32", and with {@code rank} the rank it is where there are several.
     */
    static String choices(StepTimeline timeline, boolean rank) {
        StepTimeline.Options options = timeline.options();
        String gradients = "gradients " + options.gradients().cliName();
        String ranks = !rank || timeline.plan().ranks() == 1 ? "" : ", the largest of " + timeline.plan().ranks() + " "
                + timeline.plan().sharding().cliName() + " ranks";
        if (options.flopcastButGradients()) {
            return gradients + ranks;
        }
        return options.framework().cliName() + ": " + gradients + ", AdamW " + options.optimizer().cliName()
                + ", loss " + options.loss().cliName() + ranks;
    }

    /** {@code bytes} as a share of what {@code live} holds: "12.3%". */
    private static String share(long bytes, StepTimeline.Live live) {
        return String.format(java.util.Locale.ROOT, "%.1f%%", 100.0 * bytes / live.total());
    }

    /** Every phase's live bytes by kind, the peak marked. */
    static String table(StepTimeline timeline, Device device) {
        TextTable table = new TextTable("phase", ">weights", ">optimizer state", ">gradients", ">activations",
                ">workspace", ">temporaries", ">total", "");
        StepTimeline.Phase peak = timeline.peak();
        for (StepTimeline.Phase phase : timeline.phases()) {
            StepTimeline.Live live = phase.live();
            table.row(phase.describe(timeline.microBatches()), grouped(live.weights()), grouped(live.optimizerState()),
                    grouped(live.gradients()), grouped(live.activations()), grouped(live.workspace()),
                    grouped(live.temporaries()), grouped(live.total()), phase == peak ? "peak" : "");
        }
        String text = "step timeline, " + choices(timeline, true) + " (bytes alive at each phase's most; the sum "
                + grouped(timeline.sum()) + ")\n" + table.render();
        if (device == null) {
            return text;
        }
        long tensors = peak.live().total();
        List<DeviceOverhead.Row> rows = rows(timeline, device);
        TextTable beyond = new TextTable("beyond the tensors on " + device.cliName() + " (unchecked)", ">bytes",
                "counted in");
        for (DeviceOverhead.Row row : rows) {
            beyond.row(row.name(), grouped(row.bytes()), row.allocated() ? "allocated and usage" : "usage only");
        }
        return text + "\n" + beyond.render() + "peak allocated " + grouped(DeviceOverhead.allocatedPeak(tensors, rows))
                + " (max_memory_allocated), device usage at least " + grouped(DeviceOverhead.deviceUsage(tensors, rows))
                + " (nvidia-smi; the caching allocator's reserve not counted)\n";
    }

    static ObjectNode json(StepTimeline timeline, Device device) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        StepTimeline.Options options = timeline.options();
        node.put("framework", options.framework().cliName());
        node.put("gradients", options.gradients().cliName());
        node.put("optimizer", options.optimizer().cliName());
        node.put("loss_precision", options.loss().cliName());
        node.put("ranks", timeline.plan().ranks());
        node.put("sharding", timeline.plan().sharding().cliName());
        node.put("micro_batches", timeline.microBatches());
        node.put("sum_bytes", timeline.sum());
        StepTimeline.Phase peak = timeline.peak();
        ObjectNode peakNode = phase(timeline, peak);
        node.set("peak", peakNode);
        ArrayNode phases = node.putArray("phases");
        for (StepTimeline.Phase phase : timeline.phases()) {
            phases.add(phase(timeline, phase));
        }
        if (device != null) {
            List<DeviceOverhead.Row> rows = rows(timeline, device);
            ObjectNode beyond = node.putObject("beyond_tensors");
            beyond.put("device", device.cliName());
            beyond.put("checked", false);
            ArrayNode list = beyond.putArray("rows");
            for (DeviceOverhead.Row row : rows) {
                ObjectNode item = list.addObject();
                item.put("name", row.name());
                item.put("bytes", row.bytes());
                item.put("allocated", row.allocated());
            }
            beyond.put("peak_allocated_bytes", DeviceOverhead.allocatedPeak(peak.live().total(), rows));
            beyond.put("device_usage_at_least_bytes", DeviceOverhead.deviceUsage(peak.live().total(), rows));
        }
        return node;
    }

    private static ObjectNode phase(StepTimeline timeline, StepTimeline.Phase phase) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("phase", phase.describe(timeline.microBatches()));
        node.put("micro_batch", phase.microBatch());
        StepTimeline.Live live = phase.live();
        kinds(node, live.weights(), live.optimizerState(), live.gradients(), live.activations(), live.workspace(),
                live.temporaries());
        return node;
    }

    /** Puts the bytes alive by kind, and their total, into {@code node} (a predicted or a counted phase's). */
    static void kinds(ObjectNode node, long weights, long optimizerState, long gradients, long activations,
            long workspace) {
        kinds(node, weights, optimizerState, gradients, activations, workspace, null);
    }

    /** As above, with the phase's temporaries where it has a figure for them (a predicted timeline's). */
    private static void kinds(ObjectNode node, long weights, long optimizerState, long gradients, long activations,
            long workspace, Long temporaries) {
        node.put("weights", weights);
        node.put("optimizer_state", optimizerState);
        node.put("gradients", gradients);
        node.put("activations", activations);
        node.put("workspace", workspace);
        if (temporaries != null) {
            node.put("temporaries", temporaries);
        }
        node.put("total", Math.addExact(Math.addExact(Math.addExact(weights, optimizerState),
                Math.addExact(gradients, activations)), Math.addExact(workspace, temporaries == null ? 0 : temporaries)));
    }
}
