package flopcast.calibration.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import flopcast.analytic.Device;
import flopcast.analytic.Precision;
import flopcast.analytic.Preset;
import flopcast.analytic.Shape;
import flopcast.calibration.fit.CalibrationResult;
import flopcast.calibration.fit.Extrapolation;
import flopcast.calibration.fit.HeldOut;
import flopcast.calibration.fit.SyntheticMeasurements;
import flopcast.calibration.fit.TorchCalibration;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.measurements.MeasurementsCsv;
import flopcast.calibration.measurements.SyntheticRows;
import flopcast.calibration.report.CalibrationPart.Assumption;
import flopcast.calibration.report.JvmParts.HeapCheck;
import flopcast.calibration.report.JvmParts.HeldOutStep;
import flopcast.calibration.profile.ProfileCsv;
import flopcast.calibration.profile.ProfileCsvTest;
import flopcast.calibration.report.JvmParts.HeldOutSummary;
import flopcast.calibration.report.JvmParts.ProfiledStep;
import flopcast.calibration.report.JvmParts.SettingStep;
import flopcast.calibration.report.JvmParts.HostFit;
import flopcast.calibration.report.JvmParts.HostStep;
import flopcast.calibration.report.JvmParts.JvmRows;
import flopcast.calibration.report.JvmParts.Memory;
import flopcast.calibration.report.JvmParts.OpFit;
import flopcast.calibration.report.CalibrationPart.SensitivityRow;
import flopcast.calibration.report.CalibrationTable.Entry;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The typed calibration and its renderers, on synthetic JVM rows (two shapes, EJML on one thread)
 * and synthetic probe rows (a GPU with a catalog peak: two shape classes, three steps).
 */
class CalibrationTableTest {
    private static final CalibrationResult.TargetSpec TARGET = new CalibrationResult.TargetSpec("seed-gpt2-xl",
            Preset.byName("seed-gpt2-xl").shape(1024), Device.byName("a100-80gb"), Precision.FP32, 400_000);

    private static CalibrationTable jvm(Path directory) {
        Path file = directory.resolve("measurements.csv");
        MeasurementsCsv.write(file, SyntheticRows.twoShapesAndASetting("Test CPU"));
        ProfileCsv.write(directory.resolve(ProfileCsv.FILE_NAME), ProfileCsvTest.rows("synthetic", "Test CPU"));
        return CalibrationTable.of(CalibrationResult.of(file, null, TARGET));
    }

    private static CalibrationTable probe() {
        List<Map<String, String>> rows = List.of(SyntheticMeasurements.probeStep("GPU", 16, 2, 2e12, 0.016, 1e15),
                SyntheticMeasurements.probeStep("GPU", 16, 4, 4e12, 0.02, 1e15),
                SyntheticMeasurements.probeStep("GPU", 32, 1, 1e13, 0.1, 1e15));
        return CalibrationTable.of(TorchCalibration.of(Path.of("torch.csv"), rows, null, TARGET));
    }

    @Test
    void everySectionAndQuantityIsFilledByTheJvmsRowsOrTheProbes(@TempDir Path directory) {
        Set<Quantity> quantities = EnumSet.noneOf(Quantity.class);
        Set<Section> sections = EnumSet.noneOf(Section.class);
        for (CalibrationTable table : List.of(jvm(directory), probe())) {
            table.entries().forEach(e -> {
                quantities.add(e.quantity());
                sections.add(e.section());
            });
        }
        assertEquals(EnumSet.allOf(Quantity.class), quantities);
        assertEquals(EnumSet.allOf(Section.class), sections);
        assertEquals(45, quantities.size(), "quantities checked");
    }

    @Test
    void entriesComeInSectionOrder(@TempDir Path directory) {
        for (CalibrationTable table : List.of(jvm(directory), probe())) {
            List<Entry> entries = table.entries();
            for (int i = 1; i < entries.size(); i++) {
                assertTrue(entries.get(i - 1).section().compareTo(entries.get(i).section()) <= 0,
                        entries.get(i - 1) + " before " + entries.get(i));
            }
        }
    }

