package flopcast.calibration.measurements;

import flopcast.calibration.fit.SyntheticMeasurements;
import java.util.List;
import java.util.Map;

/** Synthetic measurements.csv rows for tests in other packages. */
public final class SyntheticRows {

    private SyntheticRows() {
    }

    /** Probes, every component at two shapes, their steps and AdamW rows, all from {@code host}. */
    public static List<Map<String, Object>> twoShapes(String host) {
        return SyntheticMeasurements.rows(host, null, 1);
    }
}
