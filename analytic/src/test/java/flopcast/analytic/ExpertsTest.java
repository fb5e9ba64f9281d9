package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * A mixture of experts: the published total and active counts of Mixtral 8x7B, Qwen3-30B-A3B and
 * Qwen1.5-MoE-A2.7B, FLOPs from the k experts a token runs, memory from all E, the rows it keeps, and the bad input it
 * refuses. The formulas are written out here, not summed from the tables.
 */
class ExpertsTest {

    /** mistralai/Mixtral-8x7B-v0.1: Mistral 7B's attention, 8 SwiGLU experts of 14336 a block, 2 a token. */
    static Shape mixtral(long batch, long context) {
        return new Shape(32_000, context, 32, 4096, 32, 14_336, batch, new Architecture(8, false)
                .withExperts(new Experts(8, 2)));
    }

    /**
     * Qwen/Qwen1.5-MoE-A2.7B: Q/K/V biases, 60 experts of 1408 a block, 4 a token, gates unnormalized,
     * a shared expert of 5632 with its sigmoid gate, untied.
     */
    static Shape qwen15Moe() {
        return new Shape(151_936, 4096, 24, 2048, 16, 1408, 1, new Architecture(16, false, LinearBias.QKV)
                .withExperts(new Experts(60, 4, false, 5632)));
    }

    /** Qwen/Qwen3-30B-A3B: QK-norm, d_k 128, 4 key and value heads, 128 experts of 768 a block, 8 a token. */
    static Shape qwen3Moe() {
        return new Shape(151_936, 4096, 48, 2048, 32, 768, 1, new Architecture(4, false, LinearBias.NONE, 128, true)
                .withExperts(new Experts(128, 8)));
    }

    /** Mixtral's paper: "47B parameters, 13B active"; every tensor of its checkpoint summed. */
    @Test
    void mixtralHasItsPublishedTotalAndActiveParameters() {
        Shape shape = mixtral(1, 4096);
        assertEquals(46_702_792_704L, ParameterTensor.total(shape), "total");
        assertEquals(12_879_925_248L, ParameterTensor.active(shape), "active: 2 of the 8 experts");
        assertEquals(46_702_792_704L, CompleteAccounting.predict(shape).parameters());
        assertEquals(46_702_792_704L, ParameterTensor.trainable(shape), "every expert trains");
    }

    /** Qwen3-30B-A3B's model card: 30.5B in total, 3.3B activated, 29.9B without the embeddings. */
    @Test
    void qwen3MoeHasItsPublishedTotalAndActiveParameters() {
        Shape shape = qwen3Moe();
        long total = ParameterTensor.total(shape);
        assertEquals(30_532_122_624L, total);
        assertEquals(3_353_032_704L, ParameterTensor.active(shape));
        assertEquals(29_909_792_768L, total - 2L * 151_936 * 2048, "non-embedding: the card's 29.9B");
    }

