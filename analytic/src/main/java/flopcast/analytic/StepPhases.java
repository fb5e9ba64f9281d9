package flopcast.analytic;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@link StepTimeline} walks: a micro-batch's phases in order, every kept row's span from the
 * phase that writes it to the phase that reads it last, and the gradient bytes each part of the model
 * writes first. The spans are the executed model's ({@code MemoryLogTest} in measure watches its
 * buffers' uses, phase by phase).
 * <p>Source: DESIGN.md "complete" (the rows); Gradient lifetime (when a gradient set to none appears).
 */
final class StepPhases {

    private StepPhases() {
    }

    /**
     * A micro-batch's phases in the order they run, by index: the embedding's forward (0), block l's
     * forward (1 + l), the head's forward (L + 1) and backward (L + 2), block l's backward
     * (2L + 2 - l), the embedding's backward (2L + 3).
     */
    record Phases(int layers) {
        int count() {
            return 2 * layers + 4;
        }

        int forwardEmbedding() {
            return 0;
        }

        int forwardBlock(int block) {
            return 1 + block;
        }

        int forwardHead() {
            return layers + 1;
        }

        int backwardHead() {
            return layers + 2;
        }

        int backwardBlock(int block) {
            return 2 * layers + 2 - block;
        }

        int backwardEmbedding() {
            return 2 * layers + 3;
        }

        String name(int index) {
            if (index == forwardEmbedding()) {
                return "forward: embedding";
            }
            if (index <= layers) {
                return "forward: block " + (index - 1);
            }
            if (index == forwardHead()) {
                return "forward: head";
            }
            if (index == backwardHead()) {
                return "backward: head";
            }
            if (index < backwardEmbedding()) {
                return "backward: block " + (2 * layers + 2 - index);
            }
            return "backward: embedding";
        }
    }

    /** Bytes of kept rows alive from phase {@code first} to phase {@code last}, both included. */
    record Span(long bytes, int first, int last) {
    }

    /**
     * Every kept row's instances with the phases they live through, from the phase that writes them to
     * the one that reads them last, as the executed model uses them ({@code MemoryLogTest} in measure
     * watches it): a block's rows its block's forward to its backward, but its output (the next block's
     * input) to the next block's backward, or the head's for the last block, whose final norm reads it
     * (to its own block's backward under full recomputation, which runs the block's forward again there);
     * the token ids from the embedding's forward to its backward, the embedding's output to block 0's
     * backward, the targets (copied in with the tokens) to the head's backward; the head's rows (final
     * norm, probabilities, soft-capped logits) its forward to its backward.
     */
    static List<Span> keptSpans(Shape shape, Phases order) {
        int layers = order.layers();
        List<Span> spans = new ArrayList<>();
        for (KeptActivation row : KeptActivation.values()) {
            if (row.scope() == Scope.ONCE || row.scope() == Scope.ONCE_UNLESS_TIED) {
                long bytes = row.totalBytes(shape);
                Span span = switch (row) {
                    case TOKEN_IDS -> new Span(bytes, order.forwardEmbedding(), order.backwardEmbedding());
                    case EMBEDDING_OUTPUT -> new Span(bytes, order.forwardEmbedding(), order.backwardBlock(0));
                    case TARGETS -> new Span(bytes, order.forwardEmbedding(), order.backwardHead());
                    default -> new Span(bytes, order.forwardHead(), order.backwardHead());
                };
                spans.add(span);
                continue;
            }
            for (int block = 0; block < layers; block++) {
                Shape view = shape.block(block);
                long bytes = row.bytes(view, blockShare(row.instances(view), block, layers));
                // a block's output is read last by the next block's backward (the final norm's for the last
                // block), unless full recomputation runs the block's forward again in its own backward
                boolean rerun = view.recompute().blockBuffers().contains(Region.LAYER);
                int last = row != KeptActivation.FFN_RESIDUAL || rerun ? order.backwardBlock(block)
                        : block == layers - 1 ? order.backwardHead() : order.backwardBlock(block + 1);
                spans.add(new Span(bytes, order.forwardBlock(block), last));
            }
        }
        return spans;
    }

    /**
     * The {@code pytorch} kept set's rows ({@link TorchSavedTensor}) with the phases they live through:
     * a block's from its forward to its backward (the next block's norm saves its input, so no row
     * outlives its block), the token and position indices from the embedding's forward to its backward,
     * every other row outside the blocks (the final norm's, the log-probabilities, the targets) from the
     * head's forward to its backward. The log-probabilities are {@code logitBytes} a logit (the loss's
     * type) where the table's float32 does not apply.
     */
    static List<Span> torchSpans(Shape shape, Phases order, int logitBytes) {
        List<Span> spans = new ArrayList<>();
        for (TorchSavedTensor row : TorchSavedTensor.ROWS) {
            String name = row.row().tensorName();
            if (row.row().scope() == Scope.ONCE || row.row().scope() == Scope.ONCE_UNLESS_TIED) {
                long bytes = name.equals(LOG_PROBABILITIES) ? Math.multiplyExact(row.totalElements(shape), logitBytes)
                        : row.totalBytes(shape);
                boolean indices = row.row().component() == Component.TOKEN_EMBEDDING;
                spans.add(new Span(bytes, indices ? order.forwardEmbedding() : order.forwardHead(),
                        indices ? order.backwardEmbedding() : order.backwardHead()));
                continue;
            }
            for (int block = 0; block < order.layers(); block++) {
                spans.add(new Span(row.blockBytes(shape, block), order.forwardBlock(block), order.backwardBlock(block)));
            }
        }
        return spans;
    }

