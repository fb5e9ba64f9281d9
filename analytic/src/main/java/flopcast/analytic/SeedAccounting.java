package flopcast.analytic;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The seed's derivation exactly as written, its mistakes included (they are listed by
 * {@link Diff} against {@link CompleteAccounting}, never fixed here).
 *
 * <p>Memory: each component row is "activation + 4 x parameters" floats (parameters, gradients,
 * m, v), as the seed's "Total memory usage" lines; rows are written with d_ff (the seed's sums
 * assume d_ff = 4d, where they agree with its printed totals):
 * <pre>
 *   per block  2*(B*T*d + 4d) + (B*T*d + 12d^2) + 2*B*h*T^2 + B*T*d + (B*T*d + 4d^2)
 *              + 2*(B*T*d_ff + 4*d*d_ff) + B*T*d_ff + (B*T*d + 4*d*d_ff)
 *   total      L*(per block) + B*T*d + 4d + B*T*V + 4*V*d          (float32: 4 bytes each)
 * </pre>
 * No token embedding, no workspace. FLOPs: the seed's formula, "x3" for forward plus backward:
 * <pre>
 *   forward = 2*B*T*d*(4d + 2T + 3*d_ff)      backward = 2 * forward
 * </pre>
 * It has no L factor and no LM head: it is one block's matmuls. Elementwise and optimizer FLOPs
 * are not counted (null).
 * <p>The seed stores everything in float32, whatever the shape's precision policy.
 * <p>The seed knows one attention and one head: h_kv = h, the LM head its own V x d parameter. On a
 * shape with grouped-query attention or a tied head it is applied as written, to the shape's
 * numbers with h_kv = h and an untied head ({@link Shape#seedArchitecture()}); {@link Diff} shows
 * what that misses.
 * <p>Source: the seed, every section. Pinned by {@code SeedAccountingTest} to every digit the seed
 * prints for GPT-2 XL.
 */
public final class SeedAccounting {

    private SeedAccounting() {
    }

    public static Prediction predict(Shape shape) {
        List<ComponentRow> rows = components(shape);
        long parameters = 0;
        long activationFloats = 0;
        for (ComponentRow row : rows) {
            parameters = Math.addExact(parameters, row.totalParameters());
            activationFloats = Math.addExact(activationFloats, row.totalActivationFloats());
        }
        // every seed activation row has a B factor: one sequence's share is the rows at B = 1
        long perBatchElementFloats = 0;
        for (ComponentRow row : components(shape.withBatchSize(1))) {
            perBatchElementFloats = Math.addExact(perBatchElementFloats, row.totalActivationFloats());
        }
        long floatBytes = DataType.FLOAT32.bytes();
        long parameterBytes = Math.multiplyExact(parameters, floatBytes);
        MemoryPolynomial polynomial = new MemoryPolynomial(MemoryBreakdown.modelStateBytes(parameters),
                Math.multiplyExact(perBatchElementFloats, floatBytes));
        MemoryBreakdown memory = new MemoryBreakdown(parameterBytes, parameterBytes, 0,
                Math.multiplyExact(2, parameterBytes), Math.multiplyExact(activationFloats, floatBytes), null,
                polynomial);
        BigInteger forward = forwardFlops(shape);
        FlopTotals flops = new FlopTotals(forward, forward.multiply(BigInteger.TWO), null, null, null);
        return new Prediction(Accounting.SEED, shape, parameters, memory, flops, rows);
    }

    /**
     * The seed's "FLOPs of one step" formula, literally: 2*B*T*d*(4d + 2T + 3*d_ff).
     */
    public static BigInteger forwardFlops(Shape shape) {
        BigInteger d = BigInteger.valueOf(shape.dModel());
        BigInteger bracket = d.multiply(BigInteger.valueOf(4))
                .add(BigInteger.valueOf(shape.contextLength()).multiply(BigInteger.TWO))
                .add(BigInteger.valueOf(shape.dFf()).multiply(BigInteger.valueOf(3)));
        return BigInteger.TWO.multiply(BigInteger.valueOf(shape.batchSize()))
                .multiply(BigInteger.valueOf(shape.contextLength())).multiply(d).multiply(bracket);
    }

    /** The seed's component rows; block rows carry their term of the seed's FLOP formula. */
    static List<ComponentRow> components(Shape given) {
        if (given.dModel() % given.heads() != 0) {
            throw new InvalidInputException("the seed accounting takes d_k = d_model / num_heads, and d_model "
                    + given.dModel() + " is not divisible by num_heads " + given.heads() + " (this shape's d_k is its "
                    + Shape.HEAD_DIM_KEY + " " + given.headDim() + "): use the complete accounting");
        }
        Shape shape = given.withArchitecture(Architecture.seed(given.heads()));
        long b = shape.batchSize();
        long t = shape.contextLength();
        long d = shape.dModel();
        long v = shape.vocabSize();
        long dFf = shape.dFf();
        long btd = product(b, t, d);
        long btdFf = product(b, t, dFf);
        long bhtt = product(b, shape.heads(), t, t);
        List<ComponentRow> rows = new ArrayList<>();
        rows.add(row(shape, Component.RMSNORM, d, btd, "B*T*d"));
        rows.add(row(shape, Component.QKV_PROJECTION, product(3, d, d), btd, "B*h*T*d_k = B*T*d"));
        rows.add(row(shape, Component.ATTENTION_SCORES, 0, bhtt, "B*h*T*T"));
        rows.add(row(shape, Component.ATTENTION_SOFTMAX, 0, bhtt, "B*h*T*T"));
        rows.add(row(shape, Component.ATTENTION_WEIGHTED_SUM, 0, btd, "B*h*T*d_v = B*T*d"));
        rows.add(row(shape, Component.OUTPUT_PROJECTION, product(d, d), btd, "B*T*d"));
        rows.add(row(shape, Component.FFN_W1, product(d, dFf), btdFf, "B*T*d_ff"));
        rows.add(row(shape, Component.FFN_W3, product(d, dFf), btdFf, "B*T*d_ff"));
        rows.add(row(shape, Component.FFN_SILU, 0, btdFf, "B*T*d_ff"));
        rows.add(row(shape, Component.FFN_W2, product(d, dFf), btd, "B*T*d"));
        rows.add(row(shape, Component.FINAL_RMSNORM, d, btd, "B*T*d"));
        rows.add(new ComponentRow(Component.OUTPUT_EMBEDDING, 1, product(v, d), product(b, t, v), BigInteger.ZERO,
                null, "B*T*V", "0 (not in the seed's formula)"));
        rows.add(new ComponentRow(Component.CROSS_ENTROPY, 1, 0, 0, BigInteger.ZERO, null,
                "0 (\"negligible, single scalar\")", "0"));
        return rows;
    }

    private static ComponentRow row(Shape shape, Component component, long parameters, long activationFloats,
            String activationFormula) {
        return new ComponentRow(component, component.scope().instances(shape), parameters, activationFloats,
                MatmulFlops.forward(component, shape), null, activationFormula, MatmulFlops.formula(component, shape));
    }

    private static long product(long... factors) {
        long result = 1;
        for (long factor : factors) {
            result = Math.multiplyExact(result, factor);
        }
        return result;
    }
}
