package flopcast.measure.model;

import flopcast.analytic.Component;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.NormKind;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Shape;
import flopcast.analytic.WorkspaceBuffer;
import flopcast.measure.buffers.KeptTensor;
import flopcast.measure.buffers.MemoryLog;
import flopcast.measure.buffers.ModelBuffers;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.buffers.StoredTensor;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.counting.OpClass;
import flopcast.measure.kernels.MatmulBackend;
import java.util.List;
import java.util.Random;
import org.ejml.data.FMatrixRMaj;

/**
 * The seed's model, trained for real: token embedding, L pre-norm blocks (causal
 * multi-head or grouped-query attention, SwiGLU FFN), final RMSNorm, LM head (its own weight, or
 * the token embedding's transpose where the shape ties them), mean cross-entropy over next tokens,
 * AdamW. It computes in float32; under a bf16 policy it stores the tensors the policy gives
 * bfloat16 as 16-bit values and widens them for each op ({@link StoredTensor}). Every buffer comes from the analytic tables ({@link ModelBuffers}); nothing is allocated
 * per step. FLOPs and kept reads are recorded in the counter given, and where its
 * {@link flopcast.measure.counting.OpProfile} is on, every op's time by class and pass.
 */
public final class TransformerModel {
    /** Standard deviation of the initial weights (GPT-2's). */
    static final double INIT_STD = 0.02;

    private final Shape shape;
    private final FlopCounter counter;
    private final ModelBuffers buffers;
    private final Block[] blocks;
    private final Embedding embedding;
    private final BlockNorm finalNorm;
    private final Linear lmHead;
    private final CrossEntropy crossEntropy;
    private final AdamW optimizer;

    private final Parameter embeddingTable;
    /** The learned position table, or null where positions are rotary (no parameters). */
    private final Parameter positionTable;
    private final Parameter finalGain;
    /** The final norm's bias and kept means under LayerNorm; null under RMSNorm. */
    private final Parameter finalBias;
    private final KeptTensor finalMean;
    /** The LM head's own d x V weight; null where it is tied to the embedding table. */
    private final Parameter lmHeadWeight;
    private final KeptTensor tokenIds;
    private final KeptTensor targets;
    private final KeptTensor embeddingOut;
    private final KeptTensor finalRms;
    private final KeptTensor finalOut;
    private final KeptTensor logitProbabilities;
    /** The soft-capped logits' tanh(z / c); null without a logit cap. */
    private final KeptTensor logitTanh;
    private final StoredTensor residualGradient;
    private final StoredTensor normGradient;
    /** Each block's forward and backward phase in the memory log, named once (the timed steps build no strings). */
    private final String[] forwardPhases;
    private final String[] backwardPhases;

    /** The model at {@code shape} on EJML, one thread, initialized from {@code seed}. */
    public TransformerModel(Shape shape, long seed, FlopCounter counter) {
        this(shape, seed, counter, MatmulBackend.ejml());
    }

    /** The model at {@code shape}, its matmuls on {@code backend}, initialized from {@code seed}. */
    public TransformerModel(Shape shape, long seed, FlopCounter counter, MatmulBackend backend) {
        this(shape, seed, counter, AdamW.Hyperparameters.defaults(), Math.toIntExact(shape.attentionSpan()), backend);
    }

    public TransformerModel(Shape shape, long seed, FlopCounter counter, AdamW.Hyperparameters hyperparameters,
            int attentionSpan) {
        this(shape, seed, counter, hyperparameters, attentionSpan, MatmulBackend.ejml());
    }

