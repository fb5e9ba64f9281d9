package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** The architecture sits beside the sizes: h_kv is checked against h there, named by its JSON key. */
    @Test
    void kvHeadsMustDivideTheHeads() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new Shape(5, 2, 1, 12, 6, 4, 1, new Architecture(4, false)));
        assertEquals("kv_heads 4 must divide num_heads 6 (1 <= h_kv <= h, h a multiple of h_kv): each key and value"
                + " head serves h / h_kv query heads", e.getMessage());
        Shape gqa = new Shape(5, 2, 1, 12, 6, 4, 1, new Architecture(2, true));
        assertEquals(3, gqa.queriesPerKvHead());
        assertEquals(4, gqa.kvWidth());
        assertFalse(gqa.seedArchitecture());
        assertEquals(Architecture.seed(6), new Shape(5, 2, 1, 12, 6, 4, 1).architecture());
        assertTrue(new Shape(5, 2, 1, 12, 6, 4, 1).seedArchitecture());
        assertEquals(new Architecture(8, false), Preset.byName("llama3-8b").shape(1).architecture());
    }

    @Test
    void gpt2PresetsAreOpenAisAndTheSeedsVariantKeepsItsOwnNames() {
        Shape xl = Preset.byName("seed-gpt2-xl").shape(1);
        assertEquals(new Shape(50257, 1024, 48, 1600, 25, 6400, 1), xl);
        assertEquals(new Shape(50257, 1024, 12, 768, 12, 3072, 4), Preset.SEED_GPT2.shape(4));
        assertEquals(new Shape(50257, 1024, 24, 1024, 16, 4096, 1), Preset.SEED_GPT2_MEDIUM.shape(1));
        assertEquals(new Shape(50257, 1024, 36, 1280, 20, 5120, 1), Preset.SEED_GPT2_LARGE.shape(1));
        Architecture openAi = new Architecture(12, true, LinearBias.ALL, Architecture.HEAD_DIM_FROM_WIDTH, false,
                Architecture.NO_WINDOW, NormKind.LAYER, 1024, MlpKind.GELU);
        assertEquals(new Shape(50257, 1024, 12, 768, 12, 3072, 4, openAi), Preset.GPT2.shape(4));
        assertEquals(new Shape(50257, 1024, 48, 1600, 25, 6400, 1,
                new Architecture(25, true, LinearBias.ALL, Architecture.HEAD_DIM_FROM_WIDTH, false,
                        Architecture.NO_WINDOW, NormKind.LAYER, 1024, MlpKind.GELU)), Preset.GPT2_XL.shape(1));
        assertThrows(InvalidInputException.class, () -> Preset.byName("gpt3"));
        assertThrows(InvalidInputException.class, () -> Preset.byName("gpt2-small"));
    }
}