    @Test
    void calibrationCsvReadsBackToTheSameEntries(@TempDir Path directory) throws IOException {
        for (CalibrationTable table : List.of(jvm(directory), probe())) {
            List<CSVRecord> records = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get()
                    .parse(new StringReader(CalibrationCsv.text(table))).getRecords();
            List<Entry> read = new ArrayList<>();
            for (CSVRecord r : records) {
                Quantity quantity = quantity(r.get("section"), r.get("quantity"));
                Number value = quantity.count() ? (Number) Long.parseLong(r.get("value"))
                        : (Number) Double.parseDouble(r.get("value"));
                read.add(new Entry(r.get("item"), quantity, value, Unit.bySymbol(r.get("unit")), r.get("note")));
                assertEquals(table.hostCpu(), r.get("host_cpu"));
                assertEquals(table.target(), r.get("target"));
            }
            assertEquals(table.entries(), read);
            assertTrue(read.size() > 40, read.size() + " entries");
        }
    }

    /** The one quantity named so in that section: a second would make calibration.csv ambiguous. */
    private static Quantity quantity(String section, String name) {
        List<Quantity> named = EnumSet.allOf(Quantity.class).stream()
                .filter(q -> q.section().csvName().equals(section) && q.csvName().equals(name)).toList();
        assertEquals(1, named.size(), section + "/" + name + ": " + named);
        return named.get(0);
    }

