package flopcast.calibration.csv;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/** CSV per RFC 4180 with the header from a schema; values are written with {@code toString()}, locale-free. */
public final class CsvText {

    private CsvText() {
    }

    public static String write(List<CsvColumn> schema, List<List<Object>> rows) {
        String[] header = schema.stream().map(CsvColumn::name).toArray(String[]::new);
        CSVFormat format = CSVFormat.RFC4180.builder().setHeader(header).setRecordSeparator("\n").get();
        StringWriter text = new StringWriter();
        try (CSVPrinter printer = new CSVPrinter(text, format)) {
            for (List<Object> row : rows) {
                if (row.size() != schema.size()) {
                    throw new IllegalArgumentException("row has " + row.size() + " values, schema " + schema.size());
                }
                printer.printRecord(row.stream().map(value -> value == null ? "" : value.toString()).toList());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }
}
