package flopcast.measure.model;

import static flopcast.analytic.ElementwiseFlops.ADD;
import static flopcast.analytic.ElementwiseFlops.COMBINE_BACKWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.COMBINE_FORWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.GATE_DOT_PER_GATE;
import static flopcast.analytic.ElementwiseFlops.GATE_LOGIT_GRADIENT_PER_LOGIT;
import static flopcast.analytic.ElementwiseFlops.GATE_SOFTMAX_FORWARD_PER_GATE;
import static flopcast.analytic.ElementwiseFlops.SIGMOID_BACKWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.SIGMOID_FORWARD_PER_ELEMENT;
import static flopcast.analytic.ElementwiseFlops.SOFTMAX_PER_ROW;
import static flopcast.analytic.ElementwiseFlops.TOP_K_PER_LOGIT;

import flopcast.analytic.Component;
import flopcast.analytic.Experts;
import flopcast.analytic.KeptActivation;
import flopcast.analytic.LoraTarget;
import flopcast.analytic.ParameterTensor;
import flopcast.analytic.Shape;
import flopcast.analytic.WorkspaceBuffer;
import flopcast.measure.buffers.KeptTensor;
import flopcast.measure.buffers.ModelBuffers;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.buffers.StoredTensor;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.counting.OpClass;
import flopcast.measure.kernels.Arithmetic;
import org.ejml.data.FMatrixRMaj;

/**
 * A block's mixture of experts ({@link Experts}), in place of its MLP: h2 = the FFN norm's output,
 * z = h2 W_r (the router), for each token the k largest logits and gates g = softmax over those k,
 * and x_out = x_mid + sum over the k of g * expert(h2), each expert the block's MLP with its own W1,
 * W3 and W2. The routed rows (W1's, W3's, the activation's and W2's outputs) hold one row per token
 * and chosen expert in the experts' order, expert 0's tokens first, as a grouped matmul's permuted
 * rows; each expert's matmuls run on its rows gathered into one input and one output scratch and
 * copied back (copies cost no FLOPs), the activation over every routed row at once. Every loop
 * computes through the backend's {@link Arithmetic} and records its FLOPs at the costs declared in
 * {@link flopcast.analytic.ElementwiseFlops}. Under LoRA on the MLP's matrices each expert's W1, W3
 * and W2 carries its own adapter, y += (s * (x A_e)) B_e^T over the expert's rows, its hidden rows
 * kept in the routed order. Unnormalized gates are the softmax over all E logits at the k chosen, kept
 * over all E for its backward. A shared expert is one more MLP of the block's kind, d_sh wide, that
 * every token runs, its output scaled by sigmoid(h2 w_g) and added beside the routed experts'. Pinned by
 * {@code ExpertMlpTest} and {@code CountingTest}'s expert shapes.
 */
final class ExpertMlp {
    private final CountingOps ops;
    private final FlopCounter counter;
    private final Block.Ops shared;
    private final Linear router;
    private final int experts;
    private final int topK;
    /** The gates are the softmax over the k chosen logits (false: over all E). */
    private final boolean normalized;
    private final int width;
    private final int ffn;

    private final Parameter routerWeight;
    private final Parameter[] w1;
    /** Null entries under a two-matrix GELU MLP. */
    private final Parameter[] w3;
    private final Parameter[] w2;
    /** Each expert's adapters on W1, W3 and W2; null where the target carries none. */
    private final Adapters w1Adapters;
    private final Adapters w3Adapters;
    private final Adapters w2Adapters;
    /** Unnormalized gates: each token's softmax over its E logits; null for normalized gates. */
    private final KeptTensor probabilities;
    /** The shared expert's matrices, rows and buffers; null without one. */
    private final Shared sharedExpert;
    /** One expert's adapter hidden rows (the experts' LoRA scratch); null without adapters on the MLP. */
    private final StoredTensor adapterHidden;
    private final int rank;

    private final KeptTensor normOut;
    private final KeptTensor w1Out;
    private final KeptTensor w3Out;
    private final KeptTensor activation;
    private final KeptTensor product;
    private final KeptTensor out;
    private final KeptTensor choices;
    private final KeptTensor gates;
    private final KeptTensor expertOut;

    private final StoredTensor logits;
    private final StoredTensor rowsIn;
    private final StoredTensor rowsOut;
    private final StoredTensor inputGradient;
    private final StoredTensor gateGradient;
    private final StoredTensor productGradient;
    private final StoredTensor w3OutGradient;
    /** d(out) on entry to the backward pass: the residual gradient, or a norm after the MLP's input gradient. */
    private final StoredTensor outGradient;
    /** Where d(h2) goes: the norm-output gradient (written), or the residual gradient (added into). */
    private final StoredTensor inputGradientTarget;
    /** True where d(h2) adds into what its target holds: no norm before the MLP, h2 is the residual stream. */
    private final boolean accumulatesInput;
    /** Where the dispatch's int32 workspace rows are read from as each dispatch starts (the pool may renew them). */
    private final ModelBuffers buffers;
    /** The token-and-choice index (t*k + j) of each routed row, in the experts' order. */
    private int[] dispatch;
    /** After {@link #dispatch()}, where each expert's rows end: expert e's are [ends[e-1], ends[e]). */
    private int[] ends;

