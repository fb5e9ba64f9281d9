package flopcast.measure.counting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import flopcast.analytic.AdamWFlops;
import flopcast.analytic.Architecture;
import flopcast.analytic.AttentionKernel;
import flopcast.analytic.CompleteAccounting;
import flopcast.analytic.Component;
import flopcast.analytic.ComponentRow;
import flopcast.analytic.DataType;
import flopcast.analytic.DenseLayers;
import flopcast.analytic.Experts;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.FrozenKind;
import flopcast.analytic.FrozenLayers;
import flopcast.analytic.LinearBias;
import flopcast.analytic.MatmulFlops;
import flopcast.analytic.Lora;
import flopcast.analytic.LoraTarget;
import flopcast.analytic.MlpKind;
import flopcast.analytic.NamedShape;
import flopcast.analytic.NormKind;
import flopcast.analytic.NormPlacement;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Prediction;
import flopcast.analytic.QkNorm;
import flopcast.analytic.Recompute;
import flopcast.analytic.Settings;
import flopcast.analytic.Shape;
import flopcast.analytic.SoftCap;
import flopcast.analytic.WorkingCopies;
import flopcast.measure.kernels.ArithmeticCountTest;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.model.AdamW;
import flopcast.measure.model.TransformerModel;
import flopcast.measure.run.BackendChoice;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the model executes, counted at each call, equals the complete accounting exactly, on a
 * sweep of unlike shapes, component by component and kept row by kept row; and a model that
 * attends to fewer positions is caught.
 */
public class CountingTest {

