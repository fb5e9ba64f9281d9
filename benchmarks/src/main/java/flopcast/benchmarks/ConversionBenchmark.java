package flopcast.benchmarks;

import flopcast.analytic.Bf16Conversions;
import flopcast.measure.buffers.BFloat16;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * How fast does the executed model convert bfloat16 storage? The loops a bf16 step runs on every
 * tensor it reads and writes ({@code StoredTensor}, {@link Bf16Conversions}): {@code widen}, 16-bit
 * values into a float32 working copy (6 bytes an element), and {@code round}, the copy rounded to
 * nearest even into the 16 bits and back into the copy (10 bytes an element). Both are scalar loops on
 * the calling thread at every thread count, as in the step: the {@code all} rows time that loop beside
 * the all-thread bandwidth their efficiency divides by. 32K elements (192 KiB of bits and copy) sit in
 * the second cache level, 1M (6 MiB) past it: a step's conversions are one tensor each, 32K elements (the
 * tiny shape's activations) to a few million (the wide shape's weights).
 *
 * <p>A broken result looks like the widening as slow as the rounding, which does twice the work an
 * element. Run alone: {@code mvn jmh:run -Djmh.include=ConversionBenchmark}.
 */
@State(Scope.Thread)
public class ConversionBenchmark extends BenchmarkSettings {
    @Param({"32768", "1048576"})
    public int elements;

    /** One value: the conversions are one class of the in-situ profile. */
    @Param({Bf16Conversions.OP_CLASS})
    public String component;

    /** The two loops. */
    @Param({"widen", "round"})
    public String pass;

    /** One value: the loops are the executed model's, the same under every backend. */
    @Param({"vector"})
    public String backend;

    @Param({"1", "all"})
    public String threads;

    private SteadyState.Op kernel;
    private Work.PerOp perOp;

    @Setup(Level.Trial)
    public void buildArrays(BenchmarkParams params) {
        Identity identity = Identity.of(params);
        kernel = kernel(identity, elements);
        perOp = perOp(identity, elements);
        SteadyState.warm(kernel);
    }

    /** The row of {@code benchmark} with parameters {@code params} as a turn of {@link InterleavedBenchmark}. */
    static Turn turn(String benchmark, Map<String, String> params) {
        Identity identity = Identity.of(benchmark, params);
        int elements = Integer.parseInt(params.get("elements"));
        return new Turn(kernel(identity, elements), () -> { }, perOp(identity, elements), false);
    }

    /** The loop of {@code identity}'s pass over arrays of {@code elements}. */
    private static SteadyState.Op kernel(Identity identity, int elements) {
        if (!identity.component().equals(Bf16Conversions.OP_CLASS)) {
            throw new IllegalArgumentException("this benchmark measures component " + Bf16Conversions.OP_CLASS
                    + "; got " + identity.component());
        }
        short[] bits = new short[elements];
        float[] copy = new float[elements];
        for (int i = 0; i < elements; i++) {
            // values of every exponent the step sees, none of them a NaN (the rounding's one branch)
            copy[i] = (float) Math.scalb(1 + (i % 1000) / 1000.0, i % 40 - 20) * (i % 2 == 0 ? 1 : -1);
        }
        BFloat16.narrow(copy, bits, elements);
        return switch (identity.pass()) {
            case "widen" -> () -> {
                BFloat16.widen(bits, copy, elements);
                return copy;
            };
            case "round" -> () -> {
                BFloat16.narrow(copy, bits, elements);
                return bits;
            };
            default -> throw new IllegalArgumentException("this benchmark's pass is widen or round; got "
                    + identity.pass());
        };
    }

    private static Work.PerOp perOp(Identity identity, int elements) {
        long perElement = identity.pass().equals("widen") ? Bf16Conversions.WIDEN_BYTES : Bf16Conversions.ROUND_BYTES;
        return new Work.PerOp(0, 0, 0, perElement * elements, identity.threads(), 0);
    }

    @Benchmark
    public Object convert(Work work) {
        Object result = kernel.run();
        work.add(perOp);
        return result;
    }
}