    /** Matmul FLOPs: each token runs its k experts' three matrices; the router is d x E. */
    /**
     * Qwen1.5-MoE-A2.7B's model card: "14.3B parameters in total and 2.7B activated parameters". By hand, per
     * block: attention 4 * 2048^2 and Q/K/V biases 3 * 2048, two norms, the router 2048 * 60, 60 experts of
     * 3 * 2048 * 1408, the shared expert 3 * 2048 * 5632 and its gate 2048; the embedding and the head
     * 151936 * 2048 each, the final norm 2048. Active: 4 experts of the 60.
     */
    @Test
    void qwen15MoeHasItsPublishedTotalAndActiveParameters() {
        Shape shape = qwen15Moe();
        long expert = 3L * 2048 * 1408;
        long block = 4L * 2048 * 2048 + 3 * 2048 + 2 * 2048 + 2048L * 60 + 3L * 2048 * 5632 + 2048;
        long once = 2L * 151_936 * 2048 + 2048;
        assertEquals(24 * (block + 60 * expert) + once, ParameterTensor.total(shape));
        assertEquals(14_315_784_192L, ParameterTensor.total(shape));
        assertEquals(24 * (block + 4 * expert) + once, ParameterTensor.active(shape));
        assertEquals(2_689_173_504L, ParameterTensor.active(shape));
        // every token runs its 4 experts and the shared one, and the shared gate's logit beside the router's
        long n = 4096;
        assertEquals(BigInteger.valueOf(2 * n * 4 * 2048 * 1408 + 2 * n * 2048 * 5632),
                MatmulFlops.forward(Component.FFN_W1, shape));
        assertEquals(BigInteger.valueOf(2 * n * 2048 * 61), MatmulFlops.forward(Component.ROUTER, shape));
        // kept a block beyond Mixtral's rows: the softmax over the 60 logits, the shared expert's four rows of
        // 5632, its output before the gate and the gate
        Shape normalized = shape.withArchitecture(shape.architecture().withExperts(new Experts(60, 4)));
        assertEquals(KeptActivation.totalFloats(normalized) + 24 * (n * 60 + 4 * n * 5632 + n * 2048 + n),
                KeptActivation.totalFloats(shape));
        assertEquals("V=151936 T=4096 L=24 d=2048 h=16 d_ff=1408 B=1 bias=qkv experts=60:4 gates=unnormalized"
                + " shared_expert=5632", shape.describe());
        assertEquals(shape, ShapeKey.parse(shape.describe()));
        // the pytorch profile (checked by the probe): no top k divided by their sum (neither saved), the shared
        // expert's four rows of 5632, its sigmoid gate's result and its output, saved by their mul
        assertTrue(TorchSavedTensor.covers(shape));
        assertEquals(TorchSavedTensor.savedBytes(normalized) + 24 * 4 * (4 * n * 5632 + n + n * 2048 - n * 4 - n),
                TorchSavedTensor.savedBytes(shape));
    }

    @Test
    void forwardFlopsCountTheExpertsEachTokenRuns() {
        long b = 2;
        long t = 512;
        Shape shape = mixtral(b, t);
        long n = b * t;
        long d = 4096;
        long kv = 8 * 128;
        BigInteger block = big(2 * n * d * (d + 2 * kv))
                .add(big(2 * 2 * n * d * t))
                .add(big(2 * n * d * d))
                .add(big(2 * 3 * n * 2 * d * 14_336))
                .add(big(2 * n * d * 8));
        BigInteger expected = block.multiply(big(32)).add(big(2 * n * d * 32_000));
        Prediction prediction = CompleteAccounting.predict(shape);
        assertEquals(expected, prediction.flops().forward());
        assertEquals(expected.multiply(BigInteger.TWO), prediction.flops().backward());
        // the router's elementwise work: top-k k*E, softmax 5k + 1, combine 2*k*d forward; 4k + 4*k*d backward
        assertEquals(big(n * (2 * 8 + 5 * 2 + 1) + 2 * n * 2 * d),
                ElementwiseFlops.forward(Component.ROUTER, shape));
        assertEquals(big(n * 4 * 2 + 4 * n * 2 * d), ElementwiseFlops.backward(Component.ROUTER, shape));
        // SwiGLU over N*k rows
        assertEquals(big(5 * n * 2 * 14_336), ElementwiseFlops.forward(Component.FFN_SILU, shape));
    }