    /** The sweep: d_ff != 4d, h not a power of two, V prime, B = 1, T = 1, L = 1 all appear. */
    static Stream<Shape> sweep() {
        return Stream.of(
                new Shape(13, 5, 2, 12, 3, 20, 2),   // h = 3, V prime, d_ff = 20 != 48
                new Shape(7, 1, 1, 4, 2, 8, 1),      // T = 1, L = 1, B = 1
                new Shape(31, 6, 3, 10, 5, 7, 3),    // h = 5, d_ff = 7, V prime
                new Shape(16, 4, 1, 8, 1, 32, 1),    // one head, d_ff = 4d
                new Shape(11, 9, 2, 6, 6, 9, 2),     // d_k = 1
                new Shape(13, 5, 2, 12, 6, 20, 2).withArchitecture(new Architecture(2, false)),   // GQA: 3 query heads per K, V head
                new Shape(13, 5, 2, 12, 6, 20, 2).withArchitecture(new Architecture(1, false)),   // one K, V head for all (MQA)
                new Shape(31, 6, 3, 10, 5, 7, 3).withArchitecture(new Architecture(5, true)),     // tied LM head
                new Shape(16, 4, 2, 16, 4, 24, 2).withArchitecture(new Architecture(2, true)),    // GQA and tied
                selective(new Shape(13, 5, 2, 12, 3, 20, 2)),                    // the core recomputed
                selective(new Shape(16, 4, 2, 16, 4, 24, 2).withArchitecture(new Architecture(2, true))),
                recomputed(new Shape(31, 6, 3, 10, 5, 7, 3), Recompute.FULL),  // each block rerun
                recomputed(new Shape(16, 4, 2, 16, 4, 24, 2).withArchitecture(new Architecture(2, true)), Recompute.FULL),
                flash(new Shape(13, 5, 2, 12, 3, 20, 2), Recompute.NONE),        // flash, one tile
                flash(new Shape(13, 67, 1, 8, 2, 12, 2).withArchitecture(new Architecture(1, true)), Recompute.NONE), // two tiles
                flash(new Shape(16, 4, 2, 16, 4, 24, 2).withArchitecture(new Architecture(2, true)), Recompute.FULL),
                flash(new Shape(13, 67, 1, 8, 2, 12, 2).withArchitecture(new Architecture(1, true)), Recompute.SELECTIVE),
                new Shape(13, 5, 2, 12, 3, 20, 2).withPolicy(PrecisionPolicy.BF16_MIXED),   // bfloat16 storage
                new Shape(16, 4, 2, 16, 4, 24, 2).withArchitecture(new Architecture(2, true))
                        .withPolicy(PrecisionPolicy.BF16_MIXED_FP32_GRADS),                   // float32 gradients
                recomputed(new Shape(31, 6, 3, 10, 5, 7, 3), Recompute.FULL).withPolicy(PrecisionPolicy.BF16),
                flash(new Shape(13, 67, 1, 8, 2, 12, 2).withArchitecture(new Architecture(1, true)), Recompute.SELECTIVE)
                        .withPolicy(PrecisionPolicy.BF16_MIXED),
                // biases: Qwen2's on Q, K and V under GQA; every projection's, rerun by full recomputation;
                // every projection's under flash, selective recomputation and bfloat16 storage
                new Shape(13, 5, 2, 12, 6, 20, 2).withArchitecture(new Architecture(2, false, LinearBias.QKV)),
                recomputed(new Shape(31, 6, 3, 10, 5, 7, 3).withArchitecture(new Architecture(5, true, LinearBias.ALL)),
                        Recompute.FULL),
                flash(new Shape(13, 67, 1, 8, 2, 12, 2).withArchitecture(new Architecture(1, true, LinearBias.ALL)),
                        Recompute.SELECTIVE).withPolicy(PrecisionPolicy.BF16_MIXED),
                // a head width of its own: h*d_k = 20 beside d = 12; d = 10 no multiple of h = 4, under flash
                // over two tiles with Q, K, V biases and the core recomputed
                new Shape(13, 5, 2, 12, 4, 20, 2, new Architecture(2, false, LinearBias.NONE, 5)),
                flash(new Shape(13, 67, 1, 10, 4, 12, 2, new Architecture(2, true, LinearBias.QKV, 3)),
                        Recompute.SELECTIVE),
                // QK-norm (Qwen3's: heads of their own width); rerun by full recomputation under flash in
                // bfloat16 storage; with the core recomputed, multi-head and tied
                new Shape(13, 5, 2, 12, 4, 20, 2, new Architecture(2, false, LinearBias.NONE, 5, true)),
                flash(new Shape(31, 6, 3, 10, 5, 7, 3, new Architecture(5, false, LinearBias.NONE, 4, true)),
                        Recompute.FULL).withPolicy(PrecisionPolicy.BF16_MIXED),
                selective(new Shape(16, 4, 2, 16, 4, 24, 2, new Architecture(4, true, LinearBias.NONE, 0, true))),
                // LayerNorm with biases (GPT-2's norms and projections), tied; rerun by full recomputation under
                // flash in bfloat16 storage; with the core recomputed under grouped-query attention
                new Shape(13, 5, 2, 12, 3, 20, 2, new Architecture(3, true, LinearBias.ALL, 0, false, 0,
                        NormKind.LAYER)),
                flash(new Shape(31, 6, 3, 10, 5, 7, 3, new Architecture(5, false, LinearBias.NONE, 0, false, 0,
                        NormKind.LAYER)), Recompute.FULL).withPolicy(PrecisionPolicy.BF16_MIXED),
                selective(new Shape(16, 4, 2, 16, 4, 24, 2, new Architecture(2, false, LinearBias.QKV, 0, false, 0,
                        NormKind.LAYER))),
                // learned positions: GPT-2's layout but its MLP (LayerNorm, every bias, a tied head, a table of
                // more rows than the context); under flash, full recomputation and bfloat16 storage
                new Shape(13, 5, 2, 12, 3, 20, 2, new Architecture(3, true, LinearBias.ALL, 0, false, 0,
                        NormKind.LAYER, 8)),
                flash(new Shape(13, 67, 1, 8, 2, 12, 2, new Architecture(1, false, LinearBias.NONE, 0, false, 0,
                        NormKind.RMS, 67)), Recompute.FULL).withPolicy(PrecisionPolicy.BF16_MIXED),
                // GELU's two-matrix MLP: GPT-2's whole layout (LayerNorm, every bias, learned positions, tied);
                // under flash, full recomputation and bfloat16 storage; with the core recomputed
                new Shape(13, 5, 2, 12, 3, 20, 2, new Architecture(3, true, LinearBias.ALL, 0, false, 0,
                        NormKind.LAYER, 8, MlpKind.GELU)),
                flash(new Shape(31, 6, 3, 10, 5, 7, 3, new Architecture(5, false, LinearBias.NONE, 0, false, 0,
                        NormKind.RMS, 0, MlpKind.GELU)), Recompute.FULL).withPolicy(PrecisionPolicy.BF16_MIXED),
                selective(new Shape(16, 4, 2, 16, 4, 24, 2, new Architecture(2, false, LinearBias.ALL, 0, false, 0,
                        NormKind.LAYER, 4, MlpKind.GELU))),
                // GeGLU (Gemma's MLP): SwiGLU's matrices and kept tensors with GELU's gate; multi-query
                // attention and a head width of its own, tied, as Gemma 2B; under flash, full recomputation
                // and bfloat16 storage; with the core recomputed
                new Shape(13, 5, 2, 12, 4, 20, 2, new Architecture(1, true, LinearBias.NONE, 6, false, 0,
                        NormKind.RMS, 0, MlpKind.GEGLU)),
                flash(new Shape(31, 6, 3, 10, 5, 7, 3, new Architecture(5, false, LinearBias.NONE, 0, false, 0,
                        NormKind.RMS, 0, MlpKind.GEGLU)), Recompute.FULL).withPolicy(PrecisionPolicy.BF16_MIXED),
                selective(new Shape(16, 4, 2, 16, 4, 24, 2, new Architecture(2, false, LinearBias.QKV, 0, true, 0,
                        NormKind.RMS, 0, MlpKind.GEGLU))),
                // a sliding window shorter than the context (Mistral 7B v0.1's, Phi-3 mini's): eager's softmax
                // masks the keys before it; fully recomputed in bfloat16 storage; with the core recomputed
                new Shape(13, 7, 2, 12, 4, 20, 2, new Architecture(2, true, LinearBias.NONE, 0, false, 3)),
                new Shape(13, 7, 2, 12, 4, 20, 2, new Architecture(4, false, LinearBias.NONE, 0, false, 4))
                        .withSettings(new Settings(PrecisionPolicy.BF16_MIXED, AttentionKernel.EAGER, Recompute.FULL)),
                selective(new Shape(16, 6, 2, 16, 4, 24, 2, new Architecture(2, false, LinearBias.ALL, 0, false, 2,
                        NormKind.LAYER, 0, MlpKind.GEGLU))),
                // flash masks the same keys in its tiles: a window inside one tile, and across 64-key tiles
                flash(new Shape(13, 7, 2, 12, 4, 20, 2, new Architecture(2, true, LinearBias.NONE, 0, false, 3)),
                        Recompute.NONE),
                flash(new Shape(13, 150, 1, 8, 2, 12, 1, new Architecture(1, false, LinearBias.NONE, 0, false, 70)),
                        Recompute.SELECTIVE).withPolicy(PrecisionPolicy.BF16_MIXED),
                flash(new Shape(13, 130, 1, 8, 2, 12, 1, new Architecture(2, false, LinearBias.NONE, 0, false, 20)),
                        Recompute.FULL),
                // LoRA on the frozen model: PEFT's default targets; every target under grouped-query attention,
                // a tied head, flash, selective recomputation and bfloat16 storage; the output projection and W2
                // only (both norms' outputs scratch) rerun by full recomputation; GPT-2's layout (LayerNorm, every
                // bias, positions, GELU, tied); QK-norm with heads of their own width in bfloat16
                lora(new Shape(13, 5, 2, 12, 3, 20, 2), 2, LoraTarget.QUERY, LoraTarget.VALUE),
                lora(flash(new Shape(16, 4, 2, 16, 4, 24, 2).withArchitecture(new Architecture(2, true)),
                        Recompute.SELECTIVE).withPolicy(PrecisionPolicy.BF16_MIXED), 3, LoraTarget.values()),
                lora(recomputed(new Shape(31, 6, 3, 10, 5, 7, 3), Recompute.FULL), 1, LoraTarget.OUTPUT,
                        LoraTarget.W2),
                lora(new Shape(13, 5, 2, 12, 3, 20, 2, new Architecture(3, true, LinearBias.ALL, 0, false, 0,
                        NormKind.LAYER, 8, MlpKind.GELU)), 2, LoraTarget.QUERY, LoraTarget.KEY, LoraTarget.W1,
                        LoraTarget.W2),
                lora(flash(new Shape(13, 5, 2, 12, 4, 20, 2, new Architecture(2, false, LinearBias.QKV, 5, true)),
                        Recompute.FULL).withPolicy(PrecisionPolicy.BF16), 2, LoraTarget.KEY, LoraTarget.W3),
                // flash over two tiles with no adapter on the output projection: its backward still reads O
                lora(flash(new Shape(13, 67, 2, 8, 2, 12, 2), Recompute.NONE), 2, LoraTarget.QUERY, LoraTarget.VALUE),
                // frozen kinds: the embedding; attention and norms under flash, GQA, a tied head, selective
                // recomputation and bfloat16; the MLP and the head rerun by full recomputation; GPT-2's layout with its
                // tied embedding and head; QK-norm's gains with the norms, in bfloat16 under full recomputation
                freeze(new Shape(13, 5, 2, 12, 3, 20, 2), FrozenKind.EMBEDDINGS),
                freeze(flash(new Shape(16, 4, 2, 16, 4, 24, 2).withArchitecture(new Architecture(2, true)),
                        Recompute.SELECTIVE).withPolicy(PrecisionPolicy.BF16_MIXED), FrozenKind.ATTENTION,
                        FrozenKind.NORMS),
                freeze(recomputed(new Shape(31, 6, 3, 10, 5, 7, 3), Recompute.FULL), FrozenKind.MLP, FrozenKind.HEAD),
                freeze(new Shape(13, 5, 2, 12, 3, 20, 2, new Architecture(3, true, LinearBias.ALL, 0, false, 0,
                        NormKind.LAYER, 8, MlpKind.GELU)), FrozenKind.EMBEDDINGS, FrozenKind.HEAD),
                freeze(flash(new Shape(13, 5, 2, 12, 4, 20, 2, new Architecture(2, false, LinearBias.QKV, 5, true)),
                        Recompute.FULL).withPolicy(PrecisionPolicy.BF16), FrozenKind.NORMS, FrozenKind.ATTENTION),
                // a mixture of experts: Mixtral's top-2 of 8; one expert a token; every expert a token; GELU's two
                // matrices with one expert (a router of one logit); GeGLU under GQA, a tied head, flash, selective
                // recomputation and bfloat16; full recomputation; QK-norm, Q/K/V biases, LayerNorm and positions in
                // bfloat16 with more experts than tokens, so that some take none
                experts(new Shape(13, 5, 2, 12, 3, 20, 2), 8, 2),
                experts(new Shape(31, 6, 3, 10, 5, 7, 3), 4, 1),
                experts(new Shape(16, 4, 1, 8, 1, 32, 1), 3, 3),
                experts(new Shape(13, 5, 2, 12, 3, 20, 2, new Architecture(3, true, LinearBias.NONE, 0, false, 0,
                        NormKind.RMS, 0, MlpKind.GELU)), 1, 1),
                experts(flash(new Shape(16, 4, 2, 16, 4, 24, 2, new Architecture(2, true, LinearBias.NONE, 0, false, 0,
                        NormKind.RMS, 0, MlpKind.GEGLU)), Recompute.SELECTIVE).withPolicy(PrecisionPolicy.BF16_MIXED), 4, 2),
                experts(recomputed(new Shape(31, 6, 3, 10, 5, 7, 3), Recompute.FULL), 5, 2),
                experts(new Shape(13, 2, 2, 12, 4, 20, 1, new Architecture(2, false, LinearBias.QKV, 5, true, 0,
                        NormKind.LAYER, 4)).withPolicy(PrecisionPolicy.BF16), 6, 2),
                // experts fine-tuned: LoRA on the attention over frozen experts and router (flash, full recomputation),
                // the experts frozen beside a trained attention, the embeddings and norms frozen in bfloat16
                lora(experts(flash(new Shape(13, 5, 2, 12, 3, 20, 2), Recompute.FULL), 4, 2), 2, LoraTarget.QUERY,
                        LoraTarget.VALUE, LoraTarget.OUTPUT),
                freeze(experts(new Shape(16, 4, 2, 16, 4, 24, 2).withArchitecture(new Architecture(2, true)), 5, 2),
                        FrozenKind.MLP),
                freeze(experts(selective(new Shape(31, 6, 3, 10, 5, 7, 3)).withPolicy(PrecisionPolicy.BF16_MIXED), 3,
                        1), FrozenKind.EMBEDDINGS, FrozenKind.NORMS),
                // LoRA on each expert's W1, W3 and W2 and on the attention; W1 and W2 under flash, full
                // recomputation and bf16-mixed; GELU's two matrices and the query; more experts than tokens (some
                // experts' adapters get no row) on W3 in bfloat16; QLoRA over NF4 experts, every target
                lora(experts(new Shape(13, 5, 2, 12, 3, 20, 2), 4, 2), 2, LoraTarget.values()),
                lora(experts(flash(new Shape(16, 4, 2, 16, 4, 24, 2), Recompute.FULL)
                        .withPolicy(PrecisionPolicy.BF16_MIXED), 3, 2), 3, LoraTarget.W1, LoraTarget.W2),
                lora(experts(new Shape(13, 5, 2, 12, 3, 20, 2, new Architecture(3, true, LinearBias.NONE, 0, false, 0,
                        NormKind.RMS, 0, MlpKind.GELU)), 3, 1), 2, LoraTarget.QUERY, LoraTarget.W1, LoraTarget.W2),
                lora(experts(new Shape(13, 2, 2, 12, 4, 20, 1).withPolicy(PrecisionPolicy.BF16), 6, 2), 2,
                        LoraTarget.W3),
                qlora(lora(experts(selective(new Shape(13, 5, 2, 12, 3, 20, 2)).withPolicy(PrecisionPolicy.BF16_MIXED),
                        4, 2), 2, LoraTarget.values())),
                // Qwen2-MoE's block: gates the softmax over all E; a shared expert with its sigmoid gate under
                // flash, full recomputation and bf16-mixed; both over GELU's two matrices with selective
                // recomputation; LoRA on the attention beside them (the shared product a scratch); the MLP frozen
                // in bfloat16; QLoRA with the shared expert and its d x 1 gate in NF4
                experts(new Shape(13, 5, 2, 12, 3, 20, 2), new Experts(6, 2, false, 0)),
                experts(flash(new Shape(16, 4, 2, 16, 4, 24, 2), Recompute.FULL).withPolicy(PrecisionPolicy.BF16_MIXED),
                        new Experts(4, 2, true, 16)),
                experts(selective(new Shape(13, 5, 2, 12, 3, 20, 2, new Architecture(3, true, LinearBias.QKV, 0, false,
                        0, NormKind.RMS, 0, MlpKind.GELU))), new Experts(5, 2, false, 12)),
                lora(experts(new Shape(13, 5, 2, 12, 3, 20, 2), new Experts(4, 2, false, 24)), 2, LoraTarget.QUERY,
                        LoraTarget.VALUE),
                freeze(experts(new Shape(31, 6, 3, 10, 5, 7, 3).withPolicy(PrecisionPolicy.BF16), new Experts(3, 1,
                        false, 14)), FrozenKind.MLP),
                qlora(lora(experts(new Shape(13, 5, 2, 12, 3, 20, 2).withPolicy(PrecisionPolicy.BF16_MIXED),
                        new Experts(4, 2, false, 40)), 2, LoraTarget.QUERY, LoraTarget.OUTPUT)),
                // QLoRA: the blocks' projections in NF4, each dequantized for its matmul: every target under
                // bf16-mixed; Q/K/V biases, GQA and heads of their own width under flash, full recomputation and
                // bf16; GPT-2's layout; NF4 experts whose router (E = 16) is wider than every other projection
                qlora(lora(new Shape(13, 5, 2, 12, 3, 20, 2).withPolicy(PrecisionPolicy.BF16_MIXED), 2,
                        LoraTarget.values())),
                qlora(lora(flash(new Shape(13, 5, 2, 12, 4, 20, 2, new Architecture(2, false, LinearBias.QKV, 5,
                        false)), Recompute.FULL).withPolicy(PrecisionPolicy.BF16), 2, LoraTarget.QUERY,
                        LoraTarget.VALUE)),
                qlora(lora(new Shape(13, 5, 2, 12, 3, 20, 2, new Architecture(3, true, LinearBias.ALL, 0, false, 0,
                        NormKind.LAYER, 8, MlpKind.GELU)).withPolicy(PrecisionPolicy.BF16_MIXED), 2, LoraTarget.QUERY,
                        LoraTarget.W2)),
                qlora(lora(experts(new Shape(13, 5, 2, 12, 3, 8, 2), 16, 2).withPolicy(PrecisionPolicy.BF16_MIXED), 2,
                        LoraTarget.QUERY, LoraTarget.VALUE)),
                // norms after each sublayer (OLMo 2's, with its QK-norm over each whole projection): eager; GQA and
                // heads of their own width under flash, full recomputation and bf16-mixed; a sandwich (Gemma 2's
                // four norms) with per-head QK-norm under selective recomputation and bfloat16; QK-norm over the
                // projection before each sublayer; experts with a shared expert after them; a sandwich around
                // experts under flash
                norms(new Shape(13, 5, 2, 12, 3, 20, 2), NormPlacement.POST, QkNorm.PROJECTION),
                norms(flash(new Shape(13, 5, 2, 12, 4, 20, 2, new Architecture(2, false, LinearBias.NONE, 5, false)),
                        Recompute.FULL).withPolicy(PrecisionPolicy.BF16_MIXED), NormPlacement.POST, QkNorm.PROJECTION),
                norms(selective(new Shape(16, 4, 2, 16, 4, 24, 2).withArchitecture(new Architecture(2, true)))
                        .withPolicy(PrecisionPolicy.BF16), NormPlacement.SANDWICH, QkNorm.HEAD),
                norms(new Shape(31, 6, 3, 10, 5, 7, 3), NormPlacement.PRE, QkNorm.PROJECTION),
                norms(experts(new Shape(13, 5, 2, 12, 3, 20, 2), new Experts(4, 2, false, 16)), NormPlacement.POST,
                        QkNorm.NONE),
                norms(experts(flash(new Shape(16, 4, 2, 16, 4, 24, 2), Recompute.NONE), 4, 2), NormPlacement.SANDWICH,
                        QkNorm.NONE),
                // fine-tuned with no norm before a sublayer: the residual stream unkept where only frozen
                // projections read it: x_mid under LoRA on the attention; the blocks' inputs but the last block's
                // output under LoRA on W2, three blocks; both under frozen attention and MLP with full recomputation
                // (the rerun reads each block's input); experts under LoRA on the output projection; QLoRA in
                // bf16-mixed; a sandwich with its norms frozen
                lora(norms(new Shape(13, 5, 2, 12, 3, 20, 2), NormPlacement.POST, QkNorm.PROJECTION), 2,
                        LoraTarget.QUERY, LoraTarget.VALUE),
                lora(norms(new Shape(31, 6, 3, 10, 5, 7, 3), NormPlacement.POST, QkNorm.NONE), 1, LoraTarget.W2),
                freeze(norms(recomputed(new Shape(31, 6, 3, 10, 5, 7, 3), Recompute.FULL), NormPlacement.POST,
                        QkNorm.PROJECTION), FrozenKind.ATTENTION, FrozenKind.MLP),
                lora(norms(experts(new Shape(13, 5, 3, 12, 3, 20, 2), 4, 2), NormPlacement.POST, QkNorm.NONE), 2,
                        LoraTarget.OUTPUT),
                qlora(lora(norms(new Shape(13, 5, 2, 12, 3, 20, 2).withPolicy(PrecisionPolicy.BF16_MIXED),
                        NormPlacement.POST, QkNorm.PROJECTION), 2, LoraTarget.values())),
                freeze(norms(new Shape(13, 5, 2, 12, 3, 20, 2), NormPlacement.SANDWICH, QkNorm.HEAD),
                        FrozenKind.NORMS, FrozenKind.EMBEDDINGS),
                // soft-capped scores and logits (Gemma 2's): eager; flash over two tiles with GQA; selective
                // recomputation under eager (the tanh rebuilt with the probabilities) and flash in bf16-mixed;
                // full recomputation in bfloat16; the scores alone capped under a sliding window; the logits alone
                // under LoRA in a sandwich
                capped(new Shape(13, 5, 2, 12, 3, 20, 2), 50, 30),
                capped(flash(new Shape(13, 67, 2, 8, 2, 12, 2, new Architecture(1, true)), Recompute.NONE), 5, 3),
                capped(selective(new Shape(16, 4, 2, 16, 4, 24, 2)), 2, 0),
                capped(flash(new Shape(16, 4, 2, 16, 4, 24, 2), Recompute.SELECTIVE)
                        .withPolicy(PrecisionPolicy.BF16_MIXED), 3, 4),
                capped(recomputed(new Shape(31, 6, 3, 10, 5, 7, 3), Recompute.FULL).withPolicy(PrecisionPolicy.BF16),
                        1, 1),
                capped(new Shape(13, 6, 2, 12, 3, 20, 2, new Architecture(3, false, LinearBias.NONE, 0, false, 3)),
                        2, 0),
                lora(capped(norms(new Shape(13, 5, 2, 12, 3, 20, 2), NormPlacement.SANDWICH, QkNorm.NONE), 0, 2), 2,
                        LoraTarget.QUERY, LoraTarget.VALUE),
                // a window on the local layers only, every k-th layer global (Gemma 2's 2, Gemma 3's 6): eager over
                // three layers; flash over two tiles; selective recomputation under eager and, Gemma 2's layout
                // (a sandwich, soft-caps, GeGLU, tied), under flash in bf16-mixed; full recomputation with every
                // third of four layers global
                patterned(new Shape(13, 6, 3, 12, 3, 20, 2), 2, 2),
                patterned(flash(new Shape(13, 67, 2, 8, 2, 12, 2, new Architecture(1, true)), Recompute.NONE), 20, 2),
                patterned(selective(new Shape(16, 7, 2, 16, 4, 24, 2)), 3, 2),
                capped(norms(patterned(flash(new Shape(16, 7, 2, 16, 4, 24, 2, new Architecture(2, true, LinearBias.NONE,
                        0, false, 0, NormKind.RMS, 0, MlpKind.GEGLU)), Recompute.SELECTIVE)
                        .withPolicy(PrecisionPolicy.BF16_MIXED), 4, 2), NormPlacement.SANDWICH, QkNorm.NONE), 5, 3),
                patterned(recomputed(new Shape(31, 6, 4, 10, 5, 7, 3), Recompute.FULL), 2, 3),
                // a range of blocks frozen: the middle two of four; the first two of three under frozen embeddings,
                // flash, selective recomputation and bf16-mixed, GQA and a tied head; the last under full
                // recomputation with the MLP frozen by kind everywhere; GPT-2's layout (LayerNorm, biases,
                // positions, GELU) in bfloat16; QK-norm in a sandwich; experts with a shared expert; every block
                frozenLayers(new Shape(13, 5, 4, 12, 3, 20, 2), 1, 2),
                frozenLayers(freeze(flash(new Shape(16, 4, 3, 16, 4, 24, 2).withArchitecture(new Architecture(2, true)),
                        Recompute.SELECTIVE).withPolicy(PrecisionPolicy.BF16_MIXED), FrozenKind.EMBEDDINGS,
                        FrozenKind.HEAD), 0, 1),
                frozenLayers(freeze(recomputed(new Shape(31, 6, 3, 10, 5, 7, 3), Recompute.FULL), FrozenKind.MLP), 2, 2),
                frozenLayers(new Shape(13, 5, 3, 12, 3, 20, 2, new Architecture(3, true, LinearBias.ALL, 0, false, 0,
                        NormKind.LAYER, 8, MlpKind.GELU)).withPolicy(PrecisionPolicy.BF16), 0, 0),
                frozenLayers(norms(new Shape(13, 5, 3, 12, 3, 20, 2), NormPlacement.SANDWICH, QkNorm.HEAD), 1, 1),
                frozenLayers(experts(flash(new Shape(16, 4, 3, 16, 4, 24, 2), Recompute.FULL)
                        .withPolicy(PrecisionPolicy.BF16_MIXED), new Experts(4, 2, true, 16)), 0, 1),
                frozenLayers(new Shape(13, 5, 2, 12, 3, 20, 2), 0, 1),
                // dense layers among experts: a wider dense MLP first; a narrower one in the middle under flash,
                // full recomputation and bf16-mixed; two beside Qwen2-MoE's block over GELU's two matrices under
                // selective recomputation; a frozen range over a dense and a sparse layer; LoRA on every
                // projection (one adapter a dense MLP's matrix, E a sparse one's); QLoRA in bf16-mixed
                dense(experts(new Shape(13, 5, 3, 12, 3, 20, 2), 4, 2), 32, 0L),
                dense(experts(flash(new Shape(16, 4, 3, 16, 4, 24, 2), Recompute.FULL)
                        .withPolicy(PrecisionPolicy.BF16_MIXED), 4, 2), 8, 1L),
                dense(experts(selective(new Shape(13, 5, 3, 12, 3, 20, 2, new Architecture(3, true, LinearBias.QKV, 0,
                        false, 0, NormKind.RMS, 0, MlpKind.GELU))), new Experts(5, 2, false, 12)), 40, 0L, 2L),
                frozenLayers(dense(experts(new Shape(13, 5, 3, 12, 3, 20, 2), 4, 2), 32, 0L), 0, 1),
                lora(dense(experts(new Shape(13, 5, 3, 12, 3, 20, 2), 4, 2), 16, 1L), 2, LoraTarget.values()),
                qlora(lora(dense(experts(new Shape(13, 5, 3, 12, 3, 8, 2).withPolicy(PrecisionPolicy.BF16_MIXED), 4,
                        2), 24, 2L), 2, LoraTarget.QUERY, LoraTarget.VALUE)));
    }

