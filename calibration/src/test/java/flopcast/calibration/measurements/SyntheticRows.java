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

    /** {@link #twoShapes} and a step of the small shape under full recomputation. */
    public static List<Map<String, Object>> twoShapesAndASetting(String host) {
        return SyntheticMeasurements.withSettingsStep(twoShapes(host), host, new flopcast.analytic.Settings(
                flopcast.analytic.PrecisionPolicy.FP32, flopcast.analytic.AttentionKernel.EAGER,
                flopcast.analytic.Recompute.FULL));
    }
}
