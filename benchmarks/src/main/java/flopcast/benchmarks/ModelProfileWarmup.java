package flopcast.benchmarks;

import flopcast.measure.run.BackendChoice;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.analytic.NamedShape;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.run.SubsetSequences;
import flopcast.measure.model.TransformerModel;
import java.util.HashSet;
import java.util.Set;

/**
 * Compiles the model's kernels the way a training run does before any benchmark times one alone.
 *
 * <p>Why: the JIT compiles EJML's matmul loops differently depending on what it sees first. A
 * benchmark fork that calls one large kernel from the start gets those loops compiled on the stack
 * inside a long call, and at the small shape its backward ran about 1.5x slower (LM head backward
 * 0.73 s against 0.49 s) than the same call after a few steps of a model, which makes many short
 * calls first; a step timed after the isolated kernels was slower by as much (2.65 s against 2.18 s).
 * Ten steps of the tiny model (about a second) give every fork the training run's compiled code.
 * They run on the backend the fork times: EJML's concurrent ops are other code than its
 * single-thread ones (the wide EJML step after ten single-thread tiny steps still ran its first
 * step 8% slower than its third).
 */
final class ModelProfileWarmup {
    static final int STEPS = 10;
    private static final Set<String> DONE = new HashSet<>();

    private ModelProfileWarmup() {
    }

    /** Warms {@code backend} on {@code threads}, once per fork. */
    static synchronized void run(String backend, int threads) {
        if (!DONE.add(backend + " " + threads)) {
            return;
        }
        var shape = NamedShape.TINY.shape();
        TransformerModel model = new TransformerModel(shape, 2, new FlopCounter(), BackendChoice.of(backend, threads));
        int n = Math.toIntExact(shape.tokens());
        int[] tokens = new int[n];
        int[] targets = new int[n];
        new SubsetSequences(shape, SubsetSequences.defaultSubsetSize(shape), 2).fill(tokens, targets);
        for (int step = 0; step < STEPS; step++) {
            model.step(tokens, targets);
        }
    }
}