    /** {@code shape}'s experts with the layers {@code layers} dense, {@code ffn} wide. */
    public static Shape dense(Shape shape, long ffn, Long... layers) {
        return shape.withArchitecture(shape.architecture().withExperts(shape.architecture().experts()
                .withDense(new DenseLayers(List.of(layers), ffn))));
    }

    /** {@code shape} with blocks {@code first} to {@code last} frozen ({@code --freeze-layers}). */
    public static Shape frozenLayers(Shape shape, long first, long last) {
        return shape.withSettings(shape.settings().withFrozenLayers(new FrozenLayers(first, last)));
    }

    /** {@code shape} with a window of {@code window} keys on its local layers, every {@code pattern}-th layer global. */
    public static Shape patterned(Shape shape, long window, long pattern) {
        return shape.withArchitecture(shape.architecture().withWindow(window, pattern));
    }

    /** {@code shape} with its attention scores capped at {@code attention} and its logits at {@code logits} (0: none). */
    public static Shape capped(Shape shape, double attention, double logits) {
        return shape.withArchitecture(shape.architecture().withSoftCap(new SoftCap(attention, logits)));
    }

    /** {@code shape} with its blocks' norms at {@code placement} and QK-norm {@code qkNorm}. */
    public static Shape norms(Shape shape, NormPlacement placement, QkNorm qkNorm) {
        return shape.withArchitecture(shape.architecture().withNorms(placement, qkNorm));
    }

