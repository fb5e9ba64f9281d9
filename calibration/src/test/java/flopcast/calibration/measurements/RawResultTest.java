package flopcast.calibration.measurements;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawResultTest {
    @Test
    void perOpIsACounterOverOps(@TempDir Path directory) throws Exception {
        Path raw = Files.writeString(directory.resolve("raw.json"), DerivationTest.RAW);
        RawResult matmul = RawResult.read(raw).get(3);
        assertEquals("MatmulBenchmark.run", matmul.shortName());
        assertEquals(10_000_000L, matmul.perOp("matmulFlops"));
        assertEquals(0L, matmul.perOp("absent"));
    }

    @Test
    void notJmhJsonIsRefused(@TempDir Path directory) throws Exception {
        assertTrue(refused(Files.writeString(directory.resolve("a.json"), "{not json")).contains("cannot read"));
        assertTrue(refused(Files.writeString(directory.resolve("b.json"), "[]")).contains("non-empty array"));
        assertTrue(refused(Files.writeString(directory.resolve("c.json"), "[{\"x\": 1}]")).contains("lacks"));
    }

    private static String refused(Path file) {
        return assertThrows(InvalidInputException.class, () -> RawResult.read(file)).getMessage();
    }
}
