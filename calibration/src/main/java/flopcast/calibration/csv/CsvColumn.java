package flopcast.calibration.csv;

/**
 * One column of a CSV file: the single declaration its header is written from and its
 * documentation is checked against.
 *
 * @param name    header name
 * @param unit    unit of the values, or "-" for text
 * @param meaning what the column holds
 */
public record CsvColumn(String name, String unit, String meaning) {
}