    /** {@code shape}'s LoRA on a base whose block projections are stored in NF4 (QLoRA). */
    public static Shape qlora(Shape shape) {
        return shape.withSettings(shape.settings().withLora(shape.settings().lora().withNf4Base(true)));
    }

    /** {@code shape} with a mixture of {@code count} experts a block, {@code topK} a token, in place of its MLP. */
    public static Shape experts(Shape shape, long count, long topK) {
        return shape.withArchitecture(shape.architecture().withExperts(new Experts(count, topK)));
    }

    /** {@code shape} with {@code experts} in place of its MLP. */
    public static Shape experts(Shape shape, Experts experts) {
        return shape.withArchitecture(shape.architecture().withExperts(experts));
    }

    /** {@code shape} with the kinds {@code kinds} frozen. */
    public static Shape freeze(Shape shape, FrozenKind... kinds) {
        return shape.withSettings(shape.settings().withFrozen(EnumSet.copyOf(Arrays.asList(kinds))));
    }

    /** {@code shape} training rank-{@code rank} LoRA adapters on {@code targets}, the model frozen. */
    public static Shape lora(Shape shape, long rank, LoraTarget... targets) {
        return shape.withSettings(shape.settings().withLora(Lora.of(rank, EnumSet.copyOf(Arrays.asList(targets)))));
    }

