package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShapeKeyTest {
    /** Seven distinct values (h divides d), so a swapped accessor or argument cannot hide. */
    private static final Map<ShapeKey, Long> DISTINCT = new EnumMap<>(Map.of(ShapeKey.VOCAB_SIZE, 11L,
            ShapeKey.CONTEXT_LENGTH, 13L, ShapeKey.NUM_LAYERS, 17L, ShapeKey.D_MODEL, 38L, ShapeKey.NUM_HEADS, 19L,
            ShapeKey.D_FF, 23L, ShapeKey.BATCH_SIZE, 29L));

    @Test
    void eachKeyReadsBackTheValueItWasBuiltWith() {
        Shape shape = ShapeKey.shape(DISTINCT::get);
        for (ShapeKey key : ShapeKey.values()) {
            assertEquals(DISTINCT.get(key), key.of(shape), key.key());
        }
        assertEquals(new Shape(11, 13, 17, 38, 19, 23, 29), shape);
    }

    @Test
    void describeAndParseRoundTrip() {
        Shape shape = ShapeKey.shape(DISTINCT::get);
        assertEquals("V=11 T=13 L=17 d=38 h=19 d_ff=23 B=29", shape.describe());
        assertEquals(shape, ShapeKey.parse(shape.describe()));
        assertEquals(shape, ShapeKey.parse("B=29 d_ff=23 h=19 d=38 L=17 T=13 V=11"), "any order");
        for (Preset preset : Preset.values()) {
            assertEquals(preset.shape(3), ShapeKey.parse(preset.shape(3).describe()), preset.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"V=11 T=13 L=17 d=38 h=19 d_ff=23", "V=11 V=11 T=13 L=17 d=38 h=19 d_ff=23 B=29",
            "V=11 T=13 L=17 d=38 h=19 d_ff=23 B=29 x=1", "V=11 T=13 L=17 d=38 h=19 d_ff=23 B=two", "V11"})
    void parseRefusesWhatIsNotEverySymbolOnce(String text) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ShapeKey.parse(text));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void theTableIsTheJsonKeysTheOptionsAndTheSymbolsInOrder() {
        assertEquals(List.of("vocab_size", "context_length", "num_layers", "d_model", "num_heads", "d_ff", "batch_size"),
                List.of(ShapeKey.values()).stream().map(ShapeKey::key).toList());
        assertEquals(List.of("--vocab", "--context", "--layers", "--d-model", "--heads", "--d-ff", "--batch"),
                List.of(ShapeKey.values()).stream().map(ShapeKey::option).toList());
    }

    @Test
    void aNonPositiveNumberIsNamedByItsKey() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> new Shape(11, 13, 0, 38, 19, 23, 29));
        assertEquals("num_layers must be a positive integer, got 0", e.getMessage());
    }

    /** The architecture and the settings that are not the default are written after the seven numbers and read back. */
    @Test
    void architectureAndSettingsRoundTrip() {
        Shape shape = new Shape(11, 13, 2, 38, 19, 23, 29).withArchitecture(new Architecture(1, true))
                .withSettings(new Settings(PrecisionPolicy.BF16_MIXED, AttentionKernel.FLASH, Recompute.SELECTIVE));
        assertEquals("V=11 T=13 L=2 d=38 h=19 d_ff=23 B=29 h_kv=1 tied bf16-mixed flash recompute=selective",
                shape.describe());
        assertEquals(shape, ShapeKey.parse(shape.describe()));
        assertEquals("V=11 T=13 L=2 d=38 h=19 d_ff=23 B=29", new Shape(11, 13, 2, 38, 19, 23, 29).describe());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ShapeKey.parse("V=11 T=13 L=2 d=38 h=19 d_ff=23 B=29 h_kv=2"));
        assertTrue(e.getMessage().contains("kv_heads 2 must divide num_heads 19"), e.getMessage());
    }
}
