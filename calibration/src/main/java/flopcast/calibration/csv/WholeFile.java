package flopcast.calibration.csv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The one way results files are written: to a temporary file beside the target, then moved into
 * place in one step, so a reader sees the old file or the new one, never half of either.
 */
public final class WholeFile {

    /** Writes the temporary file it is given. */
    @FunctionalInterface
    public interface Writer {
        void write(Path temporary) throws IOException;
    }

    private WholeFile() {
    }

    public static void write(Path target, String text) {
        write(target, temporary -> Files.writeString(temporary, text));
    }

    public static void write(Path target, Writer writer) {
        Path directory = target.toAbsolutePath().getParent();
        String name = target.getFileName().toString();
        try {
            Files.createDirectories(directory);
            // the target's extension last: writers such as XChart's append theirs to a name without it
            int dot = name.lastIndexOf('.');
            String extension = dot < 0 ? "" : name.substring(dot);
            Path temporary = Files.createTempFile(directory, "." + name + ".", ".tmp" + extension);
            try {
                writer.write(temporary);
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
