package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import flopcast.analytic.ShapeKey;
import flopcast.calibration.measurements.MeasurementsSchema;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The CLI's shape options, the JSON shape object and the CSV's shape columns all follow ShapeKey. */
class ShapeOptionsTest {
    private static final Map<ShapeKey, Long> DISTINCT = new EnumMap<>(Map.of(ShapeKey.VOCAB_SIZE, 11L,
            ShapeKey.CONTEXT_LENGTH, 13L, ShapeKey.NUM_LAYERS, 17L, ShapeKey.D_MODEL, 38L, ShapeKey.NUM_HEADS, 19L,
            ShapeKey.D_FF, 23L, ShapeKey.BATCH_SIZE, 29L));

    @Test
    void eachOptionLandsInItsJsonKeyInTheTablesOrder() throws Exception {
        List<String> args = new ArrayList<>(List.of("predict", "--format", "json"));
        DISTINCT.forEach((key, value) -> args.addAll(List.of(key.option(), Long.toString(value))));
        JsonNode shape = PredictCommandTest.json(args.toArray(String[]::new)).get("shape");
        Iterator<String> names = shape.fieldNames();
        for (ShapeKey key : ShapeKey.values()) {
            assertEquals(key.key(), names.next());
            assertEquals(DISTINCT.get(key), shape.get(key.key()).asLong(), key.option());
        }
    }

    @ParameterizedTest
    @EnumSource(ShapeKey.class)
    void aNonPositiveValueIsNamedByItsOption(ShapeKey zeroed) {
        List<String> args = new ArrayList<>(List.of("predict"));
        DISTINCT.forEach((key, value) -> args.addAll(List.of(key.option(), key == zeroed ? "0" : value.toString())));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(2, run.exitCode());
        assertEquals("", run.out());
        assertEquals("flopcast: " + zeroed.option() + " must be a positive integer, got 0", run.err().strip());
    }

    @Test
    void theCsvShapeColumnsAreTheTablesKeys() {
        List<String> names = MeasurementsSchema.names();
        int first = names.indexOf(ShapeKey.VOCAB_SIZE.key());
        for (ShapeKey key : ShapeKey.values()) {
            assertEquals(key.key(), names.get(first + key.ordinal()));
        }
    }
}
