package flopcast.calibration.report;

import flopcast.calibration.csv.CsvText;
import flopcast.calibration.report.CalibrationTable.Entry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code calibration.csv}: one row per {@link Entry} of a {@link CalibrationTable}, the JVM's or the
 * probe's, in {@link CalibrationSchema}'s columns. Pinned by {@code CalibrationTableTest} (a round trip).
 */
public final class CalibrationCsv {

    private CalibrationCsv() {
    }

    /** The file's text: header, then every entry with the table's host and target. */
    public static String text(CalibrationTable table) {
        String target = table.target();
        List<List<Object>> rows = new ArrayList<>();
        for (Entry e : table.entries()) {
            rows.add(Arrays.asList(e.section().csvName(), e.item(), e.quantity().csvName(), e.value(),
                    e.unit().symbol(), e.note(), table.hostCpu(), target));
        }
        return CsvText.write(CalibrationSchema.COLUMNS, rows);
    }
}
