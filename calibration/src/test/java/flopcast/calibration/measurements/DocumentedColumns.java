package flopcast.calibration.measurements;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import flopcast.calibration.csv.CsvColumn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The column table of one section of {@code results/README.md}, held against a schema declaration. */
public final class DocumentedColumns {

    private DocumentedColumns() {
    }

    /**
     * Every column of {@code schema} has a row in the first {@code | column | unit | meaning |} table
     * under {@code heading}, with the schema's unit and the schema's meaning (read as plain text: the
     * README's backticks are markup, {@code \|} is a pipe), and the table documents no column the
     * schema lacks, in the schema's order. The schema is the one declaration: to change what a
     * column means, change both, and this says where they part.
     */
    public static void assertDocumented(String heading, List<CsvColumn> schema) throws IOException {
        assertDocumented(Files.readString(Path.of("..", "results", "README.md")), heading, schema);
    }

    public static void assertDocumented(String readme, String heading, List<CsvColumn> schema) {
        Map<String, String[]> documented = table(readme, heading);
        for (CsvColumn column : schema) {
            String[] row = documented.get(column.name());
            assertFalse(row == null, column.name() + " is not documented under " + heading);
            assertEquals(column.unit(), row[0], column.name() + "'s unit");
            assertFalse(row[1].isBlank() || row[1].equals("-"), column.name() + " has no meaning documented");
            assertEquals(column.meaning(), plain(row[1]), column.name() + "'s meaning: the schema's (expected) against "
                    + heading + "'s, backticks dropped");
        }
        assertEquals(schema.stream().map(CsvColumn::name).toList(), List.copyOf(documented.keySet()),
                "the documented columns, in order, are the schema's");
    }

    /** A Markdown table cell as plain text: code spans' backticks dropped, escaped pipes unescaped. */
    static String plain(String cell) {
        return cell.replace("`", "").replace("\\|", "|");
    }

    /** Column name to {unit, meaning}, from the table after {@code heading}. */
    public static Map<String, String[]> table(String readme, String heading) {
        int start = ("\n" + readme).indexOf("\n" + heading + "\n");
        assertFalse(start < 0, "results/README.md has no section " + heading);
        Map<String, String[]> rows = new LinkedHashMap<>();
        boolean inTable = false;
        for (String line : readme.substring(start + heading.length() + 1).split("\n")) {
            if (line.startsWith("| column |")) {
                inTable = true;
            } else if (inTable && line.startsWith("| `")) {
                String[] cells = line.substring(1, line.length() - 1).split(" \\| ", 3);
                assertEquals(3, cells.length, "a column row has three cells: " + line);
                String name = cells[0].strip();
                rows.put(name.substring(1, name.length() - 1), new String[] {cells[1].strip(), cells[2].strip()});
            } else if (inTable && !line.startsWith("|")) {
                break;
            }
        }
        return rows;
    }
}
