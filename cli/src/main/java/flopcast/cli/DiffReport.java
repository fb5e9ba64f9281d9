package flopcast.cli;

import flopcast.calibration.csv.CsvColumn;
import flopcast.calibration.csv.CsvText;
import static flopcast.cli.NumberText.seed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flopcast.analytic.Capacity;
import flopcast.analytic.DiffTerm;
import flopcast.analytic.Shape;
import flopcast.analytic.TrainingPlan;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** {@code diff}'s table, CSV and JSON. */
final class DiffReport {
    static final List<CsvColumn> CSV_SCHEMA = List.of(
            new CsvColumn("term", "-", "JSON path of the quantity in predict's output"),
            new CsvColumn("unit", "-", "flops, floats, parameters, bytes, sequences, seconds or days"),
            new CsvColumn("seed", "unit", "the seed accounting's value; empty where the seed counts none"),
            new CsvColumn("complete", "unit", "the complete accounting's value"),
            new CsvColumn("ratio", "1", "complete / seed; empty where the seed is empty or zero"),
            new CsvColumn("note", "-", "why they differ"));

    private DiffReport() {
    }

    static ObjectNode json(Shape shape, Capacity capacity, TrainingPlan plan, List<DiffTerm> terms) {
        ObjectNode root = Json.object();
        root.set("shape", Json.shape(shape));
        if (capacity != null) {
            root.put("capacity_bytes", capacity.bytes());
        }
        if (plan != null) {
            root.put("steps", plan.steps());
            root.put("peak_flops_per_second", plan.peakFlopsPerSecond());
            root.put("mfu", plan.mfu());
        }
        ArrayNode items = root.putArray("terms");
        for (DiffTerm term : terms) {
            ObjectNode item = items.addObject();
            item.put("term", term.term());
            item.put("unit", term.unit());
            item.set("seed", number(term.seed()));
            item.set("complete", number(term.complete()));
            item.put("ratio", term.ratio());
            item.put("note", term.note());
        }
        return root;
    }

    private static JsonNode number(Number value) {
        if (value == null) {
            return Json.MAPPER.getNodeFactory().nullNode();
        }
        if (value instanceof BigInteger big) {
            return Json.MAPPER.getNodeFactory().numberNode(big);
        }
        return Json.MAPPER.getNodeFactory().numberNode(value.doubleValue());
    }

    static String csv(List<DiffTerm> terms) {
        List<List<Object>> rows = new ArrayList<>();
        for (DiffTerm term : terms) {
            rows.add(Arrays.asList(term.term(), term.unit(), term.seed(), term.complete(), term.ratio(),
                    term.note()));
        }
        return CsvText.write(CSV_SCHEMA, rows);
    }

    /**
     * The answer first: the seed's main error and what the disagreement is worth in the totals a
     * person plans with (FLOPs a step, memory, the largest batch, days), at most
     * {@link Summary#MAX_LINES} lines; {@code detailFollows} drops the line that points to
     * {@code --detail}. Checked by {@code DiffCommandTest}.
     */
    static String summary(Shape shape, Capacity capacity, TrainingPlan plan, List<DiffTerm> terms,
            boolean detailFollows) {
        Summary summary = new Summary("flopcast diff: the seed's accounting against the complete one, "
                + terms.size() + " terms differ");
        summary.line("shape", shape.describe());
        DiffTerm forward = find(terms, "flops.forward");
        if (forward != null) {
            summary.line("error", forward.note());
        }
        summary.line("forward", worth(forward, "FLOPs"));
        summary.line("step", worth(find(terms, "flops.step"), "FLOPs, forward + backward matmuls"));
        summary.line("memory", worth(find(terms, "memory_bytes.total"), "at B = " + shape.batchSize()));
        if (capacity != null) {
            DiffTerm batch = find(terms, "max_batch.batch_size");
            DiffTerm fractional = find(terms, "max_batch.fractional");
            summary.line("batch", batch == null ? "the two agree on the largest batch"
                    : "largest on " + PredictSummary.amount(capacity) + ": seed " + batch.seed()
                            + (fractional == null ? "" : String.format(Locale.ROOT, " (%.3f)", fractional.seed()))
                            + ", complete " + batch.complete() + (fractional == null ? ""
                                    : String.format(Locale.ROOT, " (%.3f)", fractional.complete())));
        }
        if (plan != null) {
            summary.line("time", worth(find(terms, "training.days"), "days for " + NumberText.grouped(plan.steps())
                    + " steps at " + NumberText.percent(plan.mfu()) + " MFU"));
        }
        if (!detailFollows) {
            summary.line("detail", "--detail lists all " + terms.size() + " terms: both values, the ratio and why");
        }
        return summary.render();
    }

    private static DiffTerm find(List<DiffTerm> terms, String name) {
        return terms.stream().filter(t -> t.term().equals(name)).findFirst().orElse(null);
    }

    /** {@code FLOPs: seed 9.27712936e13, complete 4.6216566e15 (49.82x)}, or that the two agree. */
    private static String worth(DiffTerm term, String what) {
        if (term == null) {
            return what + ": the two agree";
        }
        return what + ": seed " + headline(term.seed(), term.unit()) + ", complete "
                + headline(term.complete(), term.unit())
                + (term.ratio() == null ? "" : String.format(Locale.ROOT, " (%.4gx)", term.ratio()));
    }

    /** Counts in the seed's notation, bytes in GB (the detail has them exact), days to 2 decimals. */
    private static String headline(Number number, String unit) {
        if (number == null) {
            return "none";
        }
        if (unit.equals("bytes")) {
            return Capacity.gigabytes(number.longValue());
        }
        if (number instanceof BigInteger big) {
            return seed(big);
        }
        return NumberText.grouped(number.doubleValue(), 2);
    }

    /** Every term: the detail behind the summary. */
    static String table(Shape shape, List<DiffTerm> terms) {
        StringBuilder text = new StringBuilder();
        // the summary above carries the title; the detail starts at the full shape
        text.append("shape: ").append(shape.describe()).append("\n\n");
        DiffTerm forward = terms.stream().filter(t -> t.term().equals("flops.forward")).findFirst().orElseThrow();
        text.append(String.format(Locale.ROOT, "The seed's main error: %s.%nThe forward pass costs %s FLOPs,"
                + " %.2fx the seed's %s.%n%n", forward.note(), seed((BigInteger) forward.complete()), forward.ratio(),
                seed((BigInteger) forward.seed())));
        TextTable table = new TextTable("term", ">seed", ">complete", ">complete/seed", "unit", "why");
        for (DiffTerm term : terms) {
            table.row(term.term(), value(term.seed(), term.unit()), value(term.complete(), term.unit()),
                    term.ratio() == null ? "-" : String.format(Locale.ROOT, "%.4g", term.ratio()), term.unit(),
                    term.note());
        }
        text.append(table.render());
        text.append(terms.size()).append(" terms differ; terms not listed agree.\n");
        return text.toString();
    }

    /** Counts exact; seconds and days to 2 decimals, as the seed; a fractional batch to 3. */
    private static String value(Number number, String unit) {
        if (number == null) {
            return "not counted";
        }
        if (number instanceof BigInteger big) {
            return NumberText.grouped(big);
        }
        return NumberText.grouped(number.doubleValue(), unit.equals("sequences") ? 3 : 2);
    }
}
