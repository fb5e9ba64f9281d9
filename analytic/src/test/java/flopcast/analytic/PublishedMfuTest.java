package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link PublishedMfu} and {@link AchievableMatmul} are REFERENCES.md's figures: the test reads
 * the file's "Published MFU on A100" table, expands each row's alternatives ("22B / 175B / 530B /
 * 1T" beside "41.5 / 51.4 / 56.0 / 56.3%"; "selective vs full" beside "54.2% vs 42.1%"), finds the
 * entry whose source is the row's and whose setting names the alternative, and checks its MFU; and
 * every figure of the table has exactly one entry. A figure typed differently in the enum, an entry
 * without a row or a row without an entry fails.
 */
class PublishedMfuTest {
    /** The module's copy of the project's references (the working directory is the module). */
    static final Path REFERENCES = Path.of("sources", "REFERENCES.md");
    /** A percentage over 100 is not exactly the decimal typed in the enum: 51.4 / 100 vs 0.514. */
    private static final double PERCENT_ROUNDING = 1e-12;
    /** REFERENCES.md prints MAMF's share of the peak to one decimal of a percent. */
    private static final double PRINTED_PERCENT = 0.0005;
    /** A run of alternatives: "22B / 175B / 530B / 1T", "selective vs full". */
    private static final Pattern ALTERNATIVES = Pattern.compile("(\\S+)((?: (?:/|vs) \\S+)+)");
    /** The figures a cell starts with: "41.5 / 51.4 / 56.0 / 56.3%", "54.2% vs 42.1%", "37% measured". */
    private static final Pattern FIGURES = Pattern.compile("^(\\d+(?:\\.\\d+)?)%?((?:\\s*(?:/|vs)\\s*\\d+(?:\\.\\d+)?%?)*)");

    /** One figure of the table: its row's setting and source, the alternative it is, and its MFU. */
    private record Figure(String setting, String source, String alternative, double mfu) {
    }

    private static String section;
    private static List<Figure> figures;

    @BeforeAll
    static void readTheTable() throws IOException {
        String text = Files.readString(REFERENCES);
        int start = text.indexOf("## Published MFU on A100");
        assertTrue(start >= 0, REFERENCES + " has no section 'Published MFU on A100'");
        int end = text.indexOf("\n## ", start + 1);
        section = text.substring(start, end < 0 ? text.length() : end);
        figures = new ArrayList<>();
        for (String line : section.lines().toList()) {
            if (!line.startsWith("| ") || line.startsWith("| setting") || line.startsWith("|---")) {
                continue;
            }
            String[] cells = line.substring(1, line.length() - 1).split("\\|");
            String setting = cells[0].strip();
            String source = cells[2].strip().replace("`", "");
            Matcher numbers = FIGURES.matcher(cells[1].strip());
            assertTrue(numbers.find(), "no figure in: " + line);
            List<String> values = split(numbers.group(1) + numbers.group(2));
            Matcher named = ALTERNATIVES.matcher(setting);
            List<String> alternatives = named.find() ? split(named.group(1) + named.group(2)) : List.of("");
            assertEquals(alternatives.size(), values.size(), "alternatives and figures of: " + line);
            for (int i = 0; i < values.size(); i++) {
                figures.add(new Figure(setting, source, alternatives.get(i), Double.parseDouble(values.get(i)) / 100));
            }
        }
    }

    /** "41.5 / 51.4%" or "54.2% vs 42.1%" to ["41.5", "51.4"], "54.2", "42.1". */
    private static List<String> split(String alternatives) {
        return List.of(alternatives.replace("%", "").split("\\s*(?:/|vs)\\s*")).stream().map(String::strip).toList();
    }

    @Test
    void everyEntryIsItsFigureInReferencesMd() {
        Map<PublishedMfu, Figure> matched = new EnumMap<>(PublishedMfu.class);
        for (PublishedMfu entry : PublishedMfu.values()) {
            List<Figure> rows = figures.stream().filter(f -> f.source().equals(entry.source()))
                    .filter(f -> f.alternative().isEmpty() || List.of(entry.setting().split("[ ,]")).contains(
                            f.alternative())).toList();
            assertEquals(1, rows.size(), entry + " (" + entry.setting() + ", " + entry.source()
                    + ") matches one figure of " + REFERENCES + ", not " + rows);
            Figure figure = rows.get(0);
            assertEquals(figure.mfu(), entry.mfu(), PERCENT_ROUNDING, entry + " against '" + figure.setting() + "'");
            matched.put(entry, figure);
        }
        assertEquals(figures.size(), matched.values().stream().distinct().count(),
                "every figure of the table has its entry: " + figures);
    }

    /** The section's heading states the precision every entry claims. */
    @Test
    void theTableIsBf16AsEveryEntrySays() {
        assertTrue(section.lines().findFirst().orElseThrow().contains("(bf16 peak 312 unless stated)"), section);
        for (PublishedMfu entry : PublishedMfu.values()) {
            assertEquals(Precision.BF16, entry.precision(), entry.name());
            assertEquals(312e12, Device.A100_80GB.peakFlopsPerSecond(entry.precision()), 0.0);
        }
    }

    /** "A100 SXM 271.2 TFLOP/s = 86.9% of peak; H100 SXM 794.5 = 80.3%", over the catalog's bf16 peaks. */
    @Test
    void achievableMatmulIsReferencesMdsMamf() throws IOException {
        String text = Files.readString(REFERENCES).replaceAll("\\s+", " ");
        Matcher a100 = Pattern.compile("A100 SXM (\\d+\\.\\d+) TFLOP/s = (\\d+\\.\\d+)% of peak").matcher(text);
        Matcher h100 = Pattern.compile("H100 SXM (\\d+\\.\\d+) = (\\d+\\.\\d+)%").matcher(text);
        assertTrue(a100.find() && h100.find(), "MAMF figures in " + REFERENCES);
        for (Device device : Device.values()) {
            Matcher figure = device.cliName().startsWith("a100") ? a100 : h100;
            double peakTeraflops = device.peakFlopsPerSecond(Precision.BF16) / 1e12;
            assertEquals(Double.parseDouble(figure.group(1)) / peakTeraflops, AchievableMatmul.bf16Fraction(device),
                    PERCENT_ROUNDING, device.cliName());
            assertEquals(Double.parseDouble(figure.group(2)) / 100, AchievableMatmul.bf16Fraction(device),
                    PRINTED_PERCENT, device.cliName());
        }
    }
}
