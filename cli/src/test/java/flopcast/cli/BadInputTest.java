package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Excerpt;
import flopcast.calibration.measurements.MeasurementsSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
                bad("'abc'", "predict", "--preset", "seed-gpt2-xl", "--batch", "abc"),
                bad("--vocab must be a positive integer, got 0", dims("--vocab", "0")),
                bad("--layers must be a positive integer, got -3", "predict", "--preset", "seed-gpt2-xl", "--layers=-3"),
                bad("--batch must be a positive integer, got 0", "predict", "--preset", "seed-gpt2-xl", "--batch", "0"),
                bad("d_model 8 is not divisible by num_heads 3", dims("--heads", "3")),
                bad("mfu must be a number in (0, 1], got 0.0", "predict", "--preset", "seed-gpt2-xl", "--mfu", "0"),
                bad("mfu must be a number in (0, 1], got 1.5", "predict", "--preset", "seed-gpt2-xl", "--mfu", "1.5"),
                bad("mfu must be a number in (0, 1], got NaN", "predict", "--preset", "seed-gpt2-xl", "--mfu", "NaN"),
                bad("'half'", "predict", "--preset", "seed-gpt2-xl", "--mfu", "half"),
                bad("unknown preset 'gpt5'", "predict", "--preset", "gpt5"),
                bad("unknown device 'v100'", "predict", "--preset", "seed-gpt2-xl", "--device", "v100"),
                bad("unknown precision 'fp8'", "predict", "--preset", "seed-gpt2-xl", "--precision", "fp8"),
                bad("unknown accounting 'naive'", "predict", "--preset", "seed-gpt2-xl", "--accounting", "naive"),
                bad("unknown format 'xml'", "predict", "--preset", "seed-gpt2-xl", "--format", "xml"),
                bad("unknown command 'estimate'", "estimate", "--preset", "seed-gpt2-xl"),
                bad("missing command", new String[0]),
                bad("--bogus", "predict", "--preset", "seed-gpt2-xl", "--bogus"),
                bad("--memory-gb must be a non-negative number of GB, got -1.0", "predict", "--preset", "seed-gpt2-xl",
                        "--memory-gb=-1"),
                bad("--memory-gb or --memory-gib, not both", "predict", "--preset", "seed-gpt2-xl", "--memory-gb", "80",
                        "--memory-gib", "80"),
                bad("--layers 12 contradicts --preset seed-gpt2-xl, which has 48", "predict", "--preset", "seed-gpt2-xl",
                        "--layers", "12"),
                bad("--steps must be at least 1, got 0", "predict", "--preset", "seed-gpt2-xl", "--device", "a100-80gb",
                        "--steps", "0"),
                bad("--steps 10 needs a peak to divide by: give --device or --peak-tflops", "predict", "--preset",
                        "seed-gpt2-xl", "--steps", "10"),
                bad("--peak-tflops must be a positive number, got 0.0", "predict", "--preset", "seed-gpt2-xl",
                        "--peak-tflops", "0", "--steps", "5"),
                bad("the shape is too large", "predict", "--vocab", "9000000000000000000", "--context", "4",
                        "--layers", "2", "--d-model", "8", "--heads", "2", "--d-ff", "12"),
                bad("mfu must be a number in (0, 1], got 2.0", "diff", "--preset", "seed-gpt2-xl", "--mfu", "2"),
                bad("--heads 7 contradicts --preset seed-gpt2", "diff", "--preset", "seed-gpt2", "--heads", "7"),
                bad("unknown format 'yaml'", "devices", "--format", "yaml"),
                bad("--steps must be an integer from 1 to 2147483647, got 0", "train", "--preset", "seed-gpt2",
                        "--steps", "0"),
                bad("but this JVM may use", "train", "--preset", "seed-gpt2-xl", "--batch", "1024"),
                bad("--profile times the steps after the first (the warm-up): give --steps 2 or more, got 1", "train",
                        "--preset", "seed-gpt2", "--steps", "1", "--profile"),
                bad("d_model 8 is not divisible by num_heads 3", "train", "--vocab", "11", "--context", "4",
                        "--layers", "2", "--d-model", "8", "--heads", "3", "--d-ff", "12"),
                bad("--preset seed-gpt2", "train", "--preset", "seed-gpt2", "--d-ff", "100"),
                bad("unknown format 'xml'", "host", "--format", "xml"),
                bad("unknown backend 'cuda': allowed are ejml, vector", "train", "--preset", "seed-gpt2", "--backend",
                        "cuda"),
                bad("--kv-heads 3 must divide --heads 2", dims("--heads", "2", "--kv-heads", "3")),
                bad("--kv-heads 4 must divide --heads 2", dims("--heads", "2", "--kv-heads", "4")),
                bad("--kv-heads must be a positive integer, got 0", dims("--heads", "2", "--kv-heads", "0")),
                bad("--kv-heads 3 must divide --heads 2", "train", "--vocab", "11", "--context", "4", "--layers", "1",
                        "--d-model", "8", "--heads", "2", "--d-ff", "12", "--kv-heads", "3"),
                bad("--kv-heads 4 contradicts --preset llama3-8b, which has 8", "predict", "--preset", "llama3-8b",
                        "--kv-heads", "4"),
                bad("--tie-embeddings contradicts --preset seed-gpt2-xl, whose LM head is untied", "diff", "--preset",
                        "seed-gpt2-xl", "--tie-embeddings"),
                bad("unknown bias 'q': allowed are none, qkv, all", dims("--heads", "2", "--bias", "q")),
                bad("--head-dim must be a positive integer, got 0", dims("--heads", "2", "--head-dim", "0")),
                bad("--qk-norm head contradicts --preset llama3-8b, which has no QK-norm; drop one of them", "predict",
                        "--preset", "llama3-8b", "--qk-norm"),
                bad("--sliding-window must be a positive integer, got 0", dims("--heads", "2", "--sliding-window", "0")),
                bad("unknown norm 'batchnorm': allowed are rmsnorm, layernorm", dims("--heads", "2", "--norm",
                        "batchnorm")),
                bad("context_length 4 is longer than the 3 learned positions: a position past the table has no"
                        + " embedding", dims("--heads", "2", "--positions", "3")),
                bad("--positions must be a positive integer, got 0", dims("--heads", "2", "--positions", "0")),
                bad("unknown mlp 'relu': allowed are swiglu, gelu, geglu", dims("--heads", "2", "--mlp", "relu")),
                bad("--mlp gelu contradicts --preset llama3-8b, which has swiglu; drop one of them", "predict",
                        "--preset", "llama3-8b", "--mlp", "gelu"),
                bad("--norm layernorm contradicts --preset llama3-8b, which has rmsnorm; drop one of them", "predict",
                        "--preset", "llama3-8b", "--norm", "layernorm"),
                bad("unknown norm placement 'middle': allowed are pre, post, sandwich",
                        dims("--heads", "2", "--norm-placement", "middle")),
                bad("unknown QK-norm 'everywhere': allowed are none, head, projection",
                        dims("--heads", "2", "--qk-norm", "everywhere")),
                bad("norm_placement post with norm layernorm: a norm after a sublayer is modelled as an RMSNorm only"
                        + " (allowed: norm rmsnorm, or norm_placement pre)",
                        dims("--heads", "2", "--norm-placement", "post", "--norm", "layernorm")),
                bad("--norm-placement post contradicts --preset llama3-8b, which has pre; drop one of them", "predict",
                        "--preset", "llama3-8b", "--norm-placement", "post"),
                bad("window_pattern 2 needs a sliding window (allowed: give sliding_window, or no pattern)",
                        dims("--heads", "2", "--window-pattern", "2")),
                bad("--window-pattern 2 contradicts --preset mistral-7b-v0.1, which has none; drop one of them",
                        "predict", "--preset", "mistral-7b-v0.1", "--window-pattern", "2"),
                bad("--attention-softcap -1 must be a positive number (the cap c of c * tanh(x / c))",
                        dims("--heads", "2", "--attention-softcap", "-1")),
                bad("--logit-softcap NaN must be a positive number (the cap c of c * tanh(x / c))",
                        dims("--heads", "2", "--logit-softcap", "NaN")),
                bad("--logit-softcap 30.0 contradicts --preset llama3-8b, which has none; drop one of them", "predict",
                        "--preset", "llama3-8b", "--logit-softcap", "30"),
                bad("--head-dim 100 contradicts --preset llama3-8b, which has 128; drop one of them", "predict",
                        "--preset", "llama3-8b", "--head-dim", "100"),
                bad("--bias all contradicts --preset qwen2.5-7b, which has qkv; drop one of them", "predict",
                        "--preset", "qwen2.5-7b", "--bias", "all"),
                bad("--preset llama3-8b and --hf-config", "predict", "--preset", "llama3-8b", "--hf-config",
                        "config.json"),
                bad("--hf-config no/such/config.json: no such file", "predict", "--hf-config", "no/such/config.json"),
                bad("unknown precision policy 'fp16': allowed are fp32, bf16-mixed, bf16-mixed-fp32-grads, bf16",
                        "predict", "--preset", "seed-gpt2-xl", "--precision-policy", "fp16"),
                bad("unknown attention kernel 'paged': allowed are eager, flash", "predict", "--preset", "seed-gpt2-xl",
                        "--attention", "paged"),
                bad("unknown recompute mode 'some': allowed are none, selective, full", "predict", "--preset",
                        "seed-gpt2-xl", "--recompute", "some"),
                bad("--data-parallel 3 does not divide --batch 4", "predict", "--preset", "seed-gpt2", "--batch", "4",
                        "--data-parallel", "3"),
                bad("--data-parallel must be at least 1, got 0", "predict", "--preset", "seed-gpt2",
                        "--data-parallel", "0"),
                bad("unknown sharding mode 'zero4': allowed are none, zero1, zero2, zero3", "predict", "--preset",
                        "seed-gpt2", "--data-parallel", "2", "--batch", "2", "--sharding", "zero4"),
                bad("--sharding zero1 needs --data-parallel N", "predict", "--preset", "seed-gpt2", "--sharding",
                        "zero1"),
                bad("--overlap-communication needs --data-parallel N", "predict", "--preset", "seed-gpt2",
                        "--overlap-communication"),
                bad("--data-parallel 2 needs --accounting complete", "predict", "--preset", "seed-gpt2",
                        "--accounting", "seed", "--batch", "2", "--data-parallel", "2"),
                bad("--accounting seed counts the seed's float32, eager attention and no recomputation, not"
                        + " --precision-policy bf16-mixed (allowed", "predict", "--preset", "seed-gpt2", "--accounting", "seed",
                        "--precision-policy", "bf16-mixed"),
                bad("--accounting seed counts the seed's one layout (multi-head attention, an untied head, RMSNorm and"
                        + " SwiGLU without biases, positions or a sliding window), not this shape's V=128256", "predict",
                        "--preset", "llama3-8b", "--accounting", "seed"),
                bad("--sharding zero3 over 1 rank: FSDP runs without sharding at world size 1", "predict", "--preset",
                        "seed-gpt2", "--data-parallel", "1", "--sharding", "zero3"),
                bad("--threads must be at least 1, got 0", "train", "--vocab", "11", "--context", "4", "--layers", "1",
                        "--d-model", "8", "--heads", "2", "--d-ff", "12", "--threads", "0"));
    }

    /**
     * Found by trying extremes on every command: each ended in a stack trace, exit 1, an endless run
     * or "Infinity" printed as an answer, or named no value, before it was refused here.
     */
    static Stream<Arguments> extremeInputs() {
        return Stream.of(
                // numbers the option's type cannot hold: picocli's "is not a long" named no range
                bad("'9223372036854775808' is not a whole number from -9223372036854775808 to 9223372036854775807",
                        dims("--vocab", "9223372036854775808")),
                bad("'1e30' is not a whole number", dims("--layers", "1e30")),
                bad("'2147483648' is not a whole number from -2147483648 to 2147483647", "predict", "--preset",
                        "seed-gpt2", "--data-parallel", "2147483648"),
                bad("'' is not a decimal number", "predict", "--preset", "seed-gpt2-xl", "--mfu", ""),
                // counts past 2^63 - 1: "the shape is too large" named none of the values that made it
                bad("with --vocab 9223372036854775807 --context 4 --layers 2 --d-model 8 --heads 2 --d-ff 12 a count"
                        + " passes 2^63 - 1", dims("--vocab", "9223372036854775807")),
                bad("--d-model 4294967296 --heads 2 --d-ff 12 a count passes 2^63 - 1", dims("--d-model", "4294967296")),
                bad("with --preset seed-gpt2-xl --context 9223372036854775807 a count passes 2^63 - 1", "predict", "--preset",
                        "seed-gpt2-xl", "--context", "9223372036854775807"),
                bad("with --preset seed-gpt2-xl --batch 9223372036854775807 a count passes", "diff", "--preset", "seed-gpt2-xl",
                        "--batch", "9223372036854775807"),
                // a time past the largest double: printed "Infinity days" (predict) or a NumberFormatException (diff)
                bad("mfu 4.9E-324 take more seconds than a double holds", "predict", "--preset", "seed-gpt2-xl", "--device",
                        "h100-sxm", "--steps", "10", "--mfu", "4.9e-324"),
                bad("at a peak of 1.0E-288 FLOP/s and mfu 0.5 take more seconds than a double holds", "diff",
                        "--preset", "llama3.2-1b", "--batch", "1024", "--peak-tflops", "1e-300", "--steps", "12"),
                bad("mfu must be a number in (0, 1], got Infinity", "predict", "--preset", "seed-gpt2-xl", "--mfu",
                        "Infinity"),
                bad("mfu must be a number in (0, 1], got -Infinity", "predict", "--preset", "seed-gpt2-xl", "--mfu",
                        "-Infinity"),
                bad("--memory-gb must be a non-negative number of GB, got NaN", "predict", "--preset", "seed-gpt2-xl",
                        "--memory-gb", "NaN"),
                bad("--memory-gb must be a non-negative number of GB, got Infinity", "predict", "--preset", "seed-gpt2-xl",
                        "--memory-gb", "Infinity"),
                bad("--memory-gib 1.0E300 GiB is more bytes than flopcast counts", "predict", "--preset", "seed-gpt2-xl",
                        "--memory-gib", "1e300"),
                bad("--peak-tflops must be a positive number, got NaN", "predict", "--preset", "seed-gpt2-xl",
                        "--peak-tflops", "NaN", "--steps", "5"),
                bad("--peak-tflops must be a positive number, got Infinity", "predict", "--preset", "seed-gpt2-xl",
                        "--peak-tflops", "Infinity", "--steps", "5"),
                // 1e300 TFLOP/s is 1e312 FLOP/s: the message named a peak nobody gave ("got Infinity")
                bad("--peak-tflops must be a positive number, got 1.0E300 (allowed: above 0, up to", "predict",
                        "--preset", "seed-gpt2-xl", "--peak-tflops", "1e300", "--steps", "5"),
                bad("--steps must be at least 1, got -5", "predict", "--preset", "seed-gpt2-xl", "--device", "h100-sxm",
                        "--steps", "-5"),
                // ranks and layers past what the per-rank split can list: OutOfMemoryError, or minutes of work
                bad("--data-parallel 2147483647 is more ranks than flopcast plans (allowed: 1 to 1048576)", "predict",
                        "--preset", "seed-gpt2", "--batch", "2147483647", "--data-parallel", "2147483647"),
                bad("--data-parallel 1073741824 is more ranks than flopcast plans", "predict", "--preset", "seed-gpt2",
                        "--batch", "4611686018427387904", "--data-parallel", "1073741824", "--sharding", "zero3",
                        "--device", "h100-sxm"),
                bad("--layers 4294967296 is too many to split over data-parallel ranks", "predict", "--vocab", "12",
                        "--context", "12", "--layers", "4294967296", "--d-model", "8", "--heads", "2", "--d-ff", "12",
                        "--batch", "8", "--data-parallel", "8", "--recompute", "full"),
                // train: threads that cannot be started, steps past an int, buffers past the heap
                bad("--threads 2147483647 is more threads than a backend starts (allowed: 1 to 1024", "train",
                        "--vocab", "11", "--context", "4", "--layers", "2", "--d-model", "8", "--heads", "2", "--d-ff",
                        "12", "--threads", "2147483647", "--steps", "1"),
                bad("--threads 100000 is more threads than a backend starts", "train", "--vocab", "11", "--context",
                        "4", "--layers", "2", "--d-model", "8", "--heads", "2", "--d-ff", "12", "--threads", "100000",
                        "--steps", "1"),
                bad("--steps must be an integer from 1 to 2147483647, got 9223372036854775807", "train", "--vocab",
                        "11", "--context", "4", "--layers", "2", "--d-model", "8", "--heads", "2", "--d-ff", "12",
                        "--steps", "9223372036854775807"),
                bad("this shape needs 1,440,000,010,240 bytes of buffers (predicted)", "train", "--vocab", "11",
                        "--context", "4", "--layers", "1", "--d-model", "8", "--heads", "2", "--d-ff", "3000000000",
                        "--steps", "1"),
                bad("--d-model 2147483648 --heads 1 --d-ff 1 --steps 1 a count passes", "train", "--vocab", "11",
                        "--context", "4", "--layers", "1", "--d-model", "2147483648", "--heads", "1", "--d-ff", "1",
                        "--steps", "1"),
                // "@FILE" read arguments from a file; a directory so named ended in picocli's stack trace
                bad("Unmatched argument at index 1: '@.'", "predict", "@."),
                bad("Unmatched argument at index 1: '@no/such/file'", "predict", "@no/such/file"),
                bad("--hf-config  is a directory", "predict", "--hf-config", ""),
                // LoRA: a rank of 0, alpha or targets without a rank, an unknown or absent target, a rank above a
                // width, adapters beside the seed, over ranks, in diff
                bad("--lora-rank 0 must be a positive integer", "predict", "--preset", "llama2-7b", "--lora-rank", "0"),
                bad("--lora-alpha needs --lora-rank", "predict", "--preset", "llama2-7b", "--lora-alpha", "16"),
                bad("--lora-targets needs --lora-rank", "train", "--preset", "llama2-7b", "--lora-targets", "q_proj"),
                bad("LoRA target 'c_attn' is not a block projection (allowed: query (q_proj)", "predict", "--preset",
                        "llama2-7b", "--lora-rank", "8", "--lora-targets", "c_attn"),
                bad("LoRA target 'w3' (up_proj) is not a projection of this architecture (a two-matrix gelu MLP has"
                        + " no w3; allowed: query, key, value, output, w1, w2)", "train", "--preset", "gpt2",
                        "--lora-rank", "8", "--lora-targets", "up_proj"),
                bad("LoRA rank 5000 is above query's width 4096", "predict", "--preset", "llama2-7b", "--lora-rank",
                        "5000"),
                bad("LoRA alpha 1.0E300 over rank 4 is outside float32's range", "train", "--preset", "llama2-7b",
                        "--lora-rank", "4", "--lora-alpha", "1e300"),
                bad("--lora-alpha NaN must be a positive number", "predict", "--preset", "llama2-7b", "--lora-rank",
                        "8", "--lora-alpha", "NaN"),
                bad("not --lora-rank 8 (allowed: --accounting complete", "predict", "--preset", "seed-gpt2",
                        "--accounting", "seed", "--lora-rank", "8"),
                bad("--data-parallel 2 with --lora-rank 8: data-parallel training of part of the model is not modelled",
                        "predict", "--preset", "llama2-7b", "--lora-rank", "8", "--data-parallel", "2", "--batch", "2"),
                bad("diff sets the seed beside full training, not --lora-rank 4", "diff", "--preset", "seed-gpt2",
                        "--lora-rank", "4"),
                // frozen kinds: an unknown kind, beside LoRA, all of them, half a tied matrix, over ranks, in diff
                bad("unknown frozen kind 'ffn': allowed are embeddings, norms, attention, mlp, head", "predict",
                        "--preset", "llama2-7b", "--freeze", "ffn"),
                bad("--freeze mlp beside LoRA adapters: LoRA freezes every parameter of the model already", "train",
                        "--preset", "llama2-7b", "--freeze", "mlp", "--lora-rank", "4"),
                bad("--freeze embeddings,norms,attention,mlp,head leaves nothing to train", "predict", "--preset",
                        "llama2-7b", "--freeze", "head,mlp,attention,norms,embeddings"),
                bad("--freeze head: a tied LM head is the token embedding, one matrix", "predict", "--preset",
                        "gemma-2b", "--freeze", "head"),
                bad("--data-parallel 2 with --freeze embeddings: data-parallel training of part of the model is not"
                        + " modelled", "predict", "--preset", "llama2-7b", "--freeze", "embeddings", "--data-parallel",
                        "2", "--batch", "2"),
                bad("diff sets the seed beside full training, not --freeze norms", "diff", "--preset", "seed-gpt2",
                        "--freeze", "norms"),
                // a mixture of experts' gates and shared expert: an unknown kind, either without experts, a width
                // of 0, and an adapter on the MLP beside a shared expert
                bad("--expert-gates 'softish' is not a kind of gates (allowed: normalized, unnormalized)", "predict",
                        "--vocab", "100", "--context", "8", "--layers", "2", "--d-model", "16", "--heads", "4", "--d-ff",
                        "32", "--experts", "4", "--top-k", "2", "--expert-gates", "softish"),
                bad("--shared-expert-ffn 64 needs --experts", "predict", "--vocab", "100", "--context", "8",
                        "--layers", "2", "--d-model", "16", "--heads", "4", "--d-ff", "32", "--shared-expert-ffn", "64"),
                bad("--shared-expert-ffn 0 must be a positive integer", "predict", "--vocab", "100", "--context", "8",
                        "--layers", "2", "--d-model", "16", "--heads", "4", "--d-ff", "32", "--experts", "4", "--top-k",
                        "2", "--shared-expert-ffn", "0"),
                bad("LoRA target 'w1' (gate_proj) beside a shared expert", "predict", "--vocab", "100", "--context",
                        "8", "--layers", "2", "--d-model", "16", "--heads", "4", "--d-ff", "32", "--experts", "4",
                        "--top-k", "2", "--shared-expert-ffn", "64", "--lora-rank", "2", "--lora-targets", "w1"),
                // QLoRA: an unknown quantization, a 4-bit base without adapters or under fp32, in predict and train
                bad("--quantized-base 'int4' is not a base quantization (allowed: none, nf4)", "predict", "--preset",
                        "llama2-7b", "--lora-rank", "8", "--quantized-base", "int4"),
                bad("--quantized-base nf4 needs --lora-rank", "predict", "--preset", "llama2-7b", "--quantized-base",
                        "nf4", "--precision-policy", "bf16-mixed"),
                bad("an NF4 base is modelled dequantizing into bfloat16, QLoRA's bnb_4bit_compute_dtype, not under fp32",
                        "predict", "--preset", "llama2-7b", "--lora-rank", "8", "--quantized-base", "nf4"),
                bad("an NF4 base is modelled dequantizing into bfloat16, QLoRA's bnb_4bit_compute_dtype, not under fp32",
                        "train", "--preset", "llama2-7b", "--lora-rank", "8", "--quantized-base", "nf4"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("extremeInputs")
    void extremesAreRefusedWithOneLineAndExitTwo(String expected, String[] args) {
        assertRefused(expected, args);
    }

    /** A pasted value is named by its first characters and length, never echoed whole. */
    @Test
    void aHugeValueIsNamedByItsStartAndLength() {
        String preset = "x".repeat(100_000);
        assertRefused("unknown preset '" + "x".repeat(Excerpt.SHOWN) + "... (100000 characters)': allowed are",
                "predict", "--preset", preset);
        String digits = "9".repeat(100_000);
        assertRefused("'" + "9".repeat(Excerpt.SHOWN) + "... (100000 characters)' is not a whole number",
                "predict", "--preset", "seed-gpt2", "--vocab", digits);
        String[] manyArguments = new String[20_002];
        manyArguments[0] = "predict";
        manyArguments[1] = "--preset=seed-gpt2";
        for (int i = 2; i < manyArguments.length; i++) {
            manyArguments[i] = String.valueOf(i);
        }
        CliRun run = CliRun.of(manyArguments);
        assertRefused("Unmatched arguments from index 2: '2', '3'", manyArguments);
        assertTrue(run.err().endsWith("characters)\n"), "cut: " + run.err().length());
    }

    /** calibrate: a results file it cannot read, or an --out it cannot write, is one line naming it. */
    @Test
    void calibrateRefusesResultsItCannotReadAndOutItCannotWrite(@TempDir Path directory) throws IOException {
        String committed = Path.of("..", "results", "measurements.csv").toString();
        List<String> header = MeasurementsSchema.names();
        Path notUtf8 = Files.write(directory.resolve("latin1.csv"),
                (String.join(",", header) + "\ncaf\u00e9\n").getBytes(StandardCharsets.ISO_8859_1));
        Path unterminated = Files.writeString(directory.resolve("unterminated.csv"),
                String.join(",", header) + "\n\"20261202T190017Z,AdamWBenchmark.step\n");
        Path missingColumn = Files.writeString(directory.resolve("missing.csv"),
                String.join(",", header.subList(0, header.size() - 1)) + "\n");
        Path file = Files.writeString(directory.resolve("a-file"), "");
        String[][] cases = {
            {"no measurements file at " + directory, "--results", directory.toString()},
            {"latin1.csv is not UTF-8 text (Input length = 1)", "--results", notUtf8.toString()},
            {"unterminated.csv is not valid CSV: (startline 2) EOF reached before encapsulated token finished",
                "--results", unterminated.toString()},
            {"missing.csv is not a flopcast measurements.csv: its header has " + (header.size() - 1) + " columns",
                "--results", missingColumn.toString()},
            {"--out " + file + " is a file; allowed is a directory", "--results", committed, "--out", file.toString()},
            {"--out " + file.resolve("sub") + " cannot be created: " + file.resolve("sub") + ": Not a directory",
                "--results", committed, "--out", file.resolve("sub").toString()},
            {"--batch 9223372036854775807 a count passes 2^63 - 1", "--results", committed, "--out",
                directory.resolve("out").toString(), "--batch", "9223372036854775807"},
            {"--preset gpt2-xl has layernorm and a gelu MLP, which no component row measures: the step-time model's"
                + " efficiencies are fitted on RMSNorm and SwiGLU only (allowed: a target with RMSNorm and a SwiGLU"
                + " MLP: seed-gpt2-xl", "--results", committed, "--out", directory.resolve("openai").toString(),
                "--preset", "gpt2-xl"},
            {"--preset gemma-7b has a geglu MLP, which no component row measures", "--results", committed, "--out",
                directory.resolve("openai").toString(), "--preset", "gemma-7b"}};
        for (String[] c : cases) {
            String[] args = Arrays.copyOf(c, c.length);
            args[0] = "calibrate";
            assertRefused(c[0], args);
        }
        assertEquals(0, Files.size(file), "the file given as --out is left alone");
        assertFalse(Files.exists(directory.resolve("openai")), "a refused target writes nothing");
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
        assertTrue(run.err().length() <= FlopcastCli.LONGEST_LINE + 100, "never echoes a value whole: "
                + run.err().length() + " characters");
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