    public TransformerModel(Shape shape, long seed, FlopCounter counter, AdamW.Hyperparameters hyperparameters,
            int attentionSpan, MatmulBackend backend) {
        this.shape = shape;
        this.counter = counter;
        this.buffers = new ModelBuffers(shape, counter.profile());
        CountingOps ops = new CountingOps(counter, backend);
        this.embedding = new Embedding(ops);
        this.finalNorm = new BlockNorm(ops, Component.FINAL_RMSNORM);
        this.lmHead = new Linear(ops, Component.OUTPUT_EMBEDDING);
        // the row losses go to the norm-output gradient's float32 matrix (its working copy under bf16)
        this.crossEntropy = new CrossEntropy(ops, buffers.workspace(WorkspaceBuffer.NORM_OUTPUT_GRADIENT).open(),
                (float) shape.architecture().softCap().logits());
        this.optimizer = new AdamW(ops, hyperparameters);
        Block.Ops shared = Block.Ops.of(ops, shape, attentionSpan, buffers);

        embeddingTable = buffers.parameter(ParameterTensor.TOKEN_EMBEDDING_WEIGHT);
        positionTable = buffers.parameterIfHeld(ParameterTensor.POSITION_EMBEDDING_WEIGHT, 0);
        finalGain = buffers.parameter(ParameterTensor.FINAL_NORM_GAIN);
        finalBias = buffers.parameterIfHeld(ParameterTensor.FINAL_NORM_BIAS, 0);
        finalMean = shape.architecture().norm() == NormKind.LAYER ? buffers.kept(KeptActivation.FINAL_NORM_MEAN) : null;
        lmHeadWeight = shape.architecture().tiedEmbeddings() ? null : buffers.parameter(ParameterTensor.LM_HEAD_WEIGHT);
        // under LoRA the frozen embedding's backward reads no ids: the step's own array feeds its forward
        tokenIds = buffers.keeps(KeptActivation.TOKEN_IDS) ? buffers.kept(KeptActivation.TOKEN_IDS) : null;
        targets = buffers.kept(KeptActivation.TARGETS);
        embeddingOut = buffers.keptOrRecomputed(KeptActivation.EMBEDDING_OUTPUT, 0);
        finalRms = buffers.kept(KeptActivation.FINAL_NORM_RMS);
        finalOut = buffers.keptOrRecomputed(KeptActivation.FINAL_NORM_OUTPUT, 0);
        logitProbabilities = buffers.kept(KeptActivation.LOGIT_PROBABILITIES);
        logitTanh = buffers.keeps(KeptActivation.LOGIT_SOFTCAP) ? buffers.kept(KeptActivation.LOGIT_SOFTCAP) : null;
        residualGradient = buffers.workspace(WorkspaceBuffer.RESIDUAL_GRADIENT);
        normGradient = buffers.workspace(WorkspaceBuffer.NORM_OUTPUT_GRADIENT);

        blocks = new Block[Math.toIntExact(shape.layers())];
        forwardPhases = new String[blocks.length];
        backwardPhases = new String[blocks.length];
        for (int layer = 0; layer < blocks.length; layer++) {
            forwardPhases[layer] = "forward: block " + layer;
            backwardPhases[layer] = "backward: block " + layer;
        }
        KeptTensor input = embeddingOut;
        for (int layer = 0; layer < blocks.length; layer++) {
            // each block at its own kind's view: a dense layer among experts runs the dense MLP at its width
            blocks[layer] = new Block(shape.block(layer), layer, input, buffers, ops, shared);
            input = blocks[layer].output();
        }
        initialize(seed);
    }

    /**
     * Weights N(0, 0.02), gains 1, biases 0 (a projection's, as GPT-2 and Qwen2 initialize theirs, and a
     * LayerNorm's, as PyTorch does), moments 0; under a mixed policy the master copy exact, the weights
     * rounded.
     */
    private void initialize(long seed) {
        Random random = new Random(seed);
        for (Parameter parameter : buffers.parameters()) {
            float[] values = new float[parameter.size()];
            boolean gain = parameter.row().dims().size() == 1;
            for (int i = 0; i < values.length; i++) {
                values[i] = parameter.row().startsAtZero() ? 0f : gain ? 1f
                        : (float) (random.nextGaussian() * INIT_STD);
            }
            parameter.setWeights(values);
        }
    }

    public Shape shape() {
        return shape;
    }

    /** T, as the loops index it. */
    private int context() {
        return Math.toIntExact(shape.contextLength());
    }

    /** One training step: forward, backward, AdamW. Returns the loss before the update. */
    public float step(int[] tokens, int[] nextTokens) {
        float loss = forward(tokens, nextTokens);
        backward();
        optimizerStep();
        return loss;
    }

