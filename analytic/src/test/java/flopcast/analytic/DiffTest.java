package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

class DiffTest {
    private static final Shape XL = Preset.SEED_GPT2_XL.shape(1024);

    @Test
    void firstTermIsTheSeedsMainErrorOneBlockWithoutTheLmHead() {
        DiffTerm forward = Diff.between(XL, null, null).get(0);
        assertEquals("flops.forward", forward.term());
        assertEquals(new BigInteger("92771293593600"), forward.seed());
        assertEquals(new BigInteger("4621656601395200"), forward.complete());
        assertTrue(forward.note().contains("the other 47 blocks"), forward.note());
        assertTrue(forward.note().contains("LM head"), forward.note());
        // 4,621,656,601,395,200 / 92,771,293,593,600 = 49.8177...
        assertEquals(4_621_656_601_395_200.0 / 92_771_293_593_600.0, forward.ratio(), 1e-12);
    }

    @Test
    void onlyTermsThatDifferAreListed() {
        List<DiffTerm> terms = Diff.between(XL, null, null);
        for (DiffTerm term : terms) {
            assertTrue(!Objects.equals(term.seed(), term.complete()), term.term());
        }
        List<String> names = terms.stream().map(DiffTerm::term).toList();
        // the softmax output is kept by both; the W1 output too
        assertTrue(!names.contains("components.attention_softmax.activation_floats"));
        assertTrue(!names.contains("components.ffn_w1.activation_floats"));
        assertTrue(names.contains("components.qkv_projection.activation_floats"));
    }

    @Test
    void parameterGapIsTheTokenEmbedding() {
        DiffTerm parameters = term(Diff.between(XL, null, null), "parameters");
        assertEquals(BigInteger.valueOf(50257L * 1600), ((BigInteger) parameters.complete())
                .subtract((BigInteger) parameters.seed()));
    }

    @Test
    void uncountedKindsHaveNoSeedValueAndNoRatio() {
        DiffTerm elementwise = term(Diff.between(XL, null, null), "flops.elementwise");
        assertNull(elementwise.seed());
        assertNull(elementwise.ratio());
    }

    @Test
    void capacityAndPlanAddBatchAndTrainingTerms() {
        TrainingPlan plan = new TrainingPlan(400_000, Device.A100_80GB, Precision.FP32, 19.5e12, 0.5);
        List<DiffTerm> terms = Diff.between(XL, Device.A100_80GB.memory(), plan);
        DiffTerm batch = term(terms, "max_batch.batch_size");
        assertEquals(BigInteger.TWO, batch.seed());
        DiffTerm days = term(terms, "training.days");
        assertEquals("132.15", String.format(java.util.Locale.ROOT, "%.2f", days.seed().doubleValue()));
        assertEquals("6583.56", String.format(java.util.Locale.ROOT, "%.2f", days.complete().doubleValue()));
    }

    @Test
    void oneLayerModelLeavesOutOnlyTheLmHead() {
        DiffTerm forward = Diff.between(new Shape(7, 3, 1, 6, 3, 10, 1), null, null).get(0);
        assertTrue(forward.note().contains("leaves out the LM head"), forward.note());
        // one block's matmuls equal, the gap is 2*B*T*d*V = 2*3*6*7 = 252
        assertEquals(BigInteger.valueOf(252),
                ((BigInteger) forward.complete()).subtract((BigInteger) forward.seed()));
    }

    /**
     * diff stays seed against complete under every setting: the seed's numbers do not move (it knows
     * no kernel, mode, policy, grouped-query heads or tying), the complete ones do, and the notes say
     * what the seed assumes instead.
     */
    @Test
    void seedStaysTheSeedUnderEverySetting() {
        Shape base = new Shape(7, 3, 2, 8, 4, 10, 2);
        Capacity capacity = Capacity.of(0.0001, Capacity.Unit.GB, "--memory-gb");
        List<DiffTerm> reference = Diff.between(base, capacity, null);
        for (PrecisionPolicy policy : PrecisionPolicy.values()) {
            for (AttentionKernel attention : AttentionKernel.values()) {
                for (Recompute recompute : Recompute.values()) {
                    Shape shape = base.withArchitecture(new Architecture(2, true)).withSettings(new Settings(policy, attention, recompute));
                    List<DiffTerm> terms = Diff.between(shape, capacity, null);
                    assertEquals(term(reference, "flops.step").seed(), term(terms, "flops.step").seed());
                    assertEquals(term(reference, "memory_bytes.total").seed(), term(terms, "memory_bytes.total").seed());
                    assertEquals(CompleteAccounting.predict(shape).memory().totalBytes(),
                            ((BigInteger) term(terms, "memory_bytes.total").complete()).longValue(), shape.describe());
                    assertTrue(term(terms, "parameters").note().contains("this shape has h_kv = 2 and a tied head"));
                    if (recompute != Recompute.NONE || attention == AttentionKernel.FLASH) {
                        assertEquals(CompleteAccounting.predict(shape).flops().recompute(),
                                term(terms, "flops.recompute").complete());
                    }
                }
            }
        }
    }

    private static DiffTerm term(List<DiffTerm> terms, String name) {
        return terms.stream().filter(t -> t.term().equals(name)).findFirst().orElseThrow();
    }

    /**
     * The architecture note names only what differs from the seed's model: a biased model with as many
     * key and value heads as query heads is not said to have "h_kv = h".
     */
    @Test
    void theArchitectureNoteNamesOnlyWhatDiffers() {
        Shape biased = new Shape(7, 3, 2, 8, 4, 6, 2, new Architecture(4, false, LinearBias.QKV));
        String note = Diff.between(biased, null, null).stream().filter(term -> term.term().equals("parameters"))
                .findFirst().orElseThrow().note();
        org.junit.jupiter.api.Assertions.assertTrue(note.endsWith("and SwiGLU, this shape has biases (qkv)"), note);
    }
}