    /** Memory holds every expert's weights, gradients and AdamW state; the kept MLP rows are k per token. */
    @Test
    void memoryHoldsEveryExpertAndKeepsTheRoutedRows() {
        Shape shape = mixtral(1, 4096).withPolicy(PrecisionPolicy.BF16_MIXED);
        MemoryBreakdown memory = CompleteAccounting.predict(shape).memory();
        long p = 46_702_792_704L;
        assertEquals(2 * p, memory.parametersBytes());
        assertEquals(2 * p, memory.gradientsBytes());
        assertEquals(8 * p, memory.optimizerStateBytes());
        long n = 4096;
        long k = 2;
        assertEquals(n * k * 14_336, KeptActivation.W1_OUTPUT.elements(shape));
        assertEquals(n * k * 4096, KeptActivation.EXPERT_OUTPUT.elements(shape));
        assertEquals(n * k, KeptActivation.ROUTER_GATES.elements(shape));
        assertEquals(32, KeptActivation.EXPERT_CHOICES.instances(shape));
        assertEquals(DataType.INT32, KeptActivation.EXPERT_CHOICES.dataType(shape));
        assertEquals("B*T*k*d_ff", KeptActivation.W1_OUTPUT.productText(shape));
        assertEquals("B*T*d_ff", KeptActivation.W1_OUTPUT.productText(Preset.LLAMA3_8B.shape(1)),
                "k is not written for a dense MLP");
        assertEquals(n * 8, WorkspaceBuffer.ROUTER_LOGITS.elements(shape));
        assertEquals(0, WorkspaceBuffer.ROUTER_LOGITS.instances(Preset.LLAMA3_8B.shape(1)));
    }

    /**
     * The pytorch profile of transformers' MixtralSparseMoeBlock, as the probe counts it on PyTorch 1.13:
     * beside the dense model's saves, per layer the float32 softmax (N*E), topk's int64 indices (N*k),
     * the top k and their sum (float32, N*k + N), each expert's torch.where pairs (int64, 2*N*k), and
     * N*k rows of the gathered input, the expert's output and the index_add_ source (d each), the gate
     * (1), and the MLP's four SwiGLU rows k times over; under bf16 the router's rows stay float32.
     */
    @Test
    void thePytorchProfileAddsWhatTheMixtralBlockSaves() {
        for (PrecisionPolicy policy : new PrecisionPolicy[] {PrecisionPolicy.FP32, PrecisionPolicy.BF16_MIXED}) {
            Shape dense = new Shape(50, 12, 3, 24, 4, 40, 2).withPolicy(policy);
            Shape moe = dense.withArchitecture(dense.architecture().withExperts(new Experts(4, 2)));
            assertTrue(TorchSavedTensor.covers(moe));
            long n = 24;
            long e = 4;
            long k = 2;
            long a = policy.activationType().bytes();
            long perLayer = 4 * (n * e + n * k + n) + 8 * n * k + 8 * 2 * n * k
                    + a * (3 * n * k * 24 + n * k) + a * (k - 1) * 4 * n * 40;
            assertEquals(TorchSavedTensor.savedBytes(dense) + 3 * perLayer, TorchSavedTensor.savedBytes(moe),
                    policy.cliName());
        }
        Shape probed = new Shape(50, 12, 3, 24, 4, 40, 2);
        assertEquals(251_980L, TorchSavedTensor.savedBytes(probed.withArchitecture(probed.architecture()
                .withExperts(new Experts(4, 2)))), "the probe's measured bytes on PyTorch 1.13");
    }

    /**
     * Fine-tuned experts, as the probe measured them on PyTorch 1.13 (V=50 T=12 L=3 d=24 h=4 d_ff=40 B=2, 4
     * experts, 2 a token): LoRA r4 on Q and V, where the gathered rows and the FFN norm's output go unsaved
     * (the frozen experts' and router's weight gradients alone read them); LoRA r2 on every projection, each
     * expert's adapter saving its routed hidden rows and its scale once an expert; a frozen MLP.
     */
    @Test
    void thePytorchProfileOfFineTunedExpertsIsWhatTheProbeMeasured() {
        Shape moe = new Shape(50, 12, 3, 24, 4, 40, 2).withArchitecture(new Architecture(4, false)
                .withExperts(new Experts(4, 2)));
        Shape qv = moe.withSettings(moe.settings().withLora(Lora.of(4, EnumSet.of(LoraTarget.QUERY,
                LoraTarget.VALUE))));
        assertTrue(TorchSavedTensor.covers(qv));
        assertEquals(178_012L, TorchSavedTensor.savedBytes(qv));
        Shape all = moe.withSettings(moe.settings().withLora(new Lora(2, Lora.DEFAULT_ALPHA,
                EnumSet.allOf(LoraTarget.class))));
        assertEquals(227_884L, TorchSavedTensor.savedBytes(all));
        Shape frozen = moe.withSettings(moe.settings().withFrozen(EnumSet.of(FrozenKind.MLP)));
        assertEquals(208_204L, TorchSavedTensor.savedBytes(frozen));
    }

