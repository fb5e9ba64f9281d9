package flopcast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A JSON tree as (path, value) rows: objects joined with '.', array items named by their "name", or
 * by their index where they have none (data_parallel.per_rank.0.parameters_bytes).
 */
final class JsonRows {

    private JsonRows() {
    }

    static List<List<Object>> flatten(JsonNode root) {
        List<List<Object>> rows = new ArrayList<>();
        flatten("", root, rows);
        return rows;
    }

    private static void flatten(String path, JsonNode node, List<List<Object>> rows) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                flatten(path.isEmpty() ? field.getKey() : path + "." + field.getKey(), field.getValue(), rows);
            }
        } else if (node.isArray()) {
            int index = 0;
            for (JsonNode item : node) {
                if (!item.isContainerNode()) {
                    // a list of plain values (LoRA's targets): one row each, by index
                    flatten(path + "." + index++, item, rows);
                    continue;
                }
                String name = item.has("name") ? item.get("name").asText() : String.valueOf(index);
                index++;
                for (Map.Entry<String, JsonNode> field : item.properties()) {
                    if (!field.getKey().equals("name")) {
                        flatten(path + "." + name + "." + field.getKey(), field.getValue(), rows);
                    }
                }
            }
        } else {
            rows.add(List.of(path, node.isNull() ? "" : node.asText()));
        }
    }
}
