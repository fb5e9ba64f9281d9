package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The complete accounting against literals derived by hand, not by the code under test. */
class CompleteAccountingTest {

    /**
     * P = 2*V*d + L*(4d^2 + 3*d*d_ff + 2d) + d, worked by hand:
     * (7,3,2,6,3,10): 84 + 2*(144 + 180 + 12) + 6 = 762;
     * (101,5,1,4,2,9): 808 + (64 + 108 + 8) + 4 = 992;
     * (13,1,3,10,5,8): 260 + 3*(400 + 240 + 20) + 10 = 2250;
     * seed-gpt2: 77,194,752 + 12*9,438,720 + 768 = 190,460,160;
     * seed-gpt2-xl: the 2,127,057,600.
     */
    @ParameterizedTest
    @CsvSource({
        "7, 3, 2, 6, 3, 10, 762",
        "101, 5, 1, 4, 2, 9, 992",
        "13, 1, 3, 10, 5, 8, 2250",
        "50257, 1024, 12, 768, 12, 3072, 190460160",
        "50257, 1024, 48, 1600, 25, 6400, 2127057600"})
    void parametersMatchHandDerivedLiterals(long v, long t, long l, long d, long h, long dFf, long expected) {
        assertEquals(expected, CompleteAccounting.predict(new Shape(v, t, l, d, h, dFf, 1)).parameters());
    }

    /** L*(8BTd + 4BT*d_ff + BhT^2 + 2BT) + 2BTd + BT + BTV at B = 2, by hand. */
    @ParameterizedTest
    @CsvSource({"7, 3, 2, 6, 3, 10, 1308", "101, 5, 1, 4, 2, 9, 1900", "13, 1, 3, 10, 5, 8, 782"})
    void keptActivationFloatsMatchHandDerivedLiterals(long v, long t, long l, long d, long h, long dFf,
            long expected) {
        assertEquals(expected, KeptActivation.totalFloats(new Shape(v, t, l, d, h, dFf, 2)));
    }

    /** 6BTd + 2BT*d_ff + 7*T*d_k + T^2 at B = 2, by hand; workspace is all float32. */
    @ParameterizedTest
    @CsvSource({"7, 3, 2, 6, 3, 10, 387", "101, 5, 1, 4, 2, 9, 515", "13, 1, 3, 10, 5, 8, 167"})
    void workspaceFloatsMatchHandDerivedLiterals(long v, long t, long l, long d, long h, long dFf, long expected) {
        Shape shape = new Shape(v, t, l, d, h, dFf, 2);
        assertEquals(expected * 4, CompleteAccounting.predict(shape).memory().workspaceBytes());
    }

    @Test
    void gpt2XlForwardFlopsPerSequenceAre4_5133365248e12() {
        assertEquals(new BigInteger("4513336524800"),
                CompleteAccounting.predict(Preset.SEED_GPT2_XL.shape(1)).flops().forward());
    }

    @Test
    void backwardIsTwiceForwardAndStepIsTheirSum() {
        FlopTotals flops = CompleteAccounting.predict(new Shape(13, 7, 3, 10, 5, 8, 3)).flops();
        assertEquals(flops.forward().multiply(BigInteger.TWO), flops.backward());
        assertEquals(flops.forward().multiply(BigInteger.valueOf(3)), flops.step());
    }

    @Test
    void forwardFlopsAreLBlocksPlusTheLmHead() {
        // V=13 T=7 L=3 d=10 h=5 d_ff=8 B=3: per block 2*B*T*(4d^2 + 2*T*d + 3*d*d_ff) = 42*(400 + 140 + 240)
        // = 32,760; LM head 2*B*T*d*V = 42*130 = 5,460; total 3*32,760 + 5,460 = 103,740
        assertEquals(BigInteger.valueOf(103_740),
                CompleteAccounting.predict(new Shape(13, 7, 3, 10, 5, 8, 3)).flops().forward());
    }