    /** {@code shape} with the attention core recomputed in backward instead of keeping its probabilities. */
    static Shape selective(Shape shape) {
        return recomputed(shape, Recompute.SELECTIVE);
    }

    /** {@code shape} under flash attention and recomputation {@code mode}. */
    public static Shape flash(Shape shape, Recompute mode) {
        return shape.withSettings(new Settings(PrecisionPolicy.FP32, AttentionKernel.FLASH, mode));
    }

    /** {@code shape} under eager attention and recomputation {@code mode}. */
    public static Shape recomputed(Shape shape, Recompute mode) {
        return shape.withSettings(new Settings(PrecisionPolicy.FP32, AttentionKernel.EAGER, mode));
    }

    @ParameterizedTest
    @MethodSource("sweep")
    void countedEqualsPredictedExactly(Shape shape) {
        Counted counted = Counted.oneStep(shape, Math.toIntExact(shape.attentionSpan()));
        Prediction predicted = CompleteAccounting.predict(shape);
        assertEquals(predicted.flops().forward(), big(counted.counter.forwardMatmulFlops()), "forward matmul");
        assertEquals(predicted.flops().backward(), big(counted.counter.backwardMatmulFlops()), "backward matmul");
        assertEquals(predicted.flops().elementwise(), big(counted.counter.elementwiseFlops()), "elementwise");
        assertEquals(predicted.flops().optimizer(), big(counted.counter.optimizerFlops()), "optimizer");
        assertEquals(predicted.parameters(), counted.model.parameterCount(), "parameters");
        assertEquals(KeptActivation.totalFloats(shape), counted.counter.keptFloatsRead(), "kept activation floats");
        assertEquals(WorkingCopies.bytes(shape) / 4, counted.model.workingCopyFloats(), "float32 working copies");
        assertEquals(ParameterTensor.totalNf4Bytes(shape), counted.model.nf4Bytes(), "NF4 weight bytes");
    }