    /**
     * One MLP matrix's adapters, expert by expert: A (in x r) and B (out x r), and the kept s * (x A_e)
     * of every routed row.
     */
    private record Adapters(Parameter[] a, Parameter[] b, KeptTensor hidden) {
    }

    /**
     * The shared expert: W1, W3 (null under a two-matrix MLP) and W2, d_sh wide, and its gate w_g (d x 1);
     * its kept rows (W1's and W3's outputs, the activation, the product, its output before the gate, the
     * gate) and its gradients' workspace.
     */
    private record Shared(Parameter w1, Parameter w3, Parameter w2, Parameter gate, KeptTensor w1Out,
            KeptTensor w3Out, KeptTensor activation, KeptTensor product, KeptTensor out, KeptTensor gates,
            StoredTensor productGradient, StoredTensor w3OutGradient, StoredTensor gateGradient) {
    }

    /**
     * The experts of block {@code layer}, reading h2 from {@code normOut} and writing their combined output
     * into {@code out} (the block adds the residual); backward, d(out) is read from {@code outGradient} and
     * d(h2) written into {@code inputGradientTarget}, or added into it where {@code accumulatesInput}.
     */
    ExpertMlp(Shape shape, int layer, ModelBuffers buffers, CountingOps ops, Block.Ops shared, KeptTensor normOut,
            KeptTensor w1Out, KeptTensor w3Out, KeptTensor activation, KeptTensor product, KeptTensor out,
            StoredTensor outGradient, StoredTensor inputGradientTarget, boolean accumulatesInput) {
        this.ops = ops;
        this.counter = ops.counter();
        this.shared = shared;
        this.router = new Linear(ops, Component.ROUTER);
        Experts mixture = shape.architecture().experts();
        experts = Math.toIntExact(mixture.count());
        topK = Math.toIntExact(mixture.topK());
        normalized = mixture.normalized();
        width = Math.toIntExact(shape.dModel());
        ffn = Math.toIntExact(shape.dFf());
        routerWeight = buffers.parameter(ParameterTensor.ROUTER_WEIGHT, layer);
        w1 = new Parameter[experts];
        w3 = new Parameter[experts];
        w2 = new Parameter[experts];
        for (int e = 0; e < experts; e++) {
            w1[e] = buffers.parameter(ParameterTensor.W1_WEIGHT, layer, e);
            w3[e] = buffers.parameterIfHeld(ParameterTensor.W3_WEIGHT, layer, e);
            w2[e] = buffers.parameter(ParameterTensor.W2_WEIGHT, layer, e);
        }
        w1Adapters = adapters(shape, layer, buffers, LoraTarget.W1);
        w3Adapters = adapters(shape, layer, buffers, LoraTarget.W3);
        w2Adapters = adapters(shape, layer, buffers, LoraTarget.W2);
        adapterHidden = w1Adapters == null && w3Adapters == null && w2Adapters == null ? null
                : buffers.workspace(WorkspaceBuffer.EXPERT_LORA_HIDDEN);
        rank = Math.toIntExact(shape.settings().lora().rank());
        probabilities = normalized ? null : buffers.keptOrRecomputed(KeptActivation.ROUTER_PROBABILITIES, layer);
        boolean gated = shape.architecture().mlp().gated();
        sharedExpert = !mixture.shared() ? null : new Shared(buffers.parameter(ParameterTensor.SHARED_W1_WEIGHT, layer),
                buffers.parameterIfHeld(ParameterTensor.SHARED_W3_WEIGHT, layer),
                buffers.parameter(ParameterTensor.SHARED_W2_WEIGHT, layer),
                buffers.parameter(ParameterTensor.SHARED_GATE_WEIGHT, layer),
                buffers.keptOrRecomputed(KeptActivation.SHARED_W1_OUTPUT, layer),
                gated ? buffers.keptOrRecomputed(KeptActivation.SHARED_W3_OUTPUT, layer) : null,
                gated ? buffers.keptOrRecomputed(KeptActivation.SHARED_SILU_OUTPUT, layer) : null,
                buffers.keptOrRecomputed(KeptActivation.SHARED_PRODUCT, layer),
                buffers.keptOrRecomputed(KeptActivation.SHARED_OUTPUT, layer),
                buffers.keptOrRecomputed(KeptActivation.SHARED_GATES, layer),
                buffers.workspace(WorkspaceBuffer.SHARED_PRODUCT_GRADIENT),
                gated ? buffers.workspace(WorkspaceBuffer.SHARED_W3_OUTPUT_GRADIENT) : null,
                buffers.workspace(WorkspaceBuffer.SHARED_GATE_GRADIENT));
        this.normOut = normOut;
        this.w1Out = w1Out;
        this.w3Out = w3Out;
        this.activation = activation;
        this.product = product;
        this.out = out;
        choices = buffers.keptOrRecomputed(KeptActivation.EXPERT_CHOICES, layer);
        gates = buffers.keptOrRecomputed(KeptActivation.ROUTER_GATES, layer);
        expertOut = buffers.keptOrRecomputed(KeptActivation.EXPERT_OUTPUT, layer);
        logits = buffers.workspace(WorkspaceBuffer.ROUTER_LOGITS);
        rowsIn = buffers.workspace(WorkspaceBuffer.EXPERT_ROWS_IN);
        rowsOut = buffers.workspace(WorkspaceBuffer.EXPERT_ROWS_OUT);
        inputGradient = buffers.workspace(WorkspaceBuffer.EXPERT_INPUT_GRADIENT);
        gateGradient = buffers.workspace(WorkspaceBuffer.GATE_GRADIENT);
        // shaped for this block where a dense layer's MLP among the experts needs them otherwise
        productGradient = buffers.workspace(WorkspaceBuffer.PRODUCT_GRADIENT, layer);
        w3OutGradient = w3[0] == null ? null : buffers.workspace(WorkspaceBuffer.W3_OUTPUT_GRADIENT, layer);
        this.outGradient = outGradient;
        this.inputGradientTarget = inputGradientTarget;
        this.accumulatesInput = accumulatesInput;
        this.buffers = buffers;
    }