    @Test
    void memoryIsModelStateActivationsAndWorkspace() {
        Shape shape = new Shape(7, 3, 2, 6, 3, 10, 2);
        MemoryBreakdown memory = CompleteAccounting.predict(shape).memory();
        assertEquals(762 * 4, memory.parametersBytes());
        assertEquals(762 * 4, memory.gradientsBytes());
        assertEquals(762 * 8, memory.optimizerStateBytes());
        // 1308 floats + 2*B*T int32 = 12 words
        assertEquals((1308 + 12) * 4, memory.activationsBytes());
        assertEquals(387 * 4, memory.workspaceBytes());
        assertEquals((762 * 4 + 1308 + 12 + 387) * 4, memory.totalBytes());
    }

    @Test
    void polynomialAgreesWithTheTotalAtEveryBatch() {
        for (long batch = 1; batch <= 5; batch++) {
            Prediction prediction = CompleteAccounting.predict(new Shape(101, 5, 1, 4, 2, 9, batch));
            assertEquals(prediction.memory().totalBytes(), prediction.memory().polynomial().bytesAt(batch));
        }
        // fixed part at (7,3,2,6,3,10): 16*762 model state + 4*(7*T*d_k + T^2) = 12,192 + 4*(42 + 9)
        assertEquals(12_396, CompleteAccounting.predict(new Shape(7, 3, 2, 6, 3, 10, 1)).memory().polynomial()
                .fixedBytes());
    }

    @Test
    void componentRowsSumToTheTotals() {
        Prediction prediction = CompleteAccounting.predict(Preset.SEED_GPT2_MEDIUM.shape(2));
        long parameters = 0;
        long activationFloats = 0;
        BigInteger forward = BigInteger.ZERO;
        for (ComponentRow row : prediction.components()) {
            parameters += row.totalParameters();
            activationFloats += row.totalActivationFloats();
            forward = forward.add(row.totalForwardFlops());
        }
        assertEquals(prediction.parameters(), parameters);
        assertEquals(KeptActivation.totalFloats(prediction.shape()), activationFloats);
        assertEquals(prediction.flops().forward(), forward);
    }

    @Test
    void optimizerFlopsAre14PerParameterPlus8() {
        assertEquals(BigInteger.valueOf(14 * 762 + 8),
                CompleteAccounting.predict(new Shape(7, 3, 2, 6, 3, 10, 1)).flops().optimizer());
    }

    @Test
    void qkvRowKeepsThreeTensorsAndRmsnormItsReciprocalRms() {
        Prediction prediction = CompleteAccounting.predict(new Shape(7, 3, 2, 6, 3, 10, 2));
        ComponentRow qkv = row(prediction, Component.QKV_PROJECTION);
        assertEquals(3 * 2 * 3 * 6, qkv.activationFloats());
        assertEquals("3*B*T*d", qkv.activationFormula());
        ComponentRow norm = row(prediction, Component.RMSNORM);
        assertEquals(4, norm.count());
        assertEquals(2 * 3 + 2 * 3 * 6, norm.activationFloats());
        assertEquals(6, norm.parameters());
    }

