package flopcast.benchmarks;

import flopcast.measure.kernels.Workers;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Param;

/**
 * What float32 FLOP/s can this JVM reach at all? Ten independent fused multiply-add chains on
 * the widest vectors the Vector API offers, so that neither latency nor memory limits them: the
 * peak that MFU is measured against, on one thread and on all (every thread its own chains, handed
 * out as the model's kernels are). Scalar loops reach a small fraction of this; only vector FMAs
 * approach the hardware's peak.
 *
 * <p>A broken result looks like one thread as fast as all of them on a multi-core host, or a
 * figure far below cores x frequency x FLOPs per cycle. Run alone:
 * {@code mvn jmh:run -Djmh.include=PeakFlops}.
 *
 * <p>Ten chains, not more: two FMA units of four or five cycles' latency need eight to ten in
 * flight, and AVX2's sixteen vector registers hold ten accumulators and the two operands where
 * twelve spill (on the AMD EPYC AVX2 host, best of 40 short runs: 89.2 GFLOP/s with ten, 86.4 with
 * twelve, 79.0 with eight). It is timed as every other row is (the shared iterations, their lower
 * quartile): a peak averaged over 300 ms iterations came out 30% under what the GEMM's 50 ms
 * samples reached, and 39 matmul rows of one run had an MFU above 1.
 */
public class PeakFlopsProbe extends ProbeBenchmark {
    /** One value: the FMA peak. */
    @Param({"peak_flops"})
    public String component;

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 10;
    /** Rounds of the chains a thread runs per call: about 0.2 ms, hundreds of times a hand-off to a worker. */
    private static final int ROUNDS = 1 << 16;
    /** 2 FLOPs per lane per FMA. */
    private static final long FLOPS_PER_THREAD = 2L * SPECIES.length() * CHAINS * ROUNDS;

    @Override
    Probe probe(String benchmark, Map<String, String> params) {
        return of(benchmark, params);
    }

    /** The row of {@code benchmark} with parameters {@code params} as a turn of {@link InterleavedBenchmark}. */
    static Turn turn(String benchmark, Map<String, String> params) {
        return of(benchmark, params).turn();
    }

    private static Probe of(String benchmark, Map<String, String> params) {
        Identity identity = Identity.of(benchmark, params);
        identity.expect("peak_flops", "probe");
        int threads = identity.threads();
        Workers workers = new Workers(threads);
        float[] sums = new float[threads];
        SteadyState.Op call = () -> {
            workers.split(threads, 1, 1, (part, from, to) -> {
                for (int thread = from; thread < to; thread++) {
                    sums[thread] = chains(thread);
                }
                return 0;
            });
            return sums;
        };
        return new Probe(call, new Work.PerOp(threads * FLOPS_PER_THREAD, 0, 0, 0, threads, 0), 1);
    }

    /** The chains, started from values that differ by thread. */
    private static float chains(int thread) {
        FloatVector b = FloatVector.broadcast(SPECIES, 0.999_999f);
        FloatVector c = FloatVector.broadcast(SPECIES, 1e-7f * (thread + 1));
        FloatVector a0 = FloatVector.broadcast(SPECIES, 1f);
        FloatVector a1 = FloatVector.broadcast(SPECIES, 2f);
        FloatVector a2 = FloatVector.broadcast(SPECIES, 3f);
        FloatVector a3 = FloatVector.broadcast(SPECIES, 4f);
        FloatVector a4 = FloatVector.broadcast(SPECIES, 5f);
        FloatVector a5 = FloatVector.broadcast(SPECIES, 6f);
        FloatVector a6 = FloatVector.broadcast(SPECIES, 7f);
        FloatVector a7 = FloatVector.broadcast(SPECIES, 8f);
        FloatVector a8 = FloatVector.broadcast(SPECIES, 9f);
        FloatVector a9 = FloatVector.broadcast(SPECIES, 10f);
        for (int i = 0; i < ROUNDS; i++) {
            a0 = a0.fma(b, c);
            a1 = a1.fma(b, c);
            a2 = a2.fma(b, c);
            a3 = a3.fma(b, c);
            a4 = a4.fma(b, c);
            a5 = a5.fma(b, c);
            a6 = a6.fma(b, c);
            a7 = a7.fma(b, c);
            a8 = a8.fma(b, c);
            a9 = a9.fma(b, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9)
                .reduceLanes(VectorOperators.ADD);
    }
}
