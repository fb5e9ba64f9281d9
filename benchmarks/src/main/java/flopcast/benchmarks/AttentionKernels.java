package flopcast.benchmarks;

import static flopcast.analytic.KeptActivation.ATTENTION_PROBABILITIES;
import static flopcast.analytic.WorkspaceBuffer.HEAD_KEY;
import static flopcast.analytic.WorkspaceBuffer.HEAD_KEY_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.HEAD_OUTPUT;
import static flopcast.analytic.WorkspaceBuffer.HEAD_PROBABILITY_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.HEAD_QUERY;
import static flopcast.analytic.WorkspaceBuffer.HEAD_QUERY_GRADIENT;
import static flopcast.analytic.WorkspaceBuffer.HEAD_VALUE;
import static flopcast.analytic.WorkspaceBuffer.HEAD_VALUE_GRADIENT;

import flopcast.analytic.Component;
import flopcast.analytic.Shape;
import flopcast.measure.model.AttentionScores;
import flopcast.measure.model.AttentionWeightedSum;
import flopcast.measure.model.CausalSoftmax;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.model.HeadParts;
import org.ejml.data.FMatrixRMaj;

/**
 * The three attention components, each on the B*h (sequence, head) pairs split across threads as
 * the model splits them ({@link HeadParts}), one op instance per part. Each pair reads its own
 * instance of the head rows (the model gathers every pair into its part's one instance) and
 * writes into its part's.
 */
final class AttentionKernels {
    private AttentionKernels() {
    }

    static ComponentKernel of(FlopCounter counter, CountingOps ops, Component component, Shape shape,
            KernelBuffers buffers) {
        HeadParts heads = new HeadParts(ops, Math.toIntExact(Math.multiplyExact(shape.batchSize(),
                shape.heads())));
        return switch (component) {
            case ATTENTION_SCORES -> scores(counter, heads, buffers);
            case ATTENTION_SOFTMAX -> softmax(counter, heads, shape, buffers);
            case ATTENTION_WEIGHTED_SUM -> weightedSum(counter, heads, buffers);
            default -> throw new IllegalArgumentException(component + " is not an attention component");
        };
    }

    private static ComponentKernel scores(FlopCounter counter, HeadParts heads, KernelBuffers buffers) {
        AttentionScores[] scores = heads.perPart(AttentionScores[]::new, AttentionScores::new);
        FMatrixRMaj[] s = buffers.zeros(ATTENTION_PROBABILITIES);
        FMatrixRMaj[] q = buffers.randoms(HEAD_QUERY, s.length);
        FMatrixRMaj[] k = buffers.randoms(HEAD_KEY, s.length);
        FMatrixRMaj[] ds = buffers.randoms(HEAD_PROBABILITY_GRADIENT, s.length);
        FMatrixRMaj[] dq = buffers.zeros(HEAD_QUERY_GRADIENT, heads.parts());
        FMatrixRMaj[] dk = buffers.zeros(HEAD_KEY_GRADIENT, heads.parts());
        return new ComponentKernel(counter, () -> heads.each((part, i) -> scores[part].forward(q[i], k[i], s[i])),
                () -> heads.each((part, i) -> scores[part].backward(ds[i], q[i], k[i], dq[part], dk[part])),
                () -> { });
    }

    private static ComponentKernel weightedSum(FlopCounter counter, HeadParts heads, KernelBuffers buffers) {
        AttentionWeightedSum[] sums = heads.perPart(AttentionWeightedSum[]::new, AttentionWeightedSum::new);
        FMatrixRMaj[] p = buffers.randoms(ATTENTION_PROBABILITIES);
        FMatrixRMaj[] v = buffers.randoms(HEAD_VALUE, p.length);
        FMatrixRMaj[] dOut = buffers.randoms(HEAD_OUTPUT, p.length);
        FMatrixRMaj[] out = buffers.zeros(HEAD_OUTPUT, heads.parts());
        FMatrixRMaj[] dp = buffers.zeros(HEAD_PROBABILITY_GRADIENT, heads.parts());
        FMatrixRMaj[] dv = buffers.zeros(HEAD_VALUE_GRADIENT, heads.parts());
        return new ComponentKernel(counter, () -> heads.each((part, i) -> sums[part].forward(p[i], v[i], out[part])),
                () -> heads.each((part, i) -> sums[part].backward(dOut[i], p[i], v[i], dp[part], dv[part])),
                () -> { });
    }

    /** In place both ways: {@link #prepare()} restores the scores and the probabilities' gradient. */
    private static ComponentKernel softmax(FlopCounter counter, HeadParts heads, Shape shape,
            KernelBuffers buffers) {
        CausalSoftmax[] softmax = heads.perPart(CausalSoftmax[]::new,
                ops -> new CausalSoftmax(ops, Math.toIntExact(shape.contextLength()), shape.headDim()));
        FMatrixRMaj[] scores = buffers.randoms(ATTENTION_PROBABILITIES);
        FMatrixRMaj[] work = buffers.zeros(ATTENTION_PROBABILITIES);
        FMatrixRMaj[] probabilities = buffers.zeros(ATTENTION_PROBABILITIES);
        FMatrixRMaj[] gradient = buffers.randoms(HEAD_PROBABILITY_GRADIENT, scores.length);
        FMatrixRMaj[] dWork = buffers.zeros(HEAD_PROBABILITY_GRADIENT, scores.length);
        for (int i = 0; i < scores.length; i++) {
            probabilities[i].setTo(scores[i]);
        }
        heads.each((part, i) -> softmax[part].forward(probabilities[i]));
        counter.reset();
        return new ComponentKernel(counter, () -> heads.each((part, i) -> softmax[part].forward(work[i])),
                () -> heads.each((part, i) -> softmax[part].backward(probabilities[i], dWork[i])), () -> {
                    for (int i = 0; i < scores.length; i++) {
                        work[i].setTo(scores[i]);
                        dWork[i].setTo(gradient[i]);
                    }
                });
    }
}