    /** {@code target}'s adapter of each expert, where LoRA adapts it; null where not. */
    private Adapters adapters(Shape shape, int layer, ModelBuffers buffers, LoraTarget target) {
        if (!shape.settings().lora().adapts(target) || !target.heldBy(shape)) {
            return null;
        }
        Parameter[] a = new Parameter[experts];
        Parameter[] b = new Parameter[experts];
        for (int e = 0; e < experts; e++) {
            a[e] = buffers.parameter(ParameterTensor.loraA(target), layer, e);
            b[e] = buffers.parameter(ParameterTensor.loraB(target), layer, e);
        }
        return new Adapters(a, b, buffers.keptOrRecomputed(KeptActivation.loraHidden(target), layer));
    }

    /** out = sum over each token's k experts of g * expert(h2) (plus the shared expert's), h2 the MLP's input. */
    void forward() {
        FMatrixRMaj x = normOut.use();
        router.forward(x, routerWeight.value.load(), logits.open());
        logits.store();
        route(logits.load());
        dispatch();
        FMatrixRMaj h1 = w1Out.matrix();
        for (int e = 0; e < experts; e++) {
            int start = start(e);
            int rows = ends[e] - start;
            if (rows == 0) {
                continue;
            }
            FMatrixRMaj in = gatherTokens(x, start, rows);
            expertMatmul(Component.FFN_W1, in, w1[e], w1Adapters, e, h1, start, rows, ffn);
        }
        storeHidden(w1Adapters);
        w1Out.store();
        if (w3[0] != null) {
            FMatrixRMaj h3 = w3Out.matrix();
            for (int e = 0; e < experts; e++) {
                int start = start(e);
                int rows = ends[e] - start;
                if (rows > 0) {
                    expertMatmul(Component.FFN_W3, gatherTokens(x, start, rows), w3[e], w3Adapters, e, h3, start,
                            rows, ffn);
                }
            }
            storeHidden(w3Adapters);
            w3Out.store();
            shared.gate().forward(w1Out.use(), w3Out.use(), activation.matrix(), product.matrix());
            activation.store();
        } else {
            shared.gelu().forward(w1Out.use(), product.matrix());
        }
        product.store();
        FMatrixRMaj y = expertOut.matrix();
        FMatrixRMaj a = product.use();
        for (int e = 0; e < experts; e++) {
            int start = start(e);
            int rows = ends[e] - start;
            if (rows > 0) {
                expertMatmul(Component.FFN_W2, copyRows(a, start, rows, ffn, rowsIn), w2[e], w2Adapters, e, y, start,
                        rows, width);
            }
        }
        storeHidden(w2Adapters);
        expertOut.store();
        combine();
        if (sharedExpert != null) {
            sharedForward(x);
        }
        out.store();
        forgetDispatch();
    }

    /**
     * out += sigmoid(h2 w_g) * shared(h2): the shared expert's MLP over every token and its gate, one a
     * token, the combine timed and counted as the router's.
     */
    private void sharedForward(FMatrixRMaj x) {
        Shared s = sharedExpert;
        int tokens = x.numRows;
        FMatrixRMaj g = column(s.gates().matrix(), tokens);
        ops.mult(Component.ROUTER, x, s.gate().value.load(), g);
        Arithmetic f = ops.kernels().arithmetic();
        long start = ops.profile().start();
        for (int t = 0; t < tokens; t++) {
            g.data[t] = f.div(1f, f.add(1f, f.exp(f.neg(g.data[t]))));
        }
        ops.profile().stop(OpClass.ROUTING, start);
        ops.elementwise(Component.ROUTER, OpClass.ROUTING, (long) tokens * SIGMOID_FORWARD_PER_ELEMENT);
        s.gates().store();
        ops.mult(Component.FFN_W1, x, s.w1().value.load(), s.w1Out().matrix());
        s.w1Out().store();
        if (s.w3() != null) {
            ops.mult(Component.FFN_W3, x, s.w3().value.load(), s.w3Out().matrix());
            s.w3Out().store();
            shared.gate().forward(s.w1Out().use(), s.w3Out().use(), s.activation().matrix(), s.product().matrix());
            s.activation().store();
        } else {
            shared.gelu().forward(s.w1Out().use(), s.product().matrix());
        }
        s.product().store();
        ops.mult(Component.FFN_W2, s.product().use(), s.w2().value.load(), s.out().matrix());
        s.out().store();
        FMatrixRMaj o = out.matrix();
        FMatrixRMaj y = s.out().use();
        FMatrixRMaj gates = column(s.gates().use(), tokens);
        start = ops.profile().start();
        for (int t = 0; t < tokens; t++) {
            float gate = gates.data[t];
            for (int c = 0; c < width; c++) {
                o.data[t * width + c] = f.add(o.data[t * width + c], f.mul(gate, y.data[t * width + c]));
            }
        }
        ops.profile().stop(OpClass.ROUTING, start);
        ops.elementwise(Component.ROUTER, OpClass.ROUTING, COMBINE_FORWARD_PER_ELEMENT * tokens * (long) width);
    }