    /** The vector backend runs other matmul code; the facade counts the same FLOPs from the same calls. */
    @ParameterizedTest
    @MethodSource("sweep")
    void vectorBackendCountsExactlyTheSame(Shape shape) {
        assertCountsEqualPrediction(shape, BackendChoice.of("vector", 2));
    }

    /**
     * At this shape every loop the backends split across two threads is split: SwiGLU's 128 x 512
     * elements and the 65,536-value embedding table are two grains each, cross-entropy's and RMSNorm's
     * 128 rows and 128 gain columns many, and 2 x 4 attention heads. The parts' counts, summed, are
     * still exact on both backends.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ejml", "vector"})
    void countsStayExactWhenEveryLoopIsSplit(String backend) {
        assertCountsEqualPrediction(NamedShape.TINY.shape(), BackendChoice.of(backend, 2));
    }

    private static void assertCountsEqualPrediction(Shape shape, MatmulBackend backend) {
        FlopCounter counter = new FlopCounter();
        TransformerModel model = new TransformerModel(shape, 7, counter, backend);
        int[][] batch = Counted.batch(shape, new Random(11));
        model.step(batch[0], batch[1]);
        Prediction predicted = CompleteAccounting.predict(shape);
        assertEquals(predicted.flops().forward(), big(counter.forwardMatmulFlops()), "forward matmul");
        assertEquals(predicted.flops().backward(), big(counter.backwardMatmulFlops()), "backward matmul");
        assertEquals(predicted.flops().recompute(), big(counter.recomputeMatmulFlops()), "recomputed matmul");
        assertEquals(predicted.flops().elementwise(), big(counter.elementwiseFlops()), "elementwise");
        assertEquals(predicted.flops().optimizer(), big(counter.optimizerFlops()), "optimizer");
        assertEquals(KeptActivation.totalFloats(shape), counter.keptFloatsRead(), "kept activation floats");
        for (ComponentRow row : predicted.components()) {
            assertEquals(CompleteAccounting.elementwise(row.component(), shape),
                    big(counter.elementwiseFlops(row.component())), row.component() + " elementwise");
        }
    }

    @ParameterizedTest
    @MethodSource("sweep")
    void everyComponentMatchesItsOwnRow(Shape shape) {
        Counted counted = Counted.oneStep(shape, Math.toIntExact(shape.attentionSpan()));
        int checked = 0;
        for (ComponentRow row : CompleteAccounting.predict(shape).components()) {
            Component component = row.component();
            assertEquals(CompleteAccounting.forward(component, shape), big(counted.counter.forwardMatmulFlops(component)),
                    component + " forward");
            assertEquals(CompleteAccounting.backward(component, shape),
                    big(counted.counter.backwardMatmulFlops(component)), component + " backward");
            assertEquals(CompleteAccounting.elementwise(component, shape),
                    big(counted.counter.elementwiseFlops(component)), component + " elementwise");
            assertEquals(row.totalActivationFloats(), counted.counter.keptFloatsRead(component), component + " kept");
            checked++;
        }
        assertEquals(Component.values().length - (shape.settings().lora().active() ? 0 : 1)
                - (shape.architecture().experts().active() ? 0 : 1)
                - (shape.architecture().windowPattern() == Architecture.WINDOW_EVERY_LAYER ? 1 : 0), checked,
                "every component, LoRA's where adapters train, the router's where experts route, the global layers'"
                        + " softmax under a window pattern");
    }

    @Test
    void countsAreTheSameEveryStep() {
        Shape shape = new Shape(13, 5, 2, 12, 3, 20, 2);
        FlopCounter counter = new FlopCounter();
        TransformerModel model = new TransformerModel(shape, 1, counter);
        int[][] batch = Counted.batch(shape, new Random(3));
        model.step(batch[0], batch[1]);
        long first = counter.elementwiseFlops() + counter.forwardMatmulFlops() + counter.keptFloatsRead();
        counter.reset();
        model.step(batch[0], batch[1]);
        assertEquals(first, counter.elementwiseFlops() + counter.forwardMatmulFlops() + counter.keptFloatsRead());
        assertEquals(AdamWFlops.step(model.parameterCount()), big(counter.optimizerFlops()));
    }

    /**
     * Row by row of the kept-activation table, the backward pass read every instance of every
     * float row in full, and int rows are not counted as floats: a row the model stopped keeping
     * (or kept at another size) fails here by name, not only in the total.
     */
    @ParameterizedTest
    @MethodSource("sweep")
    void everyKeptRowIsReadInFull(Shape shape) {
        FlopCounter counter = Counted.oneStep(shape, Math.toIntExact(shape.attentionSpan())).counter;
        for (KeptActivation row : KeptActivation.values()) {
            long expected = row.dataType() == DataType.FLOAT32 ? row.totalElements(shape) : 0;
            assertEquals(expected, counter.keptFloatsRead(row), row + " floats read");
        }
    }

