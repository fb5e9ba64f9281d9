package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryTest {

    @Test
    void labelsPadToTenColumnsAndLongTextWrapsUnderTheText() {
        String words = "word ".repeat(20).strip();
        String text = new Summary("title").line("fits", words).line("x", "a\nb").render();
        List<String> lines = List.of(text.split("\n"));
        assertEquals("title", lines.get(0));
        assertTrue(lines.get(1).startsWith("fits      word word"), lines.get(1));
        assertTrue(lines.get(2).startsWith("          word"), lines.get(2));
        assertTrue(lines.stream().allMatch(l -> l.length() <= Summary.WIDTH), text);
        assertEquals(words, (lines.get(1).substring(10) + " " + lines.get(2).strip()));
        assertEquals("x         a", lines.get(3));
        assertEquals("          b", lines.get(4));
        assertEquals(5, new Summary("title").line("fits", words).line("x", "a\nb").lineCount());
    }

    @Test
    void aLongTitleWrapsAndALongLabelKeepsASpace() {
        String text = new Summary("t ".repeat(60).strip()).line("memorylabel", "m").render();
        List<String> lines = List.of(text.split("\n"));
        assertEquals(3, lines.size(), text);
        assertTrue(lines.get(0).length() <= Summary.WIDTH);
        assertEquals("memorylabel m", lines.get(2));
    }
}