    /**
     * Differentiates {@link #sharedForward} from d(out) into d(h2), accumulated: the gate's gradient
     * ds = dOut . y_sh and dy_sh = s * dOut, the sigmoid's backward du = ds * s * (1 - s), the shared MLP's
     * backward, and the gate's projection: dh2 += du w_g^T, dw_g += h2^T du.
     */
    private void sharedBackward(FMatrixRMaj dOut, FMatrixRMaj dx) {
        Shared s = sharedExpert;
        int tokens = dOut.numRows;
        FMatrixRMaj y = s.out().read(counter);
        FMatrixRMaj gates = column(s.gates().read(counter), tokens);
        FMatrixRMaj du = column(s.gateGradient().open(), tokens);
        FMatrixRMaj dY = view(rowsIn, tokens, width);
        Arithmetic f = ops.kernels().arithmetic();
        long start = ops.profile().start();
        for (int t = 0; t < tokens; t++) {
            float gate = gates.data[t];
            float dot = 0;
            for (int c = 0; c < width; c++) {
                int at = t * width + c;
                dot = f.add(dot, f.mul(dOut.data[at], y.data[at]));
                dY.data[at] = f.mul(gate, dOut.data[at]);
            }
            du.data[t] = f.mul(f.mul(dot, gate), f.sub(1f, gate));
        }
        ops.profile().stop(OpClass.ROUTING, start);
        ops.elementwise(Component.ROUTER, OpClass.ROUTING, COMBINE_BACKWARD_PER_ELEMENT * tokens * (long) width
                + (long) tokens * SIGMOID_BACKWARD_PER_ELEMENT);
        s.gateGradient().store();
        rowsIn.store();
        dY = view(rowsIn, tokens, width);
        if (s.w2().grad != null) {
            ops.multAddTransA(Component.FFN_W2, s.product().read(counter), dY, s.w2().grad.load());
            s.w2().grad.store();
        }
        ops.multTransB(Component.FFN_W2, dY, s.w2().value.load(), s.productGradient().open());
        s.productGradient().store();
        if (s.w3() != null) {
            shared.gate().backward(s.productGradient().load(), s.w1Out().read(counter), s.w3Out().read(counter),
                    s.activation().read(counter), s.w3OutGradient().open());
            s.w3OutGradient().store();
        } else {
            shared.gelu().backward(s.productGradient().load(), s.w1Out().read(counter));
        }
        s.productGradient().store();
        FMatrixRMaj x = s.w1().grad == null ? null : normOut.read(counter);
        if (x != null) {
            ops.multAddTransA(Component.FFN_W1, x, s.productGradient().load(), s.w1().grad.load());
            s.w1().grad.store();
        }
        ops.multAddTransB(Component.FFN_W1, s.productGradient().load(), s.w1().value.load(), dx);
        if (s.w3() != null) {
            if (x != null) {
                ops.multAddTransA(Component.FFN_W3, x, s.w3OutGradient().load(), s.w3().grad.load());
                s.w3().grad.store();
            }
            ops.multAddTransB(Component.FFN_W3, s.w3OutGradient().load(), s.w3().value.load(), dx);
        }
        FMatrixRMaj gateGradient = column(s.gateGradient().load(), tokens);
        if (x != null) {
            ops.multAddTransA(Component.ROUTER, x, gateGradient, s.gate().grad.load());
            s.gate().grad.store();
        }
        ops.multAddTransB(Component.ROUTER, gateGradient, s.gate().value.load(), dx);
    }

    /** A [B, T] row's values as one column of N rows, for the matmuls of a gate of one logit a token. */
    private static FMatrixRMaj column(FMatrixRMaj values, int tokens) {
        return FMatrixRMaj.wrap(tokens, 1, values.data);
    }

