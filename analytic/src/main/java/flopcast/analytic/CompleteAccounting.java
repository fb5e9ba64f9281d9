package flopcast.analytic;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code measure} executes and keeps, summed over the tensor tables
 * ({@link ParameterTensor}, {@link KeptActivation}, {@link WorkspaceBuffer}) and the FLOP
 * formulas ({@link MatmulFlops}, {@link ElementwiseFlops}, {@link AdamWFlops}):
 * <pre>
 *   parameters P      2*V*d + L*(4d^2 + 3*d*d_ff + 2d) + d
 *   memory            16*P + 4*(kept floats) + 8*B*T (int32 ids, targets) + 4*(workspace floats)
 *                     (fp32; under another policy its bytes per parameter, and 2 per float where
 *                     it computes in bf16: {@link PrecisionPolicy})
 *   forward FLOPs     L*2*B*T*(4d^2 + 2*T*d + 3*d*d_ff) + 2*B*T*d*V
 * </pre>
 * at h_kv = h and an untied head; under grouped-query attention each 4d^2 is 2d^2 + 2*d*h_kv*d_k,
 * and a tied head takes V*d off P (the tables' rows say how):
 * <pre>
 *   backward FLOPs    2 * forward
 *   elementwise       sum of ElementwiseFlops over every component instance
 *   optimizer         14*P + 8
 * </pre>
 * Under LoRA ({@link Lora}) only the adapters' P_t parameters train: gradients, master copy and
 * AdamW's state and FLOPs are P_t's (14*P_t + 8), the frozen weights P's in the policy's weight
 * type, and a frozen projection's backward is its input gradient alone ({@link MatmulFlops#backward}).
 * Under flash attention or recomputation the matmul FLOPs executed again are {@code flops.recompute}
 * (hardware = model + recompute); the elementwise work run again is in the elementwise total.
 * Source: DESIGN.md "complete"; PaLM Appendix B (model FLOPs); Korthikanti (recomputation);
 * FlashAttention. Pinned by
 * {@code CompleteAccountingTest}, and by {@code measure}'s counting tests once the model runs.
 */
public final class CompleteAccounting {

    private CompleteAccounting() {
    }

    public static Prediction predict(Shape shape) {
        List<ComponentRow> rows = components(shape);
        long parameters = ParameterTensor.total(shape);
        long trainable = ParameterTensor.trainable(shape);
        PrecisionPolicy policy = shape.policy();
        long activationBytes = bytes(KeptActivation.values(), shape);
        long workspaceBytes = Math.addExact(bytes(WorkspaceBuffer.values(), shape), recomputeBytes(shape));
        MemoryBreakdown memory = new MemoryBreakdown(ParameterTensor.totalWeightBytes(shape),
                Math.multiplyExact(trainable, policy.gradientBytes()),
                Math.multiplyExact(trainable, policy.masterWeightBytes()),
                Math.multiplyExact(trainable, policy.optimizerStateBytes()), activationBytes, workspaceBytes,
                polynomial(shape));

        BigInteger forward = BigInteger.ZERO;
        BigInteger backward = BigInteger.ZERO;
        BigInteger elementwise = BigInteger.ZERO;
        for (ComponentRow row : rows) {
            BigInteger count = BigInteger.valueOf(row.count());
            forward = forward.add(row.count() == 0 ? BigInteger.ZERO : forward(row.component(), shape));
            backward = backward.add(row.count() == 0 ? BigInteger.ZERO : backward(row.component(), shape));
            elementwise = elementwise.add(row.count() == 0 ? BigInteger.ZERO : elementwise(row.component(), shape));
        }
        FlopTotals flops = new FlopTotals(forward, backward, elementwise, AdamWFlops.step(trainable),
                recomputeFlops(shape));
        return new Prediction(Accounting.COMPLETE, shape, parameters, memory, flops, rows);
    }

    /**
     * Backward matmul FLOPs of every instance of {@code component}: a block component's by block under a
     * {@code --freeze-layers} range, whose frozen blocks compute their inputs' gradients alone.
     */
    public static BigInteger backward(Component component, Shape shape) {
        return everyInstance(component, shape, MatmulFlops::backward);
    }

    /** Forward matmul FLOPs of every instance of {@code component}, by block where blocks differ (dense layers). */
    public static BigInteger forward(Component component, Shape shape) {
        return everyInstance(component, shape, MatmulFlops::forward);
    }

    /** Elementwise FLOPs of every instance of {@code component}, by block under a {@code --freeze-layers} range. */
    public static BigInteger elementwise(Component component, Shape shape) {
        return everyInstance(component, shape, ElementwiseFlops::perInstance);
    }

    private static BigInteger everyInstance(Component component, Shape shape,
            java.util.function.BiFunction<Component, Shape, BigInteger> perInstance) {
        java.util.function.Function<Shape, BigInteger> all = view -> perInstance.apply(component, view)
                .multiply(BigInteger.valueOf(component.instances(view)));
        return component.inBlock() ? shape.perBlockFlops(all) : all.apply(shape);
    }

    /**
     * One row per component, in {@link Component} order, from the tensor tables. Where blocks differ (a
     * {@code --freeze-layers} range, dense layers among experts) a block component's FLOPs per instance are
     * a training sparse block's ({@link Shape#trainingBlock()}; the totals, {@link #forward},
     * {@link #backward} and {@link #elementwise}, sum every kind).
     */
    static List<ComponentRow> components(Shape shape) {
        Shape trainingBlock = shape.trainingBlock();
        Map<Component, Long> parameters = new EnumMap<>(Component.class);
        for (ParameterTensor tensor : ParameterTensor.values()) {
            // where blocks differ, a block component's parameters per instance are the training block's
            boolean block = tensor.component().inBlock() && shape.mixedBlocks();
            parameters.merge(tensor.component(), tensor.totalElements(block ? trainingBlock : shape), Math::addExact);
        }
        Map<Component, Long> activationFloats = new EnumMap<>(Component.class);
        // where blocks differ, a block component's kept floats per instance, and their formula, are the training
        // block's (the total, every kind's)
        Map<Component, Long> blockFloats = new EnumMap<>(Component.class);
        Map<Component, Map<String, Long>> activationTerms = new EnumMap<>(Component.class);
        for (KeptActivation tensor : KeptActivation.values()) {
            if (tensor.dataType() == DataType.FLOAT32 && tensor.instances(shape) > 0) {
                activationFloats.merge(tensor.component(), tensor.totalElements(shape), Math::addExact);
            }
            Shape at = tensor.component().inBlock() && shape.mixedBlocks() ? trainingBlock : shape;
            if (tensor.dataType() == DataType.FLOAT32 && tensor.instances(at) > 0) {
                blockFloats.merge(tensor.component(), tensor.totalElements(at), Math::addExact);
                activationTerms.computeIfAbsent(tensor.component(), c -> new LinkedHashMap<>())
                        .merge(tensor.productText(at), tensor.instances(at), Math::addExact);
            }
        }
        List<ComponentRow> rows = new ArrayList<>();
        for (Component component : Component.values()) {
            long count = component.instances(shape);
            if ((component == Component.LORA || component == Component.ROUTER
                    || component == Component.ATTENTION_SOFTMAX_GLOBAL) && count == 0) {
                // no row for adapters a full training run, a router a dense model, or global layers a model with
                // no window pattern does not have
                continue;
            }
            // a component the architecture has none of (W3 under a GELU MLP) is a row of zeros
            long per = Math.max(1, count);
            // the instances the per-instance figures divide by: the training block's where blocks differ
            long shown = component.inBlock() && shape.mixedBlocks()
                    ? Math.max(1, component.instances(trainingBlock)) : per;
            rows.add(new ComponentRow(component, count, parameters.getOrDefault(component, 0L) / shown,
                    blockFloats.getOrDefault(component, 0L) / shown,
                    count == 0 ? BigInteger.ZERO
                            : MatmulFlops.forward(component, component.inBlock() ? trainingBlock : shape),
                    count == 0 ? BigInteger.ZERO
                            : ElementwiseFlops.perInstance(component, component.inBlock() ? trainingBlock : shape),
                    activationFormula(activationTerms.getOrDefault(component, Map.of()),
                            component.inBlock() && shape.mixedBlocks() ? component.instances(trainingBlock) : count),
                    count == 0 ? "0" : MatmulFlops.formula(component, component.inBlock() ? trainingBlock : shape),
                    activationFloats.getOrDefault(component, 0L)));
        }
        return rows;
    }

    /** Kept floats of one instance as a sum of products: {@code 3*B*T*d} for Q, K and V. */
    private static String activationFormula(Map<String, Long> instancesByProduct, long componentInstances) {
        if (instancesByProduct.isEmpty()) {
            return "0";
        }
        List<String> terms = new ArrayList<>();
        instancesByProduct.forEach((product, instances) -> {
            long per = Math.max(1, componentInstances);
            long multiplicity = instances / per;
            // a row held by some instances only (LoRA keeps the attention norm's output, not the FFN norm's)
            terms.add(instances % per != 0 ? product + " (" + instances + " of " + per + ")"
                    : multiplicity == 1 ? product : multiplicity + "*" + product);
        });
        return String.join(" + ", terms);
    }

    /** Fixed part: model state and the tensors without a B axis; per batch element: the rest at B = 1. */
    static MemoryPolynomial polynomial(Shape shape) {
        Shape single = shape.withBatchSize(1);
        long fixed = MemoryBreakdown.modelStateBytes(shape);
        long perBatchElement = 0;
        for (TensorSpec tensor : activationAndWorkspace()) {
            if (tensor.perBatchElement()) {
                perBatchElement = Math.addExact(perBatchElement, tensor.totalBytes(single));
            } else {
                fixed = Math.addExact(fixed, tensor.totalBytes(single));
            }
        }
        for (KeptActivation tensor : KeptActivation.values()) {
            if (tensor.perBatchElement()) {
                perBatchElement = Math.addExact(perBatchElement, recomputeBytes(tensor, single));
            } else {
                fixed = Math.addExact(fixed, recomputeBytes(tensor, single));
            }
        }
        return new MemoryPolynomial(fixed, perBatchElement);
    }

    /** Bytes of {@code tensor}'s recomputation buffers (full recomputation's one block). */
    public static long recomputeBytes(KeptActivation tensor, Shape shape) {
        if (tensor.scope() != Scope.ONCE && shape.mixedBlocks()) {
            // one block's buffers, sized for the kind of block that needs most
            return shape.maxOverBlocks(view -> tensor.bytes(view, tensor.recomputeInstances(view)));
        }
        return tensor.bytes(shape, tensor.recomputeInstances(shape));
    }

    /** Bytes of every row's recomputation buffers: full recomputation's one block. */
    static long recomputeBytes(Shape shape) {
        long sum = 0;
        for (KeptActivation tensor : KeptActivation.values()) {
            sum = Math.addExact(sum, recomputeBytes(tensor, shape));
        }
        return sum;
    }

    /**
     * Matmul FLOPs executed again: the forward matmuls of the components the attention kernel's
     * backward reruns ({@link AttentionKernel#backwardRecomputes()}: flash's Q K^T) and of those the
     * recomputation mode reruns ({@link Recompute#forwardAgain()}: one more Q K^T under selective,
     * each block's forward under full), every instance.
     */
    static BigInteger recomputeFlops(Shape shape) {
        return forwardMatmuls(shape.attention().backwardRecomputes(), shape)
                .add(forwardMatmuls(shape.recompute().forwardAgain(), shape));
    }

    /** Forward matmul FLOPs of every instance of {@code components}. */
    private static BigInteger forwardMatmuls(Set<Component> components, Shape shape) {
        BigInteger sum = BigInteger.ZERO;
        for (Component component : components) {
            sum = sum.add(forward(component, shape));
        }
        return sum;
    }

    private static List<TensorSpec> activationAndWorkspace() {
        List<TensorSpec> tensors = new ArrayList<>(List.of(KeptActivation.values()));
        tensors.addAll(List.of(WorkspaceBuffer.values()));
        return tensors;
    }

    private static long bytes(TensorSpec[] tensors, Shape shape) {
        long sum = 0;
        for (TensorSpec tensor : tensors) {
            sum = Math.addExact(sum, tensor.totalBytes(shape));
        }
        return sum;
    }
}