    /**
     * One training step of {@code tokens.length} micro-batches of the shape's batch each (gradient
     * accumulation): each pass's forward and backward, the gradients zeroed before the first and summed
     * over all, each pass's loss gradient over every pass's rows so that the sum is the whole batch's,
     * then AdamW once. Returns the mean loss over the passes, before the update.
     */
    public float step(int[][] tokens, int[][] nextTokens) {
        int passes = tokens.length;
        if (passes < 1 || nextTokens.length != passes) {
            throw new IllegalArgumentException("expected one or more micro-batches of tokens and as many of targets, got "
                    + passes + " and " + nextTokens.length);
        }
        float loss = 0;
        for (int pass = 0; pass < passes; pass++) {
            loss += forward(tokens[pass], nextTokens[pass], pass + 1) / passes;
            backward(pass == 0, passes);
        }
        optimizerStep();
        return loss;
    }

    /** Forward pass over B*T tokens (row b*T + t is token t of sequence b); returns the mean loss. */
    public float forward(int[] tokens, int[] nextTokens) {
        return forward(tokens, nextTokens, 1);
    }

    /** As above, as micro-batch {@code microBatch} (from 1) of a step: the first starts the step's memory log. */
    private float forward(int[] tokens, int[] nextTokens, int microBatch) {
        int n = Math.toIntExact(shape.tokens());
        if (tokens.length != n || nextTokens.length != n) {
            throw new IllegalArgumentException("expected " + n + " tokens and targets, got " + tokens.length + " and "
                    + nextTokens.length);
        }
        counter.pass(FlopCounter.Pass.FORWARD);
        buffers.startStep();
        MemoryLog log = buffers.memoryLog();
        if (microBatch == 1) {
            log.startStep();
        }
        log.startMicroBatch(microBatch);
        log.phase("forward: embedding");
        int[] ids = tokens;
        if (tokenIds != null) {
            System.arraycopy(tokens, 0, tokenIds.ints(), 0, n);
            ids = tokenIds.ints();
        }
        System.arraycopy(nextTokens, 0, targets.ints(), 0, n);
        embedding.forward(ids, embeddingTable.value.load(), embeddingOut.matrix());
        if (positionTable != null) {
            embedding.addPositions(positionTable.value.load(), embeddingOut.matrix(), context());
        }
        embeddingOut.store();
        for (int layer = 0; layer < blocks.length; layer++) {
            log.phase(forwardPhases[layer]);
            blocks[layer].forward();
        }
        log.phase("forward: head");
        KeptTensor last = blocks[blocks.length - 1].output();
        finalNorm.forward(last.use(), finalGain, finalBias, finalOut, finalRms, finalMean);
        // the logits are softmaxed where the head wrote them, and stored (rounded) as probabilities
        FMatrixRMaj logits = logitProbabilities.matrix();
        if (lmHeadWeight == null) {
            lmHead.forwardTransposed(finalOut.use(), embeddingTable.value.load(), logits);
        } else {
            lmHead.forward(finalOut.use(), lmHeadWeight.value.load(), logits);
        }
        float loss = crossEntropy.forward(logits, targets.ints(), logitTanh == null ? null : logitTanh.matrix());
        logitProbabilities.store();
        if (logitTanh != null) {
            logitTanh.store();
        }
        return loss;
    }

    /** Backward pass: every parameter's gradient of the last forward's loss. */
    public void backward() {
        backward(true, 1);
    }