    /**
     * Differentiates {@link #forward}: on entry the out gradient holds d(out); on return the input
     * gradient's target holds d(h2) (or has it added), the routed experts' input gradients scatter-added
     * and the router's added. The dispatch is rebuilt from the kept choices first (later blocks overwrote it).
     */
    void backward() {
        rebuildDispatch();
        FMatrixRMaj dOut = outGradient.load();
        FMatrixRMaj y = expertOut.read(counter);
        FMatrixRMaj g = gates.read(counter);
        gateGradients(dOut, y);
        logitGradients(g, gateGradient.load());

        // W2's weight gradient and its adapters read the activation (frozen experts: --freeze mlp, or LoRA's
        // frozen model without them)
        FMatrixRMaj a = w2[0].grad == null && w2Adapters == null ? null : product.read(counter);
        FMatrixRMaj w2Hidden = w2Adapters == null ? null : w2Adapters.hidden().read(counter);
        FMatrixRMaj dProduct = productGradient.open();
        for (int e = 0; e < experts; e++) {
            int start = start(e);
            int rows = ends[e] - start;
            if (rows == 0) {
                unreached(e);
                continue;
            }
            FMatrixRMaj dY = outputGradient(dOut, g, start, rows);
            if (w2[e].grad != null) {
                ops.multAddTransA(Component.FFN_W2, copyRows(a, start, rows, ffn, rowsOut), dY, w2[e].grad.load());
                w2[e].grad.store();
            }
            FMatrixRMaj dHidden = w2Adapters == null ? null
                    : adapterBackward(w2Adapters, e, copyRows(a, start, rows, ffn, rowsOut), dY, w2Hidden, start, rows);
            FMatrixRMaj dA = view(rowsOut, rows, ffn);
            ops.multTransB(Component.FFN_W2, dY, w2[e].value.load(), dA);
            if (dHidden != null) {
                ops.multAddTransB(Component.LORA, dHidden, w2Adapters.a()[e].value.load(), dA);
            }
            copyOut(dA, dProduct, start, rows, ffn);
        }
        productGradient.store();
        if (w3[0] != null) {
            shared.gate().backward(productGradient.load(), w1Out.read(counter), w3Out.read(counter),
                    activation.read(counter), w3OutGradient.open());
            w3OutGradient.store();
        } else {
            shared.gelu().backward(productGradient.load(), w1Out.read(counter));
        }
        productGradient.store();

        // W1's, W3's and the router's weight gradients read h2 (the MLP kind trains or freezes as one), and
        // the adapters on W1 and W3
        FMatrixRMaj x = routerWeight.grad == null && w1Adapters == null && w3Adapters == null ? null
                : normOut.read(counter);
        FMatrixRMaj w1Hidden = w1Adapters == null ? null : w1Adapters.hidden().read(counter);
        FMatrixRMaj w3Hidden = w3Adapters == null ? null : w3Adapters.hidden().read(counter);
        FMatrixRMaj dx = accumulatesInput ? inputGradientTarget.load() : inputGradientTarget.open();
        if (!accumulatesInput) {
            ops.zero(OpClass.ROUTING, dx);
        }
        for (int e = 0; e < experts; e++) {
            int start = start(e);
            int rows = ends[e] - start;
            if (rows == 0) {
                continue;
            }
            FMatrixRMaj in = x == null ? null : gatherTokens(x, start, rows);
            FMatrixRMaj dIn = view(inputGradient, rows, width);
            expertBackward(Component.FFN_W1, in, productGradient.load(), w1[e], w1Adapters, w1Hidden, e, dIn, start,
                    rows, false);
            if (w3[e] != null) {
                expertBackward(Component.FFN_W3, in, w3OutGradient.load(), w3[e], w3Adapters, w3Hidden, e, dIn,
                        start, rows, true);
            }
            inputGradient.store();
            scatterAdd(inputGradient.load(), dx, start, rows);
        }
        inputGradientTarget.store();
        FMatrixRMaj dLogits = logits.load();
        if (routerWeight.grad != null) {
            router.backwardWeight(x, dLogits, routerWeight.grad.load());
            routerWeight.grad.store();
        }
        // one load: the router's input gradient and the shared expert's accumulate into the same working copy
        FMatrixRMaj dh2 = inputGradientTarget.load();
        router.backwardInput(dLogits, routerWeight.value.load(), dh2, true);
        if (sharedExpert != null) {
            sharedBackward(outGradient.load(), dh2);
        }
        inputGradientTarget.store();
        forgetDispatch();
    }

    /**
     * Expert {@code e} has no row this pass: autograd still writes its matrices' (and adapters') gradients, zeros
     * over empty rows, as the probe's model runs every expert; set to none, they are allocated here, as the
     * timeline predicts. Nothing to compute.
     */
    private void unreached(int e) {
        for (Parameter matrix : new Parameter[] {w1[e], w3[e], w2[e]}) {
            if (matrix != null && matrix.grad != null) {
                matrix.grad.written();
            }
        }
        for (Adapters adapters : new Adapters[] {w1Adapters, w3Adapters, w2Adapters}) {
            if (adapters != null) {
                adapters.a()[e].grad.written();
                adapters.b()[e].grad.written();
            }
        }
    }

    /** Lets go of the dispatch rows as a pass ends, so that none outlives the workspace row it came from. */
    private void forgetDispatch() {
        dispatch = null;
        ends = null;
    }

