package flopcast.benchmarks;

import flopcast.analytic.Component;
import flopcast.analytic.OverheadTraffic;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Shape;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.model.HeadRows;
import java.util.Arrays;
import java.util.Map;
import org.ejml.data.FMatrixRMaj;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * How fast does the executed model do the work outside its components' kernels? Three of its loops,
 * each as the step runs it at a shape ({@link OverheadTraffic}'s classes): {@code residual_add}, x +=
 * f(x) over N x d on the backend's kernels (12 bytes an element); {@code head_copy}, one head's T rows
 * of d_k floats gathered from the (B*T) x (h*d_k) queries, a head after another as attention does
 * (8 bytes an element: one {@code System.arraycopy} a row); {@code gradient_zeroing}, every parameter's
 * gradient set to 0 (4 bytes an element). The head copy and the zeroing run on the calling thread at
 * every thread count, as in the step (there the heads' copies run inside the attention split, a part a
 * thread); the residual add on the backend's threads. The tiny and wide shapes bound the step shapes'
 * sizes.
 *
 * <p>Each call reads arrays that have left the cache ({@link #COLD_BYTES} of copies, taken in turn),
 * because in the step they have: another op wrote them, or the last step touched them. Measured side by
 * side (1 thread, AMD EPYC, docs/calibration.md), the same loops on one array in cache ran 2 to 5 times
 * faster than on cold ones (a wide head copy 15 against 67 ns a row, tiny zeroing 47 against 247 us),
 * and the profiled steps ran them at the cold rate (wide head copies about 100 ns a row, tiny zeroing
 * 291 us).
 *
 * <p>A broken result looks like the head copy at the bandwidth probe's rate (rows of d_k floats from a
 * cold tensor are bound by each row's misses, not by streaming). Run alone:
 * {@code mvn jmh:run -Djmh.include=OverheadBenchmark}.
 */
@State(Scope.Thread)
public class OverheadBenchmark extends BenchmarkSettings {
    @Param({"tiny", "wide"})
    public String shape;

    @Param({OverheadTraffic.RESIDUAL_ADD, OverheadTraffic.HEAD_COPY, OverheadTraffic.GRADIENT_ZEROING})
    public String component;

    /** One value: each loop is its own class; the step runs them in its forward and backward passes. */
    @Param({"overhead"})
    public String pass;

    @Param({"vector"})
    public String backend;

    @Param({"1", "all"})
    public String threads;

    /** Bytes the copies of a loop's arrays span: past this host's last-level cache (32 MiB on an EPYC's CCX). */
    static final long COLD_BYTES = 64L << 20;

    private SteadyState.Op kernel;
    private Work.PerOp perOp;

    @Setup(Level.Trial)
    public void buildArrays(BenchmarkParams params) {
        Identity identity = Identity.of(params);
        kernel = kernel(identity);
        perOp = perOp(identity);
        SteadyState.warm(kernel);
    }

    /** The row of {@code benchmark} with parameters {@code params} as a turn of {@link InterleavedBenchmark}. */
    static Turn turn(String benchmark, Map<String, String> params) {
        Identity identity = Identity.of(benchmark, params);
        return new Turn(kernel(identity), () -> { }, perOp(identity), false);
    }

    /** Elements one call touches: N x d, one head's T x d_k, or every parameter. */
    private static long elements(Identity identity) {
        Shape shape = identity.shape();
        return switch (identity.component()) {
            case OverheadTraffic.RESIDUAL_ADD -> Math.multiplyExact(shape.tokens(), shape.dModel());
            case OverheadTraffic.HEAD_COPY -> Math.multiplyExact(shape.contextLength(), shape.headDim());
            case OverheadTraffic.GRADIENT_ZEROING -> ParameterTensor.trainable(shape);
            default -> throw new IllegalArgumentException("this benchmark's component is "
                    + OverheadTraffic.RESIDUAL_ADD + ", " + OverheadTraffic.HEAD_COPY + " or "
                    + OverheadTraffic.GRADIENT_ZEROING + "; got " + identity.component());
        };
    }

    /**
     * Copies of each array the loop touches, enough to span {@link #COLD_BYTES}: each call takes the
     * next, so what it reads left the cache long before, as in the step.
     */
    private static int copies(long bytesPerCopy) {
        return Math.toIntExact(Math.max(2, COLD_BYTES / bytesPerCopy));
    }

    private static SteadyState.Op kernel(Identity identity) {
        Shape shape = identity.shape();
        int elements = Math.toIntExact(elements(identity));
        int[] next = {0};
        return switch (identity.component()) {
            case OverheadTraffic.RESIDUAL_ADD -> {
                CountingOps ops = new CountingOps(new FlopCounter(), identity.matmulBackend());
                int rows = Math.toIntExact(shape.tokens());
                int columns = Math.toIntExact(shape.dModel());
                int copies = copies(8L * elements);
                FMatrixRMaj[] xs = new FMatrixRMaj[copies];
                FMatrixRMaj[] fs = new FMatrixRMaj[copies];
                for (int i = 0; i < copies; i++) {
                    xs[i] = new FMatrixRMaj(rows, columns);
                    fs[i] = new FMatrixRMaj(rows, columns);
                    Arrays.fill(fs[i].data, 1e-6f);
                }
                yield () -> {
                    int i = next[0];
                    next[0] = (i + 1) % copies;
                    ops.addEquals(Component.OUTPUT_PROJECTION, xs[i], fs[i]);
                    return xs[i];
                };
            }
            case OverheadTraffic.HEAD_COPY -> {
                int context = Math.toIntExact(shape.contextLength());
                int headDim = Math.toIntExact(shape.headDim());
                int heads = Math.toIntExact(shape.heads());
                int sequences = Math.toIntExact(shape.batchSize());
                int width = heads * headDim;
                int size = Math.multiplyExact(sequences * context, width);
                int copies = copies(4L * size);
                float[][] queries = new float[copies][size];
                float[] head = new float[elements];
                int[] source = {0};
                yield () -> {
                    // the heads in attention's order, a source after another once each has been gathered
                    int pair = next[0];
                    next[0] = (pair + 1) % (sequences * heads);
                    if (next[0] == 0) {
                        source[0] = (source[0] + 1) % copies;
                    }
                    HeadRows.gather(queries[source[0]], width, context, headDim, pair / heads, pair % heads, head);
                    return head;
                };
            }
            default -> {
                int copies = copies(4L * elements);
                float[][] gradients = new float[copies][elements];
                yield () -> {
                    int i = next[0];
                    next[0] = (i + 1) % copies;
                    Arrays.fill(gradients[i], 0f);
                    return gradients[i];
                };
            }
        };
    }

    private static Work.PerOp perOp(Identity identity) {
        long perElement = switch (identity.component()) {
            case OverheadTraffic.RESIDUAL_ADD -> 12;
            case OverheadTraffic.HEAD_COPY -> 8;
            default -> 4;
        };
        return new Work.PerOp(0, 0, 0, perElement * elements(identity), identity.threads(), 0);
    }

    @Benchmark
    public Object run(Work work) {
        Object result = kernel.run();
        work.add(perOp);
        return result;
    }
}