    /**
     * Backward pass of one of {@code passes} micro-batches: the last forward's loss gradient over all
     * passes' rows added to every parameter's gradient, zeroed first where {@code zeroGradients} (the
     * step's first pass).
     */
    private void backward(boolean zeroGradients, int passes) {
        counter.pass(FlopCounter.Pass.BACKWARD);
        MemoryLog log = buffers.memoryLog();
        log.phase("backward: head");
        long start = counter.profile().start();
        if (zeroGradients) {
            for (Parameter parameter : buffers.trainableParameters()) {
                parameter.grad.zero();
            }
        }
        counter.profile().stop(OpClass.GRADIENT_ZEROING, start);
        crossEntropy.backward(logitProbabilities.read(counter), targets.ints(),
                logitTanh == null ? null : logitTanh.read(counter), passes);
        logitProbabilities.store();
        if (lmHeadWeight == null) {
            // tied: the head's gradient goes into the embedding's, where the scatter-add joins it
            lmHead.backwardInputTransposed(logitProbabilities.read(counter), embeddingTable.value.load(),
                    normGradient.open());
            normGradient.store();
            if (embeddingTable.grad != null) {
                lmHead.backwardWeightTransposed(finalOut.read(counter), logitProbabilities.read(counter),
                        embeddingTable.grad.load());
                embeddingTable.grad.store();
            }
        } else {
            lmHead.backwardInput(logitProbabilities.read(counter), lmHeadWeight.value.load(), normGradient.open(),
                    false);
            normGradient.store();
            if (lmHeadWeight.grad != null) {
                lmHead.backwardWeight(finalOut.read(counter), logitProbabilities.read(counter),
                        lmHeadWeight.grad.load());
                lmHeadWeight.grad.store();
            }
        }
        start = counter.profile().start();
        residualGradient.zero();
        counter.profile().stop(OpClass.GRADIENT_ZEROING, start);
        KeptTensor last = blocks[blocks.length - 1].output();
        finalNorm.backward(normGradient, last, finalGain, finalBias, finalRms, finalMean, residualGradient, counter);
        for (int layer = blocks.length - 1; layer >= 0; layer--) {
            log.phase(backwardPhases[layer]);
            blocks[layer].backward();
        }
        log.phase("backward: embedding");
        if (embeddingTable.grad == null) {
            return;   // frozen under LoRA: no table gradient, and no position gradient
        }
        embedding.backward(tokenIds.ints(), residualGradient.load(), embeddingTable.grad.load());
        embeddingTable.grad.store();
        if (positionTable != null) {
            embedding.positionsBackward(residualGradient.load(), positionTable.grad.load(), context());
            positionTable.grad.store();
        }
    }

    /** AdamW over every parameter the step trains (LoRA's adapters alone under LoRA), in the optimizer pass. */
    public void optimizerStep() {
        counter.pass(FlopCounter.Pass.OPTIMIZER);
        buffers.memoryLog().startMicroBatch(0);
        buffers.memoryLog().phase("optimizer");
        optimizer.step(buffers.trainableParameters());
        buffers.memoryLog().endStep();
    }

    /** The parameter instances the step trains: every one, or LoRA's adapters. */
    public List<Parameter> trainableParameters() {
        return buffers.trainableParameters();
    }

    /** When the last step used each of the model's buffers, phase by phase ({@link MemoryLog}). */
    public MemoryLog memoryLog() {
        return buffers.memoryLog();
    }

    /** Every parameter instance, in table order. */
    public List<Parameter> parameters() {
        return buffers.parameters();
    }

    /** Float32 elements of the working copies the model holds under a bf16 policy (0 under fp32). */
    public long workingCopyFloats() {
        return buffers.workingCopyFloats();
    }

    /** Bytes of its NF4 weights' codes, maxima and constants (QLoRA), as allocated; 0 without. */
    public long nf4Bytes() {
        long bytes = 0;
        for (Parameter parameter : buffers.parameters()) {
            bytes = Math.addExact(bytes, parameter.value.nf4Bytes());
        }
        return bytes;
    }

    /** The parameters the step trains (AdamW's): every one, or LoRA's adapters. */
    public long trainableParameterCount() {
        long count = 0;
        for (Parameter parameter : buffers.trainableParameters()) {
            count += parameter.size();
        }
        return count;
    }

    /**
     * Each block's experts a token is routed to, as the last forward pass chose them, blocks in order
     * (the shared buffer's under full recomputation: the last block's); empty for a dense MLP, and nothing for
     * a dense layer among experts. Tests hold finite differences to perturbations that leave it unchanged, where
     * the loss is smooth.
     */
    int[] routing() {
        if (!shape.architecture().experts().active()) {
            return new int[0];
        }
        java.util.List<int[]> layers = new java.util.ArrayList<>();
        for (int layer = 0; layer < blocks.length; layer++) {
            if (!shape.architecture().experts().dense().contains(layer)) {
                layers.add(buffers.keptOrRecomputed(KeptActivation.EXPERT_CHOICES, layer).ints().clone());
            }
        }
        return layers.stream().flatMapToInt(java.util.Arrays::stream).toArray();
    }

    /** Parameters as allocated: the sum of the parameter arrays' lengths. */
    public long parameterCount() {
        long count = 0;
        for (Parameter parameter : buffers.parameters()) {
            count += parameter.size();
        }
        return count;
    }
}
