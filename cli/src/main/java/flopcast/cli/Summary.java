package flopcast.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A command's answer as a person reads it first: a title, then a few labelled lines, each wrapped
 * at word breaks to {@link #WIDTH} columns with its continuation under the text, not the label.
 * The detail a command prints on request follows it.
 */
final class Summary {
    /** No summary line is wider than this. */
    static final int WIDTH = 100;
    /** A summary has no more lines than this. */
    static final int MAX_LINES = 15;
    /** The label column: the label, padded. */
    private static final int LABEL = 10;

    private final List<String> lines = new ArrayList<>();

    /** A summary whose first line(s) are {@code title}. */
    Summary(String title) {
        wrap("", title, 0);
    }

    /** {@code text} under {@code label}; a '\n' in it starts a continuation line. */
    Summary line(String label, String text) {
        String pad = " ".repeat(LABEL);
        String first = (label + pad).substring(0, Math.max(LABEL, label.length() + 1));
        boolean start = true;
        for (String part : text.split("\n")) {
            wrap(start ? first : pad, part, LABEL);
            start = false;
        }
        return this;
    }

    private void wrap(String head, String text, int indent) {
        StringBuilder line = new StringBuilder(head);
        boolean empty = true;
        for (String word : text.split(" ")) {
            if (word.isEmpty()) {
                continue;
            }
            if (!empty && line.length() + 1 + word.length() > WIDTH) {
                lines.add(line.toString());
                line = new StringBuilder(" ".repeat(indent));
                empty = true;
            }
            line.append(empty ? "" : " ").append(word);
            empty = false;
        }
        lines.add(line.toString().stripTrailing());
    }

    /** How many lines it has so far. */
    int lineCount() {
        return lines.size();
    }

    String render() {
        return String.join("\n", lines) + "\n";
    }
}
