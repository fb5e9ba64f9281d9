package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShapeTest {
    @Test
    void everyDimensionMustBePositive() {
        assertThrows(InvalidInputException.class, () -> new Shape(0, 1, 1, 1, 1, 1, 1));
        assertThrows(InvalidInputException.class, () -> new Shape(1, 1, 1, 1, 1, 1, -3));
    }

    @Test
    void headsMustDivideTheWidth() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> new Shape(5, 2, 1, 10, 3, 4, 1));
        assertTrue(e.getMessage().contains("d_model 10 is not divisible by num_heads 3"), e.getMessage());
    }

    @Test
    void presetsAreTheGpt2Family() {
        Shape xl = Preset.byName("gpt2-xl").shape(1);
        assertEquals(new Shape(50257, 1024, 48, 1600, 25, 6400, 1), xl);
        assertEquals(new Shape(50257, 1024, 12, 768, 12, 3072, 4), Preset.GPT2_SMALL.shape(4));
        assertEquals(new Shape(50257, 1024, 24, 1024, 16, 4096, 1), Preset.GPT2_MEDIUM.shape(1));
        assertEquals(new Shape(50257, 1024, 36, 1280, 20, 5120, 1), Preset.GPT2_LARGE.shape(1));
        assertThrows(InvalidInputException.class, () -> Preset.byName("gpt3"));
    }
}
