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

        /** The phase before block {@code block}'s forward, whose output is its input: the embedding's for block 0. */
        int forwardBefore(int block) {
            return forwardBlock(block) - 1;
        }

        /** The phase before block {@code block}'s backward: the next block's, or the head's for the last block. */
        int backwardBefore(int block) {
            return backwardBlock(block) - 1;
        }

        /** The block whose backward phase {@code index} is; -1 for any other phase. */
        int backwardBlockAt(int index) {
            return backwardHead() < index && index < backwardEmbedding() ? 2 * layers + 2 - index : -1;
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
                return "backward: block " + backwardBlockAt(index);
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
                        : order.backwardBefore(block);
                spans.add(new Span(bytes, order.forwardBlock(block), last));
            }
        }
        return spans;
    }

    /**
     * The {@code pytorch} kept set's rows ({@link TorchSavedTensor}) with the phases they live through:
     * a block's from its forward to its backward (the next block's norm saves its input, so no row
     * outlives its block), but its input (its first norm's, or its projections') from the phase before,
     * whose output it is; the token and position indices from the embedding's forward to its backward,
     * the final norm's input from the last block's forward, every other row outside the blocks (the
     * final norm's, the log-probabilities, the targets) from the head's forward to its backward. The log-probabilities are {@code logitBytes} a logit (the loss's
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
                // the final norm's input is the last block's output
                int first = indices ? order.forwardEmbedding() : name.equals("final_norm.input")
                        ? order.forwardBlock(order.layers() - 1) : order.forwardHead();
                spans.add(new Span(bytes, first, indices ? order.backwardEmbedding() : order.backwardHead()));
                continue;
            }
            // a block's input, which its first norm (or, with none, its projections) saves, is the phase before's output
            boolean input = name.equals("attention_norm.input") || name.equals("attention.input");
            long[] blocks = row.blockBytes(shape);
            for (int block = 0; block < order.layers(); block++) {
                int first = input ? order.forwardBefore(block) : order.forwardBlock(block);
                spans.add(new Span(blocks[block], first, order.backwardBlock(block)));
            }
        }
        return spans;
    }

    /** The {@link TorchSavedTensor} row of the loss's kept log-probabilities. */
    static final String LOG_PROBABILITIES = "loss.log_probabilities";

    /**
     * Which FSDP units a rank holds gathered at each phase, in elements (each unit padded to N shards), by
     * its sharding's gather ({@link Sharding.WeightGather}) and FSDP's defaults. {@code units} lists the
     * root first and the blocks after it (FSDP1), or, with {@code embeddingApart}, the embedding's unit,
     * the blocks and the unit of the final norm and the head (torchtitan's FSDP2).
     * <ul>
     * <li>FSDP1's root unit (token embedding, final norm, an untied head) is gathered at the first forward
     * and held to the end of backward: the root does not reshard after forward, backward starts with it.
     * <li>FSDP2's head unit is held from the head's forward through its backward; its embedding unit is
     * gathered and resharded as a block's is.
     * <li>A block's unit (and FSDP2's embedding unit), under zero2, from its forward through its backward;
     * under zero3 at its forward, at its backward, and prefetched during the backward before it (the
     * block after it, or the head's for the last block: {@code BackwardPrefetch.BACKWARD_PRE}, FSDP2's
     * one group ahead).
     * </ul>
     * None where the weights are not sharded, and none at the optimizer's phase.
     */
    static long gatheredAt(int index, Phases order, Sharding sharding, long[] units, boolean embeddingApart) {
        if (!sharding.shardsParameters()) {
            return 0;
        }
        int layers = order.layers();
        long gathered = 0;
        if (!embeddingApart) {
            gathered = units[0];
        } else if (order.forwardHead() <= index && index <= order.backwardHead()) {
            gathered = units[layers + 1];
        }
        // the embedding's unit runs as a block before block 0 (its forward first, its backward last)
        for (int block = embeddingApart ? -1 : 0; block < layers; block++) {
            int forward = block < 0 ? order.forwardEmbedding() : order.forwardBlock(block);
            int backward = block < 0 ? order.backwardEmbedding() : order.backwardBlock(block);
            int before = backward - 1;
            boolean held = switch (sharding.weightGather()) {
                case NONE -> false;
                case FORWARD_HELD_THROUGH_BACKWARD -> forward <= index && index <= backward;
                case FORWARD_AND_BACKWARD -> index == forward || index == backward || index == before;
            };
            if (held) {
                gathered = Math.addExact(gathered, units[block + 1]);
            }
        }
        return gathered;
    }

    /**
     * A rank's unsharded gradients at each phase under sharded gradients, in elements (each unit padded to
     * N shards): a unit's from the backward phase that first writes any of it to its reduce-scatter, at the
     * unit's last backward phase, after which the rank keeps its shard: a block's at its own backward;
     * FSDP1's root's from the head's backward (its head and final norm) to the embedding's; FSDP2's head
     * unit's at the head's backward, its embedding unit's at the embedding's.
     */
    static long unshardedGradientsAt(int index, Phases order, long[] units, boolean embeddingApart) {
        int layers = order.layers();
        long unsharded = 0;
        if (!embeddingApart) {
            unsharded = order.backwardHead() <= index && index <= order.backwardEmbedding() ? units[0] : 0;
        } else if (index == order.backwardHead()) {
            unsharded = units[layers + 1];
        } else if (index == order.backwardEmbedding()) {
            unsharded = units[0];
        }
        int block = order.backwardBlockAt(index);
        return block < 0 ? unsharded : Math.addExact(unsharded, units[block + 1]);
    }

    /**
     * The shard of the gradients a rank's reduce-scatter writes first at each phase, in elements: a block's
     * unit's shard at its backward, FSDP1's root's at the embedding's backward; FSDP2's head unit's at the
     * head's backward and its embedding unit's at the embedding's.
     */
    static long shardWrittenAt(int index, Phases order, long[] shards, boolean embeddingApart) {
        int layers = order.layers();
        if (index == order.backwardEmbedding()) {
            return shards[0];
        }
        if (embeddingApart && index == order.backwardHead()) {
            return shards[layers + 1];
        }
        int block = order.backwardBlockAt(index);
        return block < 0 ? 0 : shards[block + 1];
    }

    /**
     * Megatron-Core's or torchtitan's kept rows ({@link FrameworkKept}) with the phases they live through,
     * under {@code shape}'s recomputation: a block's input from the phase before its forward (the block
     * before it, or the embedding's) to its backward, a block's other rows its forward to its backward; a
     * recomputed block's rows its mode does not keep, rebuilt while its backward runs; the token ids the
     * embedding's forward to its backward; the last block's output (Megatron's final norm's input) from that
     * block's forward, the other
     * rows outside the blocks (the loss's B*T*V row in {@code logitBytes} a logit) the head's forward to its
     * backward.
     */
    static List<Span> frameworkSpans(Shape shape, Phases order, Framework framework, int logitBytes) {
        Recompute mode = shape.recompute();
        int layers = order.layers();
        List<Span> spans = new ArrayList<>();
        long rebuilt = 0;
        for (FrameworkKept row : FrameworkKept.values()) {
            if (row.framework() != framework) {
                continue;
            }
            if (!row.inBlock()) {
                long bytes = row.lossRow() ? Math.multiplyExact(row.elements(shape), logitBytes) : row.bytes(shape, 1);
                int first = row.tokenIds() ? order.forwardEmbedding()
                        : row.blockOutput() ? order.forwardBlock(layers - 1) : order.forwardHead();
                spans.add(new Span(bytes, first, row.tokenIds() ? order.backwardEmbedding() : order.backwardHead()));
                continue;
            }
            long bytes = row.bytes(shape, 1);
            if (row.keptUnder(Recompute.NONE) && !row.keptUnder(mode)) {
                rebuilt = Math.addExact(rebuilt, bytes);
            }
            if (!row.keptUnder(mode)) {
                continue;
            }
            for (int block = 0; block < layers; block++) {
                int first = row.blockInput() ? order.forwardBefore(block) : order.forwardBlock(block);
                spans.add(new Span(bytes, first, order.backwardBlock(block)));
            }
        }
        for (int block = 0; block < layers && rebuilt > 0; block++) {
            spans.add(new Span(rebuilt, order.backwardBlock(block), order.backwardBlock(block)));
        }
        return spans;
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
            int block = order.backwardBlockAt(index);
            return block < 0 ? 0 : blocks[block];
        }
    }
}
