package flopcast.cli;

import flopcast.analytic.InvalidInputException;
import java.util.Locale;

/** What {@code --format} accepts: an aligned table for people, CSV and JSON for scripts. */
enum OutputFormat {
    TABLE, CSV, JSON;

    static OutputFormat byName(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("unknown format '" + name + "': allowed are table, csv, json");
        }
    }
}
