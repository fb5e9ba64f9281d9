package flopcast.measure.run;

import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import java.util.SplittableRandom;

/**
 * Training data whose next token can only be predicted from earlier tokens: each sequence draws
 * its own random subset of k tokens from the vocabulary, then T + 1 tokens uniformly from that
 * subset (tokens are positions 0..T-1, targets 1..T). Every token is uniform over the vocabulary
 * on its own (unigram entropy ln V); the current token alone says little about the next one; the
 * earlier tokens reveal the subset, after which the next token costs ln k. A model must attend to
 * its context to go below about ln V. Deterministic for a seed; {@link #fill} allocates nothing.
 */
public final class SubsetSequences {
    private final int batch;
    private final int context;
    private final int vocab;
    private final int subsetSize;
    private final SplittableRandom random;
    private final int[] permutation;
    private final int[] sequence;

    public SubsetSequences(Shape shape, int subsetSize, long seed) {
        this.batch = Math.toIntExact(shape.batchSize());
        this.context = Math.toIntExact(shape.contextLength());
        this.vocab = Math.toIntExact(shape.vocabSize());
        if (subsetSize < 1 || subsetSize > vocab) {
            throw new InvalidInputException("subset size must be in [1, vocab_size " + vocab + "], got " + subsetSize);
        }
        this.subsetSize = subsetSize;
        this.random = new SplittableRandom(seed);
        this.permutation = new int[vocab];
        for (int i = 0; i < vocab; i++) {
            permutation[i] = i;
        }
        this.sequence = new int[context + 1];
    }

    /** The subset size used for a vocabulary: 4, or fewer when V is smaller. */
    public static int defaultSubsetSize(Shape shape) {
        return (int) Math.min(4, shape.vocabSize());
    }

    /** Writes a fresh batch: tokens and next-token targets, row b*T + t. */
    public void fill(int[] tokens, int[] targets) {
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < subsetSize; i++) {           // partial Fisher-Yates: the subset is permutation[0..k)
                int j = i + random.nextInt(vocab - i);
                int swap = permutation[i];
                permutation[i] = permutation[j];
                permutation[j] = swap;
            }
            for (int t = 0; t <= context; t++) {
                sequence[t] = permutation[random.nextInt(subsetSize)];
            }
            System.arraycopy(sequence, 0, tokens, b * context, context);
            System.arraycopy(sequence, 1, targets, b * context, context);
        }
    }

    /** ln V: the loss of a model that knows only how often each token occurs. */
    public double unigramEntropy() {
        return Math.log(vocab);
    }

    /** ln k: the loss of a model that knows the sequence's subset. */
    public double subsetEntropy() {
        return Math.log(subsetSize);
    }
}