    /** The {@link TorchSavedTensor} row of the loss's kept log-probabilities. */
    static final String LOG_PROBABILITIES = "loss.log_probabilities";

    /**
     * Which FSDP units a rank holds gathered at each phase, in elements (each unit padded to N shards), by
     * its sharding's gather ({@link Sharding.WeightGather}) and FSDP's defaults: the root unit (token
     * embedding, final norm, an untied head) gathered at the first forward and held to the end of backward
     * (the root does not reshard after forward: backward starts with it); a block's unit, under zero2,
     * from its forward through its backward; under zero3 at its forward, at its backward, and prefetched
     * during the backward before it (the block after it, or the head's for the last block:
     * {@code BackwardPrefetch.BACKWARD_PRE}). None where the weights are not sharded, and none at the
     * optimizer's phase.
     */
    static long gatheredAt(int index, Phases order, Sharding sharding, long[] padded) {
        if (!sharding.shardsParameters()) {
            return 0;
        }
        long gathered = padded[0];
        for (int block = 0; block < order.layers(); block++) {
            boolean held = switch (sharding.weightGather()) {
                case NONE -> false;
                case FORWARD_HELD_THROUGH_BACKWARD -> order.forwardBlock(block) <= index
                        && index <= order.backwardBlock(block);
                case FORWARD_AND_BACKWARD -> index == order.forwardBlock(block) || index == order.backwardBlock(block)
                        || index == (block == order.layers() - 1 ? order.backwardHead() : order.backwardBlock(block + 1));
            };
            if (held) {
                gathered = Math.addExact(gathered, padded[block + 1]);
            }
        }
        return gathered;
    }

    /**
     * A rank's unsharded gradients at each phase under sharded gradients, in elements (each unit padded to
     * N shards): a unit's from the backward phase that first writes any of it to its reduce-scatter, at the
     * unit's last backward phase, after which the rank keeps its shard: a block's at its own backward, the
     * root's from the head's backward (its head and final norm) to the embedding's.
     */
    static long unshardedGradientsAt(int index, Phases order, long[] padded) {
        long unsharded = order.backwardHead() <= index && index <= order.backwardEmbedding() ? padded[0] : 0;
        for (int block = 0; block < order.layers(); block++) {
            if (index == order.backwardBlock(block)) {
                unsharded = Math.addExact(unsharded, padded[block + 1]);
            }
        }
        return unsharded;
    }

    /**
     * The shard of the gradients a rank's reduce-scatter writes first at each phase, in elements: a block's
     * unit's shard at its backward, the root's at the embedding's backward.
     */
    static long shardWrittenAt(int index, Phases order, long[] shards) {
        if (index == order.backwardEmbedding()) {
            return shards[0];
        }
        for (int block = 0; block < order.layers(); block++) {
            if (index == order.backwardBlock(block)) {
                return shards[block + 1];
            }
        }
        return 0;
    }

    /**
     * Block {@code block}'s share of {@code instances} over {@code layers} blocks: an equal share,
     * and what does not divide to the last block (the one row kept for the last block only).
     */
    private static long blockShare(long instances, int block, int layers) {
        return instances / layers + (block == layers - 1 ? instances % layers : 0);
    }

    /**
     * The gradient bytes each part of the model writes first: the head's (and a tied embedding's, which
     * the LM head's backward writes first), each block's, and the untied embedding's and positions'.
     */
    record Gradient(long embedding, long[] blocks, long head) {

        static Gradient of(Shape shape) {
            int layers = Math.toIntExact(shape.layers());
            long gradientBytes = shape.policy().gradientBytes();
            long[] blocks = new long[layers];
            long embedding = 0;
            long head = 0;
            for (ParameterTensor row : ParameterTensor.values()) {
                if (row.scope() == Scope.ONCE || row.scope() == Scope.ONCE_UNLESS_TIED) {
                    long bytes = Math.multiplyExact(row.trainedElements(shape), gradientBytes);
                    boolean tiedTable = row == ParameterTensor.TOKEN_EMBEDDING_WEIGHT
                            && shape.architecture().tiedEmbeddings();
                    if (row.component() == Component.TOKEN_EMBEDDING && !tiedTable) {
                        embedding = Math.addExact(embedding, bytes);
                    } else {
                        head = Math.addExact(head, bytes);
                    }
                    continue;
                }
                for (int block = 0; block < layers; block++) {
                    Shape view = shape.block(block);
                    long instances = row.trains(view) ? row.instances(view) : 0;
                    blocks[block] = Math.addExact(blocks[block], Math.multiplyExact(Math.multiplyExact(
                            row.elements(view), blockShare(instances, block, layers)), gradientBytes));
                }
            }
            return new Gradient(embedding, blocks, head);
        }

        /** The bytes first written at phase {@code index}. */
        long writtenAt(int index, Phases order) {
            if (index == order.backwardHead()) {
                return head;
            }
            if (index == order.backwardEmbedding()) {
                return embedding;
            }
            for (int block = 0; block < blocks.length; block++) {
                if (index == order.backwardBlock(block)) {
                    return blocks[block];
                }
            }
            return 0;
        }
    }
}