    /**
     * QLoRA of Mixtral on its attention: the adapters alone train; every expert's matrices and the router
     * are NF4 (transformers' bitsandbytes integration replaces every linear layer but the LM head); the frozen
     * experts' and router's backward is their input gradient alone.
     */
    @Test
    void qloraOfMixtralTrainsTheAttentionAdaptersOverAnNf4Base() {
        Shape base = mixtral(1, 4096).withPolicy(PrecisionPolicy.BF16_MIXED);
        Shape shape = base.withSettings(base.settings().withLora(new Lora(16, 16, EnumSet.of(LoraTarget.QUERY,
                LoraTarget.KEY, LoraTarget.VALUE, LoraTarget.OUTPUT), true)));
        assertEquals(32L * 16 * ((4096 + 4096) * 2 + (4096 + 1024) * 2), ParameterTensor.trainable(shape));
        long expert = Lora.nf4Bytes(4096L * 14_336);
        long nf4 = 32 * (8 * 3 * expert + Lora.nf4Bytes(4096L * 8) + 2 * Lora.nf4Bytes(4096L * 4096)
                + 2 * Lora.nf4Bytes(4096L * 1024));
        long bf16 = 2 * (2 * 32_000L * 4096 + 32 * 2 * 4096 + 4096);
        long adapters = 2 * ParameterTensor.trainable(shape);
        assertEquals(nf4 + bf16 + adapters, ParameterTensor.totalWeightBytes(shape));
        assertEquals(MatmulFlops.forward(Component.FFN_W1, shape), MatmulFlops.backward(Component.FFN_W1, shape));
        assertEquals(MatmulFlops.forward(Component.ROUTER, shape), MatmulFlops.backward(Component.ROUTER, shape));
        assertTrue(!TorchSavedTensor.covers(shape));
    }

    /** One expert routed to every token is the dense model plus a d x 1 router and its rows. */
    @Test
    void oneExpertIsTheDenseModelWithARouter() {
        Shape dense = Preset.LLAMA3_8B.shape(2);
        Shape one = dense.withArchitecture(dense.architecture().withExperts(new Experts(1, 1)));
        assertEquals(ParameterTensor.total(dense) + 32L * 4096, ParameterTensor.total(one));
        assertEquals(ParameterTensor.total(one), ParameterTensor.active(one));
        for (Component component : EnumSet.of(Component.FFN_W1, Component.FFN_W3, Component.FFN_W2)) {
            assertEquals(MatmulFlops.forward(component, dense), MatmulFlops.forward(component, one));
        }
        long n = dense.tokens();
        assertEquals(KeptActivation.totalFloats(dense) + 32L * (n + n * 4096),
                KeptActivation.totalFloats(one), "one gate and one expert output a token");
    }

