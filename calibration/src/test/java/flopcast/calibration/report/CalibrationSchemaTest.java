package flopcast.calibration.report;

import flopcast.calibration.measurements.DocumentedColumns;
import org.junit.jupiter.api.Test;

class CalibrationSchemaTest {
    @Test
    void everyColumnIsDocumentedInResultsReadmeWithItsUnitAndAMeaning() throws Exception {
        DocumentedColumns.assertDocumented("## calibration.csv", CalibrationSchema.COLUMNS);
    }
}
