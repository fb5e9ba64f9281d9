package flopcast.cli;

import flopcast.analytic.Names;
import java.util.Locale;

/** What {@code --format} accepts: an aligned table for people, CSV and JSON for scripts. */
enum OutputFormat {
    TABLE, CSV, JSON;

    static OutputFormat byName(String name) {
        return Names.byName(values(), OutputFormat::cliName, "format", name);
    }

    String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
