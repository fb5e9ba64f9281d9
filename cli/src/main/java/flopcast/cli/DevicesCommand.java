package flopcast.cli;

import flopcast.calibration.csv.CsvColumn;
import flopcast.calibration.csv.CsvText;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.Device;
import flopcast.analytic.Precision;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code devices}: the catalog, a source per row. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "The device catalog: dense peak FLOP/s per precision (no sparsity), memory and bandwidth,"
                + " with the source of each row.")
final class DevicesCommand extends FormattedCommand {
    static final List<CsvColumn> CSV_SCHEMA = List.of(
            new CsvColumn("device", "-", "name for --device"),
            new CsvColumn("description", "-", "the product"),
            new CsvColumn("fp32_flops_per_second", "FLOP/s", "dense float32 peak"),
            new CsvColumn("tf32_flops_per_second", "FLOP/s", "dense TF32 tensor-core peak"),
            new CsvColumn("bf16_flops_per_second", "FLOP/s", "dense bfloat16 tensor-core peak"),
            new CsvColumn("memory_bytes", "bytes", "memory capacity (datasheet GB, 10^9 bytes)"),
            new CsvColumn("bandwidth_bytes_per_second", "bytes/s", "memory bandwidth"),
            new CsvColumn("nvlink_bytes_per_second", "bytes/s", "NVLink, one direction, per GPU (up to 8 ranks)"),
            new CsvColumn("network_bytes_per_second", "bytes/s", "InfiniBand, one direction, per GPU (beyond 8 ranks)"),
            new CsvColumn("source", "-", "where the row's figures come from"));

    @Override
    String render(OutputFormat output) {
        return switch (output) {
            case TABLE -> table();
            case CSV -> csv();
            case JSON -> json();
        };
    }

    private static String table() {
        TextTable table = new TextTable("device", "description", ">fp32 TFLOP/s", ">tf32 TFLOP/s", ">bf16 TFLOP/s",
                ">memory GB", ">bandwidth GB/s", ">NVLink GB/s", ">network GB/s", "source");
        for (Device device : Device.values()) {
            table.row(device.cliName(), device.description(), tera(device, Precision.FP32),
                    tera(device, Precision.TF32), tera(device, Precision.BF16),
                    NumberText.plain(device.memory().bytes() / 1e9), NumberText.plain(device.bandwidthBytesPerSecond() / 1e9),
                    NumberText.plain(device.nvlinkBytesPerSecond() / 1e9),
                    NumberText.plain(device.networkBytesPerSecond() / 1e9), device.source());
        }
        return table.render();
    }

    private static String tera(Device device, Precision precision) {
        return NumberText.plain(device.peakFlopsPerSecond(precision) / 1e12);
    }

    private static String csv() {
        List<List<Object>> rows = new ArrayList<>();
        for (Device device : Device.values()) {
            rows.add(List.of(device.cliName(), device.description(), device.peakFlopsPerSecond(Precision.FP32),
                    device.peakFlopsPerSecond(Precision.TF32), device.peakFlopsPerSecond(Precision.BF16),
                    device.memory().bytes(), device.bandwidthBytesPerSecond(), device.nvlinkBytesPerSecond(),
                    device.networkBytesPerSecond(), device.source()));
        }
        return CsvText.write(CSV_SCHEMA, rows);
    }

    private static String json() {
        ObjectNode root = Json.object();
        ArrayNode devices = root.putArray("devices");
        for (Device device : Device.values()) {
            ObjectNode item = devices.addObject();
            item.put("device", device.cliName());
            item.put("description", device.description());
            item.put("fp32_flops_per_second", device.peakFlopsPerSecond(Precision.FP32));
            item.put("tf32_flops_per_second", device.peakFlopsPerSecond(Precision.TF32));
            item.put("bf16_flops_per_second", device.peakFlopsPerSecond(Precision.BF16));
            item.put("memory_bytes", device.memory().bytes());
            item.put("bandwidth_bytes_per_second", device.bandwidthBytesPerSecond());
            item.put("nvlink_bytes_per_second", device.nvlinkBytesPerSecond());
            item.put("network_bytes_per_second", device.networkBytesPerSecond());
            item.put("source", device.source());
            item.put("cuda_name_pattern", device.cudaNamePattern());
        }
        return Json.write(root);
    }
}