    @Test
    void theJsonHoldsEveryEntryWithCountsAsIntegers(@TempDir Path directory) {
        for (CalibrationTable table : List.of(jvm(directory), probe())) {
            JsonNode json = CalibrationJson.tree(table);
            assertEquals(table.hostCpu(), json.get("host_cpu").asText());
            assertEquals(table.target(), json.get("target").asText());
            List<Entry> entries = table.entries();
            assertEquals(entries.size(), json.get("entries").size());
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                JsonNode node = json.get("entries").get(i);
                assertEquals(List.of(e.section().csvName(), e.item(), e.quantity().csvName(), e.unit().symbol(), e.note()),
                        List.of(node.get("section").asText(), node.get("item").asText(), node.get("quantity").asText(),
                                node.get("unit").asText(), node.get("note").asText()));
                assertEquals(e.quantity().count(), node.get("value").isIntegralNumber(), e.toString());
                assertEquals(e.number(), node.get("value").asDouble(), e.toString());
            }
        }
    }

    @Test
    void theJvmsReportShowsEveryPart(@TempDir Path directory) {
        CalibrationTable table = jvm(directory);
        String md = CalibrationMarkdown.render(table, Map.of("mfu.png", "MFU chart"));
        int checked = 0;
        for (CalibrationPart part : table.parts()) {
            List<String> expected = new ArrayList<>();
            if (part instanceof JvmRows rows) {
                expected.add("Host: **Test CPU**. " + rows.rows().text() + " measurement rows, "
                        + rows.markedInvalid().text() + " of them marked invalid");
            } else if (part instanceof HostFit fit) {
                expected.add("### " + fit.label() + (fit.primary() ? " (the extrapolation's)" : "") + "\n\nPeak "
                        + fit.peak().text() + " (FMA probe), bandwidth " + fit.bandwidth().text());
                for (OpFit op : fit.ops()) {
                    expected.add("| " + op.fit().opClass().label() + " | " + op.points().text() + " | "
                            + op.sizeUnit().symbol() + " | ");
                }
            } else if (part instanceof HeldOutStep step) {
                expected.add("| " + step.item() + " | " + step.measured().text() + " | " + step.predicted().text()
                        + " | " + step.error().text() + " | " + step.leaveOut().orElseThrow().text());
            } else if (part instanceof HeldOutSummary summary) {
                expected.add("- " + summary.item() + ": " + summary.steps().text() + ", " + summary.undecided().text()
                        + " undecided; worst held-out error **" + summary.worst().text() + "**");
            } else if (part instanceof SettingStep step) {
                expected.add("| " + step.item() + " | " + step.cost().describe() + " | " + step.measured().text() + " | "
                        + step.predicted().text() + " |");
            } else if (part instanceof ProfiledStep step) {
                expected.add("| " + step.item() + " | " + step.step().text() + " | " + step.modelled().text());
            } else if (part instanceof HostStep step) {
                expected.add("| " + step.item() + " | " + step.seconds().text() + " | " + step.flopsPerSecond().text()
                        + " | " + step.mfu().orElseThrow().text() + " |");
            } else if (part instanceof HeapCheck heap) {
                expected.add("| " + heap.item() + " | " + heap.predicted().text() + " | " + heap.measured().text()
                        + " | " + heap.ratio().text() + " |");
            } else if (part instanceof Assumption row) {
                expected.add("| " + row.item() + " | " + row.mfu().orElseThrow().note() + " | "
                        + row.mfu().orElseThrow().text() + " | " + row.days().text() + " | " + row.days().note() + " |");
            } else if (part instanceof SensitivityRow row) {
                expected.add("| " + row.days().item() + " | " + row.days().text() + " |");
            } else if (part instanceof Memory memory) {
                expected.add("Memory (complete accounting, float32, " + memory.capacity().text() + " bytes): the largest"
                        + " micro-batch that fits and divides the batch is **" + memory.microBatch().text() + "** sequences, so batch "
                        + memory.target().text() + " needs **" + memory.accumulation().text() + "**");
            } else {
                fail("no check for " + part.getClass().getSimpleName() + " in the JVM's report");
            }
            for (String text : expected) {
                assertTrue(md.contains(text), "report.md lacks " + text);
            }
            checked++;
        }
        assertEquals(table.parts().size(), checked);
        assertTrue(md.contains("## Charts\n\n- [MFU chart](mfu.png)\n"), md);
        assertTrue(md.contains("## The seed's errors"), md);
    }

    @Test
    void theProbesReportListsEveryEntry() {
        CalibrationTable table = probe();
        String md = CalibrationMarkdown.render(table, Map.of());
        assertTrue(md.startsWith("# Calibration from the PyTorch probe\n\nDevice: GPU (torch-cuda). Target: "
                + table.target() + ".\n\n"), md);
        for (Entry e : table.entries()) {
            String row = "| " + e.section().csvName() + " | " + e.item() + " | " + e.quantity().csvName() + " | "
                    + e.text() + " | " + e.note() + " |\n";
            assertTrue(md.contains(row), "report.md lacks " + row);
        }
        assertEquals(table.entries().size() + 6, md.split("\n").length, "title, blank, device, blank, header, rule");
    }

    @Test
    void theProbesTableHoldsItsStepsClassesAndTheMeasuredRun() {
        CalibrationTable table = probe();
        assertEquals(1, table.grid(Quantity.ROWS, List.of(Quantity.ROWS)).size());
        assertEquals(List.of(List.of("torch-cuda V=64 T=8 L=2 d=16 h=2 d_ff=32", "4", "200000.0 GFLOP/s", "20.00%"),
                List.of("torch-cuda V=64 T=8 L=2 d=32 h=2 d_ff=64", "1", "100000.0 GFLOP/s", "10.00%")),
                table.grid(Quantity.CLASS_BATCH_SIZE, List.of(Quantity.CLASS_BATCH_SIZE, Quantity.FIT_FLOPS_PER_SECOND,
                        Quantity.CLASS_MFU)));
        assertEquals(List.of("torch-cuda V=64 T=8 L=2 d=16 h=2 d_ff=32 B=2", "0.0160 s", "125000.0 GFLOP/s", "12.50%"),
                table.grid(Quantity.DEVICE_SECONDS, List.of(Quantity.DEVICE_SECONDS, Quantity.DEVICE_FLOPS_PER_SECOND,
                        Quantity.DEVICE_MFU)).get(0));
        Assumption measured = table.all(Assumption.class).get(0);
        assertEquals("measured on this device: GPU, V=64 T=8 L=2 d=32 h=2 d_ff=64 B=1", measured.item());
        assertEquals("10.00%", measured.mfu().orElseThrow().text());
        assertEquals("fp32 peak", measured.mfu().orElseThrow().note());
        assertEquals(8, table.all(SensitivityRow.class).size());
    }

    @Test
    void aGridIsOneRowPerItemWithColumnsFromOtherSectionsAndNaWhereNone() {
        Shape shape = new Shape(64, 8, 2, 16, 2, 32, 2);
        String item = "step " + shape.describe();
        Extrapolation extrapolation = new Extrapolation(TARGET.shape(), TARGET.device(), TARGET.precision(),
                TARGET.steps(), List.of());
        // two backends' heap rows share one item (the item names no backend): one row, where the first was, with the last's numbers
        CalibrationTable table = new CalibrationTable("Test CPU", extrapolation, List.of(), List.of(
                new HeldOutStep(new HeldOut.StepCheck("ejml", 1, shape, 0.1, 0.11, Double.NaN, 1_000_000L, 0.01,
                        0.02, false)),
                new HostStep(new HeldOut.BackendStep("ejml", 1, shape, 0.1, 1_000_000L, 0.02)),
                new HostStep(new HeldOut.BackendStep("vector", 2, shape, 0.05, 1_000_000L, Double.NaN)),
                new HeapCheck(heap(shape, "ejml", 1000L)),
                new HeapCheck(heap(null, "ejml", 900L)),
                new HeapCheck(heap(shape, "vector", 1100L))));
        assertEquals(List.of(List.of("ejml, 1 thread " + shape.describe(), "0.1000 s", "0.1100 s", "+10.0%", "n/a", "n/a",
                "2.00%")), table.grid(Quantity.MEASURED_SECONDS, List.of(Quantity.MEASURED_SECONDS,
                        Quantity.PREDICTED_SECONDS, Quantity.ERROR, Quantity.LEAVE_SHAPE_OUT_SECONDS,
                        Quantity.LEAVE_SHAPE_OUT_ERROR, Quantity.HOST_MFU)));
        assertEquals(List.of("n/a"), table.grid(Quantity.HOST_SECONDS, List.of(Quantity.HOST_MFU)).get(1).subList(1, 2));
        assertEquals(List.of(List.of(item, "1,000", "1,100", "1.1000"), List.of("step 500 parameters", "1,000", "900",
                "0.9000")), table.grid(Quantity.PREDICTED_BYTES, List.of(Quantity.PREDICTED_BYTES,
                        Quantity.MEASURED_BYTES, Quantity.HEAP_RATIO)));
    }

    private static Measurement heap(Shape shape, String backend, long measured) {
        return new Measurement("step", "step", backend, shape, shape == null ? 500L : null, 1, 1_000_000L, 0, 0.1, 1e7,
                Double.NaN, "Test CPU", 1000L, measured, true, "ok", Double.NaN);
    }

    @ParameterizedTest
    @CsvSource({
        "ERROR, ONE, -0.35, -35.0%",
        "LEAVE_SHAPE_OUT_ERROR, ONE, 0.0516, +5.2%",
        "WORST_ERROR, ONE, 0.37943, 37.94%",
        "MFU, ONE, 0.5, 50.00%",
        "MEASURED_SECONDS, SECONDS, 0.09021, 0.0902 s",
        "DAYS, DAYS, 6583.5612, '6,583.56'",
        "FIT_FLOPS_PER_SECOND, FLOPS_PER_SECOND, 4.4849e11, 448.5 GFLOP/s",
        "BANDWIDTH, BYTES_PER_SECOND, 5.47e10, 54.7 GB/s",
        "HEAP_RATIO, RATIO, 1.0525004, 1.0525",
        "SIZE_MIN, BYTES_PER_OP, 1051648.0, 1051648.0000",
    })
    void aNumberReadsInItsUnitsWay(Quantity quantity, Unit unit, double value, String text) {
        assertEquals(text, new Entry("item", quantity, value, unit, "").text());
    }

    @ParameterizedTest
    @CsvSource({
        "POINTS, 24, 24",
        "CLASS_BATCH_SIZE, 1024, '1,024'",
        "MEMORY_BYTES, 1049157099520, '1,049,157,099,520'",
    })
    void aCountReadsGrouped(Quantity quantity, long value, String text) {
        assertEquals(text, new Entry("item", quantity, value, "").text());
    }

    @Test
    void anEntryRefusesAUnitOrValueItsQuantityDoesNotTake() {
        assertThrows(IllegalArgumentException.class, () -> new Entry("x", Quantity.POINTS, 1.5, ""));
        assertThrows(IllegalArgumentException.class, () -> new Entry("x", Quantity.DAYS, 3L, ""));
        assertThrows(IllegalArgumentException.class, () -> new Entry("x", Quantity.DAYS, 3.0, Unit.SECONDS, ""));
        assertEquals(Unit.BYTES_PER_OP, new Entry("x", Quantity.SIZE_MIN, 8.0, Unit.BYTES_PER_OP, "").unit());
        assertEquals(24L, new Entry("x", Quantity.POINTS, 24, "").value(), "an int count is held as a long");
    }
}
