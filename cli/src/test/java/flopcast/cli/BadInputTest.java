package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad input: exit 2, one line on stderr naming the value, nothing on stdout. */
class BadInputTest {
    private static final String[] DIMS = {"--vocab", "11", "--context", "4", "--layers", "2", "--d-model", "8",
        "--heads", "2", "--d-ff", "12"};

    static Stream<Arguments> badInputs() {
        return Stream.of(
                bad("missing --d-ff", "predict", "--vocab", "11", "--context", "4", "--layers", "2", "--d-model", "8",
                        "--heads", "2"),
                bad("missing --vocab, --context, --layers, --d-model, --heads, --d-ff", "predict"),
                bad("'abc'", "predict", "--preset", "gpt2-xl", "--batch", "abc"),
                bad("--vocab must be a positive integer, got 0", dims("--vocab", "0")),
                bad("--layers must be a positive integer, got -3", "predict", "--preset", "gpt2-xl", "--layers=-3"),
                bad("--batch must be a positive integer, got 0", "predict", "--preset", "gpt2-xl", "--batch", "0"),
                bad("d_model 8 is not divisible by num_heads 3", dims("--heads", "3")),
                bad("mfu must be a number in (0, 1], got 0.0", "predict", "--preset", "gpt2-xl", "--mfu", "0"),
                bad("mfu must be a number in (0, 1], got 1.5", "predict", "--preset", "gpt2-xl", "--mfu", "1.5"),
                bad("mfu must be a number in (0, 1], got NaN", "predict", "--preset", "gpt2-xl", "--mfu", "NaN"),
                bad("'half'", "predict", "--preset", "gpt2-xl", "--mfu", "half"),
                bad("unknown preset 'gpt5'", "predict", "--preset", "gpt5"),
                bad("unknown device 'v100'", "predict", "--preset", "gpt2-xl", "--device", "v100"),
                bad("unknown precision 'fp8'", "predict", "--preset", "gpt2-xl", "--precision", "fp8"),
                bad("unknown accounting 'naive'", "predict", "--preset", "gpt2-xl", "--accounting", "naive"),
                bad("unknown format 'xml'", "predict", "--preset", "gpt2-xl", "--format", "xml"),
                bad("unknown command 'estimate'", "estimate", "--preset", "gpt2-xl"),
                bad("missing command", new String[0]),
                bad("--bogus", "predict", "--preset", "gpt2-xl", "--bogus"),
                bad("--memory-gb must be a non-negative number of GB, got -1.0", "predict", "--preset", "gpt2-xl",
                        "--memory-gb=-1"),
                bad("--memory-gb or --memory-gib, not both", "predict", "--preset", "gpt2-xl", "--memory-gb", "80",
                        "--memory-gib", "80"),
                bad("--layers 12 contradicts --preset gpt2-xl, which has 48", "predict", "--preset", "gpt2-xl",
                        "--layers", "12"),
                bad("--steps must be at least 1, got 0", "predict", "--preset", "gpt2-xl", "--device", "a100-80gb",
                        "--steps", "0"),
                bad("--steps 10 needs a peak to divide by: give --device or --peak-tflops", "predict", "--preset",
                        "gpt2-xl", "--steps", "10"),
                bad("--peak-tflops must be a positive number, got 0.0", "predict", "--preset", "gpt2-xl",
                        "--peak-tflops", "0", "--steps", "5"),
                bad("the shape is too large", "predict", "--vocab", "9000000000000000000", "--context", "4",
                        "--layers", "2", "--d-model", "8", "--heads", "2", "--d-ff", "12"),
                bad("mfu must be a number in (0, 1], got 2.0", "diff", "--preset", "gpt2-xl", "--mfu", "2"),
                bad("--heads 7 contradicts --preset gpt2-small", "diff", "--preset", "gpt2-small", "--heads", "7"),
                bad("unknown format 'yaml'", "devices", "--format", "yaml"),
                bad("--steps must be an integer from 1 to 2147483647, got 0", "train", "--preset", "gpt2-small",
                        "--steps", "0"),
                bad("but this JVM may use", "train", "--preset", "gpt2-xl", "--batch", "1024"),
                bad("d_model 8 is not divisible by num_heads 3", "train", "--vocab", "11", "--context", "4",
                        "--layers", "2", "--d-model", "8", "--heads", "3", "--d-ff", "12"),
                bad("--preset gpt2-small", "train", "--preset", "gpt2-small", "--d-ff", "100"),
                bad("unknown format 'xml'", "host", "--format", "xml"),
                bad("unknown backend 'cuda': allowed are ejml, vector", "train", "--preset", "gpt2-small", "--backend",
                        "cuda"),
                bad("--kv-heads 3 must divide --heads 2", dims("--heads", "2", "--kv-heads", "3")),
                bad("--kv-heads 4 must divide --heads 2", dims("--heads", "2", "--kv-heads", "4")),
                bad("--kv-heads must be a positive integer, got 0", dims("--heads", "2", "--kv-heads", "0")),
                bad("--kv-heads 3 must divide --heads 2", "train", "--vocab", "11", "--context", "4", "--layers", "1",
                        "--d-model", "8", "--heads", "2", "--d-ff", "12", "--kv-heads", "3"),
                bad("--kv-heads 4 contradicts --preset llama3-8b, which has 8", "predict", "--preset", "llama3-8b",
                        "--kv-heads", "4"),
                bad("--tie-embeddings contradicts --preset gpt2-xl, whose LM head is untied", "diff", "--preset",
                        "gpt2-xl", "--tie-embeddings"),
                bad("--preset llama3-8b and --hf-config", "predict", "--preset", "llama3-8b", "--hf-config",
                        "config.json"),
                bad("--hf-config no/such/config.json: no such file", "predict", "--hf-config", "no/such/config.json"),
                bad("unknown precision policy 'fp16': allowed are fp32, bf16-mixed, bf16-mixed-fp32-grads, bf16",
                        "predict", "--preset", "gpt2-xl", "--precision-policy", "fp16"),
                bad("unknown attention kernel 'paged': allowed are eager, flash", "predict", "--preset", "gpt2-xl",
                        "--attention", "paged"),
                bad("unknown recompute mode 'some': allowed are none, selective, full", "predict", "--preset",
                        "gpt2-xl", "--recompute", "some"),
                bad("--data-parallel 3 does not divide --batch 4", "predict", "--preset", "gpt2-small", "--batch", "4",
                        "--data-parallel", "3"),
                bad("--data-parallel must be at least 1, got 0", "predict", "--preset", "gpt2-small",
                        "--data-parallel", "0"),
                bad("unknown sharding mode 'zero4': allowed are none, zero1, zero2, zero3", "predict", "--preset",
                        "gpt2-small", "--data-parallel", "2", "--batch", "2", "--sharding", "zero4"),
                bad("--sharding zero1 needs --data-parallel N", "predict", "--preset", "gpt2-small", "--sharding",
                        "zero1"),
                bad("--overlap-communication needs --data-parallel N", "predict", "--preset", "gpt2-small",
                        "--overlap-communication"),
                bad("--data-parallel 2 needs --accounting complete", "predict", "--preset", "gpt2-small",
                        "--accounting", "seed", "--batch", "2", "--data-parallel", "2"),
                bad("--threads must be at least 1, got 0", "train", "--vocab", "11", "--context", "4", "--layers", "1",
                        "--d-model", "8", "--heads", "2", "--d-ff", "12", "--threads", "0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void refusedWithOneLineAndExitTwo(String expected, String[] args) {
        assertRefused(expected, args);
    }

    /** Exit 2, nothing on stdout, one line on stderr that contains {@code expected}. */
    static void assertRefused(String expected, String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(2, run.exitCode(), run.err());
        assertEquals("", run.out(), "nothing on stdout");
        assertTrue(run.err().endsWith("\n") && run.err().indexOf('\n') == run.err().length() - 1,
                "exactly one line: " + run.err());
        assertTrue(run.err().startsWith("flopcast: "), run.err());
        assertTrue(run.err().contains(expected), "expected '" + expected + "' in: " + run.err());
    }

    private static Arguments bad(String expected, String... args) {
        return Arguments.of(expected, args);
    }

    /** predict on DIMS with {@code option} set to {@code value}, and the extra options after. */
    private static String[] dims(String option, String value, String... extra) {
        String[] args = new String[DIMS.length + 1 + extra.length];
        args[0] = "predict";
        System.arraycopy(DIMS, 0, args, 1, DIMS.length);
        System.arraycopy(extra, 0, args, DIMS.length + 1, extra.length);
        for (int i = 1; i < DIMS.length + 1; i++) {
            if (args[i].equals(option)) {
                args[i + 1] = value;
            }
        }
        return args;
    }
}
