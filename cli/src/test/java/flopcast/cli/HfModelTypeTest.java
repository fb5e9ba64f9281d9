package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** docs/hf-config.md prints every model type's table as the code holds it, and names every refused type. */
class HfModelTypeTest {
    private static final Path DOC = Path.of("..", "docs", "hf-config.md");

    @Test
    void everyModelledTypesTableIsTheDocumentedOne() throws Exception {
        String doc = Files.readString(DOC);
        for (HfModelType type : HfModelType.values()) {
            if (type.refusal().isPresent()) {
                assertTrue(doc.contains("`" + type.typeName() + "`"), type.typeName() + " is named in " + DOC);
                continue;
            }
            int at = doc.indexOf("\n## " + type.typeName() + "\n");
            assertTrue(at >= 0, "section ## " + type.typeName() + " in " + DOC);
            int end = doc.indexOf("\n## ", at + 1);
            String section = doc.substring(at, end < 0 ? doc.length() : end);
            for (Map.Entry<String, Set<String>> row : type.table().entrySet()) {
                String line = "| " + row.getKey() + " | " + row.getValue().stream().map(key -> "`" + key + "`")
                        .collect(Collectors.joining(", ")) + " |";
                assertTrue(section.contains(line + "\n"), type.typeName() + ": " + line);
            }
        }
        for (String encoder : HfModelType.ENCODERS) {
            assertTrue(doc.contains("`" + encoder + "`"), encoder + " is named as an encoder in " + DOC);
        }
    }
}