    /**
     * Each token's k largest logits, the largest first (the lower expert on a tie), by k passes of
     * max over its E logits, and its gates: a softmax over those k.
     */
    private void route(FMatrixRMaj z) {
        int tokens = z.numRows;
        int[] chosen = choices.ints();
        FMatrixRMaj g = gates.matrix();
        FMatrixRMaj p = normalized ? null : probabilities.matrix();
        Arithmetic f = ops.kernels().arithmetic();
        long start = ops.profile().start();
        for (int t = 0; t < tokens; t++) {
            int row = t * experts;
            int slot = t * topK;
            for (int j = 0; j < topK; j++) {
                int best = -1;
                float bestLogit = Float.NEGATIVE_INFINITY;
                for (int e = 0; e < experts; e++) {
                    float logit = z.data[row + e];
                    // one max an entry, taken or not; a tie keeps the lower expert
                    float larger = f.max(bestLogit, logit);
                    if ((larger != bestLogit || best < 0) && !taken(chosen, slot, j, e)) {
                        best = e;
                        bestLogit = logit;
                    }
                }
                chosen[slot + j] = best;
            }
            if (normalized) {
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < topK; j++) {
                    max = f.max(max, z.data[row + chosen[slot + j]]);
                }
                float sum = 0;
                for (int j = 0; j < topK; j++) {
                    float e = f.exp(f.sub(z.data[row + chosen[slot + j]], max));
                    g.data[slot + j] = e;
                    sum = f.add(sum, e);
                }
                float inverse = f.div(1f, sum);
                for (int j = 0; j < topK; j++) {
                    g.data[slot + j] = f.mul(g.data[slot + j], inverse);
                }
            } else {
                // the softmax over all E logits, kept; each gate is its value at the chosen expert
                float max = Float.NEGATIVE_INFINITY;
                for (int e = 0; e < experts; e++) {
                    max = f.max(max, z.data[row + e]);
                }
                float sum = 0;
                for (int e = 0; e < experts; e++) {
                    float exp = f.exp(f.sub(z.data[row + e], max));
                    p.data[row + e] = exp;
                    sum = f.add(sum, exp);
                }
                float inverse = f.div(1f, sum);
                for (int e = 0; e < experts; e++) {
                    p.data[row + e] = f.mul(p.data[row + e], inverse);
                }
            }
        }
        ops.profile().stop(OpClass.ROUTING, start);
        if (!normalized) {
            probabilities.store();
            FMatrixRMaj stored = probabilities.use();
            for (int t = 0; t < tokens; t++) {
                for (int j = 0; j < topK; j++) {
                    g.data[t * topK + j] = stored.data[t * experts + chosen[t * topK + j]];
                }
            }
        }
        gates.store();
        ops.elementwise(Component.ROUTER, OpClass.ROUTING, (long) tokens * ((long) topK * experts * TOP_K_PER_LOGIT
                + (long) (normalized ? topK : experts) * GATE_SOFTMAX_FORWARD_PER_GATE + SOFTMAX_PER_ROW));
    }

    /** Whether expert {@code e} is among the token's first {@code j} choices. */
    private static boolean taken(int[] chosen, int slot, int j, int e) {
        for (int i = 0; i < j; i++) {
            if (chosen[slot + i] == e) {
                return true;
            }
        }
        return false;
    }

    /** The routed rows in the experts' order, stable by token: a counting sort of the kept choices. */
    private void dispatch() {
        dispatch = buffers.workspaceInts(WorkspaceBuffer.DISPATCH);
        ends = buffers.workspaceInts(WorkspaceBuffer.EXPERT_COUNTS);
        int[] chosen = choices.ints();
        java.util.Arrays.fill(ends, 0);
        int slots = dispatch.length;
        for (int s = 0; s < slots; s++) {
            ends[chosen[s]]++;
        }
        for (int e = 1; e < experts; e++) {
            ends[e] += ends[e - 1];
        }
        // fill from the back, so that each expert's rows keep the tokens' order and ends[] ends as the ends
        int[] next = ends;
        for (int s = slots - 1; s >= 0; s--) {
            dispatch[--next[chosen[s]]] = s;
        }
        // next[] now holds each expert's start; shift it into the ends
        for (int e = 0; e < experts; e++) {
            next[e] = e + 1 < experts ? next[e + 1] : slots;
        }
    }

    /** The dispatch of {@link #forward}, rebuilt from the kept choices. */
    private void rebuildDispatch() {
        dispatch();
    }

    /** Where expert {@code e}'s rows start. */
    private int start(int e) {
        return e == 0 ? 0 : ends[e - 1];
    }

    /** out = sum over each token's k routed rows of g * y, timed and counted as the router's. */
    private void combine() {
        FMatrixRMaj o = out.matrix();
        FMatrixRMaj y = expertOut.use();
        FMatrixRMaj g = gates.use();
        Arithmetic f = ops.kernels().arithmetic();
        long start = ops.profile().start();
        java.util.Arrays.fill(o.data, 0, o.getNumElements(), 0f);
        for (int r = 0; r < dispatch.length; r++) {
            int slot = dispatch[r];
            float gate = g.data[slot];
            int to = (slot / topK) * width;
            int from = r * width;
            for (int c = 0; c < width; c++) {
                o.data[to + c] = f.add(o.data[to + c], f.mul(gate, y.data[from + c]));
            }
        }
        ops.profile().stop(OpClass.ROUTING, start);
        ops.elementwise(Component.ROUTER, OpClass.ROUTING, COMBINE_FORWARD_PER_ELEMENT * dispatch.length * (long) width);
    }

    /** dg = dOut . y for every routed row, into the gates' gradient (by token and choice). */
    private void gateGradients(FMatrixRMaj dOut, FMatrixRMaj y) {
        FMatrixRMaj dg = gateGradient.open();
        Arithmetic f = ops.kernels().arithmetic();
        long start = ops.profile().start();
        for (int r = 0; r < dispatch.length; r++) {
            int slot = dispatch[r];
            int at = (slot / topK) * width;
            int from = r * width;
            float dot = 0;
            for (int c = 0; c < width; c++) {
                dot = f.add(dot, f.mul(dOut.data[at + c], y.data[from + c]));
            }
            dg.data[slot] = dot;
        }
        ops.profile().stop(OpClass.ROUTING, start);
        gateGradient.store();
        // the combine's backward: 2 here, and 1 for each g * dOut of outputGradient
        ops.elementwise(Component.ROUTER, OpClass.ROUTING, (COMBINE_BACKWARD_PER_ELEMENT - 1) * dispatch.length * (long) width);
    }

    /**
     * The gates' softmax backward: dz = g * (dg - sum g dg) at each token's k chosen logits, 0 at the
     * rest, into the logits' buffer; under unnormalized gates dz = p * (dp - sum g dg) at every logit, dp
     * the gates' gradient at the chosen and 0 elsewhere.
     */
    private void logitGradients(FMatrixRMaj g, FMatrixRMaj dg) {
        FMatrixRMaj dz = logits.open();
        int[] chosen = choices.ints();
        Arithmetic f = ops.kernels().arithmetic();
        // read before the timed region: under bf16 the read widens, timed as a conversion of its own
        FMatrixRMaj p = normalized ? null : probabilities.read(counter);
        long start = ops.profile().start();
        java.util.Arrays.fill(dz.data, 0, dz.getNumElements(), 0f);
        int tokens = dz.numRows;
        for (int t = 0; t < tokens; t++) {
            int slot = t * topK;
            float dot = 0;
            for (int j = 0; j < topK; j++) {
                dot = f.add(dot, f.mul(g.data[slot + j], dg.data[slot + j]));
            }
            if (normalized) {
                for (int j = 0; j < topK; j++) {
                    dz.data[t * experts + chosen[slot + j]] = f.mul(g.data[slot + j], f.sub(dg.data[slot + j], dot));
                }
            } else {
                // dz = p * (dp - p . dp) over all E, dp the gates' gradient at the chosen experts and 0 elsewhere
                for (int j = 0; j < topK; j++) {
                    dz.data[t * experts + chosen[slot + j]] = dg.data[slot + j];
                }
                for (int e = 0; e < experts; e++) {
                    int at = t * experts + e;
                    dz.data[at] = f.mul(p.data[at], f.sub(dz.data[at], dot));
                }
            }
        }
        ops.profile().stop(OpClass.ROUTING, start);
        logits.store();
        ops.elementwise(Component.ROUTER, OpClass.ROUTING, (long) tokens * (topK * GATE_DOT_PER_GATE
                + (long) (normalized ? topK : experts) * GATE_LOGIT_GRADIENT_PER_LOGIT));
    }

    /** One expert's d(y) rows: g * dOut of each of its tokens, in the input scratch. */
    private FMatrixRMaj outputGradient(FMatrixRMaj dOut, FMatrixRMaj g, int start, int rows) {
        FMatrixRMaj dY = view(rowsIn, rows, width);
        Arithmetic f = ops.kernels().arithmetic();
        long begin = ops.profile().start();
        for (int i = 0; i < rows; i++) {
            int slot = dispatch[start + i];
            float gate = g.data[slot];
            int from = (slot / topK) * width;
            for (int c = 0; c < width; c++) {
                dY.data[i * width + c] = f.mul(gate, dOut.data[from + c]);
            }
        }
        ops.profile().stop(OpClass.ROUTING, begin);
        rowsIn.store();
        ops.elementwise(Component.ROUTER, OpClass.ROUTING, (long) rows * width);
        return view(rowsIn, rows, width);
    }

    /** dx += the expert's input gradient rows, each into its token's row. */
    private void scatterAdd(FMatrixRMaj dIn, FMatrixRMaj dx, int start, int rows) {
        long begin = ops.profile().start();
        for (int i = 0; i < rows; i++) {
            ops.kernels().accumulate(dx.data, (dispatch[start + i] / topK) * width, dIn.data, i * width, width);
        }
        ops.profile().stop(OpClass.ROUTING, begin);
        ops.elementwise(Component.ROUTER, OpClass.ROUTING, ADD * rows * (long) width);
    }

    /**
     * y rows [start, start + rows) of {@code routed} = in W, through the output scratch; where expert
     * {@code e}'s matrix carries an adapter, + (s * (in A_e)) B_e^T, its hidden rows (rounded as stored)
     * copied into the kept hidden rows at the same place.
     */
    private void expertMatmul(Component component, FMatrixRMaj in, Parameter weight, Adapters adapters, int e,
            FMatrixRMaj routed, int start, int rows, int columns) {
        FMatrixRMaj result = view(rowsOut, rows, columns);
        ops.mult(component, in, weight.value.load(), result);
        if (adapters != null) {
            shared.lora().forward(in, adapters.a()[e].value.load(), view(adapterHidden, rows, rank));
            ops.scale(Component.LORA, view(adapterHidden, rows, rank), shared.loraScale());
            adapterHidden.store();
            FMatrixRMaj hidden = view(adapterHidden, rows, rank);
            ops.multAddTransB(Component.LORA, hidden, adapters.b()[e].value.load(), result);
            copyOut(hidden, adapters.hidden().matrix(), start, rows, rank);
        }
        copyOut(result, routed, start, rows, columns);
    }

    /** Rounds an MLP matrix's kept adapter hidden rows into their storage, every expert's written. */
    private static void storeHidden(Adapters adapters) {
        if (adapters != null) {
            adapters.hidden().store();
        }
    }

    /**
     * Expert {@code e}'s adapter backward over its rows, from dH (its output rows' gradient) and its
     * input rows: d(hidden) = dH B_e, dB_e += dH^T hidden, then d(in A_e) = s * d(hidden) and
     * dA_e += in^T d(in A_e). Returns d(in A_e), in the LoRA hidden gradient, for the caller's
     * dIn += d(in A_e) A_e^T.
     */
    private FMatrixRMaj adapterBackward(Adapters adapters, int e, FMatrixRMaj in, FMatrixRMaj dH, FMatrixRMaj kept,
            int start, int rows) {
        StoredTensor dHiddenStored = shared.loraHiddenGradient();
        Parameter a = adapters.a()[e];
        Parameter b = adapters.b()[e];
        ops.mult(Component.LORA, dH, b.value.load(), view(dHiddenStored, rows, rank));
        dHiddenStored.store();
        FMatrixRMaj hidden = copyRows(kept, start, rows, rank, adapterHidden);
        ops.multAddTransA(Component.LORA, dH, hidden, b.grad.load());
        b.grad.store();
        ops.scale(Component.LORA, view(dHiddenStored, rows, rank), shared.loraScale());
        dHiddenStored.store();
        FMatrixRMaj dHidden = view(dHiddenStored, rows, rank);
        ops.multAddTransA(Component.LORA, in, dHidden, a.grad.load());
        a.grad.store();
        return dHidden;
    }

    /**
     * One expert's input and weight gradients from the routed rows' gradient {@code dRouted}: dW += in^T dH,
     * dIn = dH W^T (or += where {@code accumulate}); where its matrix carries an adapter, the adapter's
     * gradients ({@link #adapterBackward}, {@code kept} its hidden rows) and dIn += d(in A_e) A_e^T.
     */
    private void expertBackward(Component component, FMatrixRMaj in, FMatrixRMaj dRouted, Parameter weight,
            Adapters adapters, FMatrixRMaj kept, int e, FMatrixRMaj dIn, int start, int rows, boolean accumulate) {
        FMatrixRMaj dH = copyRows(dRouted, start, rows, ffn, rowsOut);
        if (weight.grad != null) {
            ops.multAddTransA(component, in, dH, weight.grad.load());
            weight.grad.store();
        }
        if (accumulate) {
            ops.multAddTransB(component, dH, weight.value.load(), dIn);
        } else {
            ops.multTransB(component, dH, weight.value.load(), dIn);
        }
        if (adapters != null) {
            FMatrixRMaj dHidden = adapterBackward(adapters, e, in, dH, kept, start, rows);
            ops.multAddTransB(Component.LORA, dHidden, adapters.a()[e].value.load(), dIn);
        }
    }

    /** The expert's tokens' rows of {@code x} (N x d), gathered into the input scratch. */
    private FMatrixRMaj gatherTokens(FMatrixRMaj x, int start, int rows) {
        FMatrixRMaj in = view(rowsIn, rows, width);
        long begin = ops.profile().start();
        for (int i = 0; i < rows; i++) {
            System.arraycopy(x.data, (dispatch[start + i] / topK) * width, in.data, i * width, width);
        }
        ops.profile().stop(OpClass.EXPERT_COPY, begin);
        return in;
    }

    /** Rows [start, start + rows) of a routed tensor, copied into {@code scratch}'s first rows. */
    private FMatrixRMaj copyRows(FMatrixRMaj routed, int start, int rows, int columns, StoredTensor scratch) {
        FMatrixRMaj copy = view(scratch, rows, columns);
        long begin = ops.profile().start();
        System.arraycopy(routed.data, start * columns, copy.data, 0, rows * columns);
        ops.profile().stop(OpClass.EXPERT_COPY, begin);
        return copy;
    }

    /** {@code rows} rows of {@code result} copied into rows [start, start + rows) of {@code routed}. */
    private void copyOut(FMatrixRMaj result, FMatrixRMaj routed, int start, int rows, int columns) {
        long begin = ops.profile().start();
        System.arraycopy(result.data, 0, routed.data, start * columns, rows * columns);
        ops.profile().stop(OpClass.EXPERT_COPY, begin);
    }

    /** The first {@code rows} x {@code columns} floats of a scratch row's working matrix, as a matrix. */
    private static FMatrixRMaj view(StoredTensor scratch, int rows, int columns) {
        return FMatrixRMaj.wrap(rows, columns, scratch.open().data);
    }
}