    /**
     * LoRA r = 16 on every projection of Mixtral, each expert's w1, w3 and w2 with an adapter of its own,
     * worked out by hand: per block q and o 16 * (4096 + 4096), k and v 16 * (4096 + 1024), and 8 experts
     * of 3 * 16 * (4096 + 14336); the experts' adapters run over the N*k routed rows and keep their
     * hidden values for each.
     */
    @Test
    void loraOnMixtralAdaptsEachExpertsMatrices() {
        Shape base = mixtral(1, 128);
        Shape shape = base.withSettings(base.settings().withLora(new Lora(16, 32, EnumSet.allOf(LoraTarget.class))));
        long attention = 2 * 16 * (4096 + 4096) + 2 * 16 * (4096 + 1024);
        long experts = 8L * 3 * 16 * (4096 + 14_336);
        assertEquals(32 * (attention + experts), ParameterTensor.trainable(shape));
        assertEquals(240_123_904L, ParameterTensor.trainable(shape));
        assertEquals(32L * 8, ParameterTensor.W1_LORA_A.instances(shape), "an A on each expert's W1, each block");
        long n = 128;
        assertEquals(BigInteger.valueOf(2 * n * 16 * (2 * 8192 + 2 * 5120) + 2 * n * 2 * 16 * 3 * 18_432L),
                MatmulFlops.forward(Component.LORA, shape));
        assertEquals(n * 2 * 16, KeptActivation.W2_LORA_HIDDEN.elements(shape), "16 hidden values a routed row");
        assertEquals(n * 16, KeptActivation.QUERY_LORA_HIDDEN.elements(shape));
        assertEquals(1, WorkspaceBuffer.EXPERT_LORA_HIDDEN.instances(shape));
        assertEquals(0, WorkspaceBuffer.EXPERT_LORA_HIDDEN.instances(base.withSettings(base.settings().withLora(
                Lora.of(16, EnumSet.of(LoraTarget.QUERY))))), "no expert's scratch for attention adapters");
    }

    @Test
    void badInputIsOneLine() {
        assertThrows(InvalidInputException.class, () -> new Experts(8, 9), "top-k above the experts");
        assertThrows(InvalidInputException.class, () -> new Experts(8, 0), "no expert a token");
        assertThrows(InvalidInputException.class, () -> new Experts(0, 2), "top-k without experts");
        assertThrows(InvalidInputException.class, () -> new Experts(-1, 0));
        assertThrows(InvalidInputException.class, () -> new Architecture(8, false, LinearBias.ALL)
                .withExperts(new Experts(8, 2)), "biased experts");
        assertThrows(InvalidInputException.class, () -> new Experts(0, 0, true, 64), "a shared expert alone");
        assertThrows(InvalidInputException.class, () -> new Experts(0, 0, false, 0), "unnormalized gates alone");
        Shape shared = qwen15Moe();
        InvalidInputException lora = assertThrows(InvalidInputException.class, () -> shared.withSettings(
                shared.settings().withLora(Lora.of(8, EnumSet.of(LoraTarget.QUERY, LoraTarget.W2)))));
        assertTrue(lora.getMessage().startsWith("LoRA target 'w2' (down_proj) beside a shared expert"),
                lora.getMessage());
    }

    /** The least bytes the experts move: E weights over N*k rows in all, and the router's own. */
    @Test
    void minimumTrafficReadsEveryExpertOverTheRoutedRows() {
        Shape shape = mixtral(1, 128);
        long n = 128;
        long nk = n * 2;
        long d = 4096;
        long f = 14_336;
        assertEquals(big(4 * (nk * d + 8 * d * f + nk * f)), MinimumTraffic.forward(Component.FFN_W1, shape));
        assertEquals(big(4 * (nk * d + 2 * nk * f + 2 * 8 * d * f)), MinimumTraffic.backward(Component.FFN_W2, shape));
        assertEquals(big(16 * nk * f), MinimumTraffic.forward(Component.FFN_SILU, shape));
        assertEquals(big(4 * (n * d + d * 8 + 2 * n * 8 + 2 * nk + nk * d + nk + n * d)),
                MinimumTraffic.forward(Component.ROUTER, shape));
        assertEquals(BigInteger.ZERO, MinimumTraffic.forward(Component.ROUTER, Preset.LLAMA3_8B.shape(1)));
        // one token to one of 9 experts reads one expert's W1, not nine
        Shape lone = new Shape(32, 1, 1, 8, 2, 16, 1, new Architecture(2, false).withExperts(new Experts(9, 1)));
        assertEquals(big(4 * (8 + 8 * 16 + 16)), MinimumTraffic.forward(Component.FFN_W1, lone));
    }

    private static BigInteger big(long value) {
        return BigInteger.valueOf(value);
    }
}
