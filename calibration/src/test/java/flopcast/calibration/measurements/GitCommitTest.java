package flopcast.calibration.measurements;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitCommitTest {
    @Test
    void looseRefPackedRefDetachedHeadAndNoRepository(@TempDir Path directory) throws Exception {
        Path git = Files.createDirectories(directory.resolve(".git/refs/heads"));
        Files.writeString(directory.resolve(".git/HEAD"), "ref: refs/heads/main\n");
        Files.writeString(git.resolve("main"), "1111111111111111111111111111111111111111\n");
        assertEquals(Optional.of("1111111111111111111111111111111111111111"), GitCommit.of(directory));
        Files.delete(git.resolve("main"));
        Files.writeString(directory.resolve(".git/packed-refs"),
                "# pack-refs with: peeled\n2222222222222222222222222222222222222222 refs/heads/main\n");
        assertEquals(Optional.of("2222222222222222222222222222222222222222"), GitCommit.of(directory));
        Files.writeString(directory.resolve(".git/HEAD"), "3333333333333333333333333333333333333333\n");
        assertEquals(Optional.of("3333333333333333333333333333333333333333"), GitCommit.of(directory));
        assertTrue(GitCommit.of(directory.resolve("elsewhere")).isEmpty());
    }
}
