package flopcast.calibration.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.calibration.report.CalibrationTable.Entry;

/**
 * A {@link CalibrationTable}, the JVM's or the probe's, as JSON: {@code host_cpu}, {@code target}
 * and {@code entries}, the same entries as {@code calibration.csv} in the same order, each with
 * {@code section}, {@code item}, {@code quantity}, {@code value} (an integer for a count),
 * {@code unit} and {@code note}. Pinned by {@code CalibrationTableTest}.
 */
public final class CalibrationJson {

    private CalibrationJson() {
    }

    public static ObjectNode tree(CalibrationTable table) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("host_cpu", table.hostCpu());
        root.put("target", table.target());
        ArrayNode entries = root.putArray("entries");
        for (Entry e : table.entries()) {
            ObjectNode item = entries.addObject();
            item.put("section", e.section().csvName());
            item.put("item", e.item());
            item.put("quantity", e.quantity().csvName());
            if (e.quantity().count()) {
                item.put("value", e.value().longValue());
            } else {
                item.put("value", e.value().doubleValue());
            }
            item.put("unit", e.unit().symbol());
            item.put("note", e.note());
        }
        return root;
    }
}
