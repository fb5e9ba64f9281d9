package flopcast.benchmarks;

import org.openjdk.jmh.annotations.Param;

/**
 * How fast is each matmul of a layer on the Vector API GEMM, on one thread and on all? Same ops as
 * {@link MatmulBenchmark} (which times EJML), at the two ends of the step shapes' sizes (tiny and
 * wide; a third shape cost 32 trials, a minute, of the ten-minute run): the matmul rows the vector
 * backend's calibration fits (each thread count against the peak at that count). A broken result
 * looks like one thread far below half the measured one-thread peak at the wide shape, whose
 * projections have every dimension 256 or more, or all threads no faster than one. Run alone:
 * {@code mvn jmh:run -Djmh.include=VectorMatmul}.
 */
public class VectorMatmulBenchmark extends ComponentBenchmark {
    @Param({"qkv_projection", "attention_scores", "attention_weighted_sum", "output_projection", "ffn_w1", "ffn_w3", "ffn_w2", "output_embedding"})
    public String component;

    @Param({"tiny", "wide"})
    public String shape;

    @Param({"vector"})
    public String backend;

    /** One thread, or split across every processor ({@link Identity}). */
    @Param({"1", "all"})
    public String threads;
}