    /**
     * The published models' parameter counts are the ones their authors publish (SOURCES.md "Llama 3",
     * "Hugging Face config" and "GELU MLP"; SmolLM2 360M's card rounds to 362M: 361,821,120 by its
     * config), which no one formula of one layout reproduces: grouped-query K and V (d x 1024, d x 1024
     * and d x 512 at 8 heads of 128 and 64), for 3.2 the tied head, and OpenAI's GPT-2's LayerNorm
     * biases, projection biases, 1024 x d position table, two-matrix MLP and tied head.
     */
    @ParameterizedTest
    @CsvSource({"gpt2, 124439808", "gpt2-medium, 354823168", "gpt2-large, 774030080", "gpt2-xl, 1557611200",
            "llama3-8b, 8030261248", "llama3-70b, 70553706496", "llama3.2-1b, 1235814400",
            "llama3.2-3b, 3212749824", "llama3.1-8b, 8030261248", "llama3.1-70b, 70553706496",
            "llama2-7b, 6738415616", "llama2-13b, 13015864320", "tinyllama-1.1b, 1100048384",
            "qwen2.5-0.5b, 494032768", "qwen2.5-7b, 7615616512", "qwen3-0.6b, 596049920", "qwen3-8b, 8190735360",
            "mistral-7b, 7248023552", "smollm2-360m, 361821120", "smollm2-1.7b, 1711376384",
            "gemma-2b, 2506172416", "gemma-7b, 8537680896", "mistral-7b-v0.1, 7241732096",
            "mistral-nemo-12b, 12247782400", "phi3-mini, 3821079552", "olmo2-7b, 7298617344"})
    void publishedPresetsHaveTheirPublishedParameterCounts(String preset, long expected) {
        assertEquals(expected, CompleteAccounting.predict(Preset.byName(preset).shape(1)).parameters());
    }

    /**
     * (V, T, L, d, h, d_ff) = (7, 3, 2, 8, 4, 6), d_k = 2, by hand:
     * h_kv = 4: 2*56 + 2*(4*64 + 3*48 + 16) + 8 = 112 + 832 + 8 = 952;
     * h_kv = 2: K, V are 8 x 4, so each block has 2*64 + 2*32 + 144 + 16 = 352: 112 + 704 + 8 = 824;
     * h_kv = 1: K, V are 8 x 2: 112 + 2*(128 + 32 + 144 + 16) + 8 = 760;
     * tied: one V x d fewer, 952 - 56 = 896 and 760 - 56 = 704.
     */
    @ParameterizedTest
    @CsvSource({"4, false, 952", "2, false, 824", "1, false, 760", "4, true, 896", "1, true, 704"})
    void groupedQueryAttentionAndTyingChangeParametersByHand(long kvHeads, boolean tied, long expected) {
        Shape shape = new Shape(7, 3, 2, 8, 4, 6, 1).withArchitecture(new Architecture(kvHeads, tied));
        Prediction prediction = CompleteAccounting.predict(shape);
        assertEquals(expected, prediction.parameters());
        assertEquals(expected, ParameterTensor.total(shape));
        assertEquals(tied ? 0 : 7 * 8, row(prediction, Component.OUTPUT_EMBEDDING).parameters());
    }

    /** K and V kept, and their gradients in the workspace, are B*T*h_kv*d_k; Q stays B*T*d. */
    @Test
    void groupedQueryAttentionKeepsNarrowKeysAndValues() {
        Shape mha = new Shape(7, 3, 2, 8, 4, 6, 2);
        Shape gqa = mha.withArchitecture(new Architecture(1, false));
        ComponentRow qkv = row(CompleteAccounting.predict(gqa), Component.QKV_PROJECTION);
        assertEquals(2 * 3 * 8 + 2 * (2 * 3 * 2), qkv.activationFloats());
        assertEquals("B*T*d + 2*B*T*h_kv*d_k", qkv.activationFormula());
        long perTensor = 2L * 3 * (8 - 2); // B*T*(d - h_kv*d_k) floats fewer in each of K, V
        assertEquals(KeptActivation.totalFloats(mha) - 2 * 2 * perTensor, KeptActivation.totalFloats(gqa), "L = 2");
        long workspaceBytes = CompleteAccounting.predict(mha).memory().workspaceBytes()
                - CompleteAccounting.predict(gqa).memory().workspaceBytes();
        assertEquals(4 * 2 * perTensor, workspaceBytes, "grad.key and grad.value, once each");
    }

    private static ComponentRow row(Prediction prediction, Component component) {
        return prediction.components().stream().filter(r -> r.component() == component).findFirst().orElseThrow();
    }
}