    /**
     * Each component executes work at every shape of the sweep, so its row's equality above is
     * never 0 = 0. (Skipping work a component records is caught by {@link ArithmeticCountTest}.)
     */
    @ParameterizedTest
    @MethodSource("sweep")
    void everyComponentExecutesWork(Shape shape) {
        FlopCounter counter = Counted.oneStep(shape, Math.toIntExact(shape.attentionSpan())).counter;
        for (Component component : Component.values()) {
            long executed = counter.forwardMatmulFlops(component) + counter.backwardMatmulFlops(component)
                    + counter.elementwiseFlops(component);
            // a frozen embedding (LoRA) gathers rows (no FLOPs) and computes no gradient; positions add FLOPs
            boolean idle = component == Component.TOKEN_EMBEDDING && !FrozenKind.EMBEDDINGS.trains(shape)
                    && shape.architecture().positions() == Architecture.NO_POSITIONS;
            assertEquals(component.instances(shape) > 0 && !idle, executed != 0,
                    component + " executed work exactly where the architecture has it");
        }
    }

    /** A really mutated execution: attention over fewer positions runs fewer softmax FLOPs. */
    @Test
    void aModelThatAttendsToFewerPositionsIsCaught() {
        Shape shape = new Shape(13, 5, 2, 12, 3, 20, 2);
        Counted narrowed = Counted.oneStep(shape, 2);
        assertNotEquals(CompleteAccounting.predict(shape).flops().elementwise(),
                big(narrowed.counter.elementwiseFlops()));
    }

    private static BigInteger big(long value) {
        return BigInteger.valueOf(value);
    }

    /** One step of a model at a shape, with its counter. */
    public record Counted(TransformerModel model, FlopCounter counter) {
        static Counted oneStep(Shape shape, int attentionSpan) {
            FlopCounter counter = new FlopCounter();
            TransformerModel model = new TransformerModel(shape, 7, counter, AdamW.Hyperparameters.defaults(),
                    attentionSpan);
            int[][] batch = batch(shape, new Random(11));
            model.step(batch[0], batch[1]);
            return new Counted(model, counter);
        }

        public static int[][] batch(Shape shape, Random random) {
            int n = Math.toIntExact(shape.tokens());
            int[] tokens = new int[n];
            int[] targets = new int[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = random.nextInt(Math.toIntExact(shape.vocabSize()));
                targets[i] = random.nextInt(Math.toIntExact(shape.vocabSize()));
            }
            return new int[][] {tokens, targets};
        }
    }
}
