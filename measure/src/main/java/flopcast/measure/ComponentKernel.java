package flopcast.measure;

import flopcast.analytic.Component;
import flopcast.analytic.Shape;
import java.util.Random;
import org.ejml.data.FMatrixRMaj;

/**
 * One component's forward or backward pass alone, on buffers of the model's shapes filled with
 * random values, running the model's own op classes: what a benchmark times. Ops that work in
 * place (softmax, SwiGLU backward, cross-entropy) get their inputs back from {@link #prepare()},
 * which a benchmark calls before each invocation; for the others it does nothing.
 */
public final class ComponentKernel {
    private final Runnable forward;
    private final Runnable backward;
    private final Runnable prepare;
    private final FlopCounter counter;

    private ComponentKernel(FlopCounter counter, Runnable forward, Runnable backward, Runnable prepare) {
        this.counter = counter;
        this.forward = forward;
        this.backward = backward;
        this.prepare = prepare;
    }

    public void forward() {
        forward.run();
    }

    public void backward() {
        backward.run();
    }

    /** Restores inputs an in-place op overwrote. */
    public void prepare() {
        prepare.run();
    }

    /** What the kernel has executed so far. */
    public FlopCounter counter() {
        return counter;
    }

    /** The kernel of one instance of {@code component} at {@code shape}, matmuls on EJML. */
    public static ComponentKernel of(Component component, Shape shape, long seed) {
        return of(component, shape, seed, MatmulBackend.ejml());
    }

    /** The kernel of one instance of {@code component} at {@code shape}, matmuls on {@code backend}. */
    public static ComponentKernel of(Component component, Shape shape, long seed, MatmulBackend backend) {
        Buffers b = new Buffers(new Random(seed));
        FlopCounter counter = new FlopCounter();
        CountingOps ops = new CountingOps(counter, backend);
        int n = Math.toIntExact(shape.tokens());
        int d = Math.toIntExact(shape.dModel());
        int dFf = Math.toIntExact(shape.dFf());
        int vocab = Math.toIntExact(shape.vocabSize());
        int context = Math.toIntExact(shape.contextLength());
        int headDim = Math.toIntExact(shape.headDim());
        int headCount = Math.toIntExact(Math.multiplyExact(shape.batchSize(), shape.heads()));
        Runnable nothing = () -> { };
        return switch (component) {
            case QKV_PROJECTION -> {
                Linear linear = new Linear(ops, component);
                FMatrixRMaj x = b.random(n, d);
                FMatrixRMaj dx = b.zero(n, d);
                FMatrixRMaj[] w = {b.random(d, d), b.random(d, d), b.random(d, d)};
                FMatrixRMaj[] dw = {b.zero(d, d), b.zero(d, d), b.zero(d, d)};
                FMatrixRMaj[] y = {b.zero(n, d), b.zero(n, d), b.zero(n, d)};
                FMatrixRMaj[] dy = {b.random(n, d), b.random(n, d), b.random(n, d)};
                yield new ComponentKernel(counter, () -> {
                    for (int i = 0; i < 3; i++) {
                        linear.forward(x, w[i], y[i]);
                    }
                }, () -> {
                    for (int i = 0; i < 3; i++) {
                        linear.backwardInput(dy[i], w[i], dx, i > 0);
                        linear.backwardWeight(x, dy[i], dw[i]);
                    }
                }, nothing);
            }
            case OUTPUT_PROJECTION -> projection(counter, ops, component, b, n, d, d);
            case FFN_W1, FFN_W3 -> projection(counter, ops, component, b, n, d, dFf);
            case FFN_W2 -> projection(counter, ops, component, b, n, dFf, d);
            case OUTPUT_EMBEDDING -> projection(counter, ops, component, b, n, d, vocab);
            case ATTENTION_SCORES -> {
                Heads heads = new Heads(ops, headCount);
                FMatrixRMaj[] q = b.randoms(headCount, context, headDim);
                FMatrixRMaj[] k = b.randoms(headCount, context, headDim);
                FMatrixRMaj[] s = b.zeros(headCount, context, context);
                FMatrixRMaj[] ds = b.randoms(headCount, context, context);
                FMatrixRMaj[] dq = b.zeros(heads.parts(), context, headDim);
                FMatrixRMaj[] dk = b.zeros(heads.parts(), context, headDim);
                yield new ComponentKernel(counter, () -> heads.each((part, partOps, i) ->
                        partOps.multTransB(component, q[i], k[i], s[i])), () -> heads.each((part, partOps, i) -> {
                            partOps.mult(component, ds[i], k[i], dq[part]);
                            partOps.multTransA(component, ds[i], q[i], dk[part]);
                        }), nothing);
            }
            case ATTENTION_WEIGHTED_SUM -> {
                Heads heads = new Heads(ops, headCount);
                FMatrixRMaj[] p = b.randoms(headCount, context, context);
                FMatrixRMaj[] v = b.randoms(headCount, context, headDim);
                FMatrixRMaj[] dOut = b.randoms(headCount, context, headDim);
                FMatrixRMaj[] out = b.zeros(heads.parts(), context, headDim);
                FMatrixRMaj[] dp = b.zeros(heads.parts(), context, context);
                FMatrixRMaj[] dv = b.zeros(heads.parts(), context, headDim);
                yield new ComponentKernel(counter, () -> heads.each((part, partOps, i) ->
                        partOps.mult(component, p[i], v[i], out[part])), () -> heads.each((part, partOps, i) -> {
                            partOps.multTransB(component, dOut[i], v[i], dp[part]);
                            partOps.multTransA(component, p[i], dOut[i], dv[part]);
                        }), nothing);
            }
            case ATTENTION_SOFTMAX -> {
                Heads heads = new Heads(ops, headCount);
                CausalSoftmax[] softmax = new CausalSoftmax[heads.parts()];
                for (int part = 0; part < softmax.length; part++) {
                    softmax[part] = new CausalSoftmax(heads.ops(part), context, headDim);
                }
                FMatrixRMaj[] scores = b.randoms(headCount, context, context);
                FMatrixRMaj[] work = b.zeros(headCount, context, context);
                FMatrixRMaj[] probabilities = b.zeros(headCount, context, context);
                FMatrixRMaj[] gradient = b.randoms(headCount, context, context);
                FMatrixRMaj[] dWork = b.zeros(headCount, context, context);
                for (int i = 0; i < headCount; i++) {
                    probabilities[i].setTo(scores[i]);
                }
                heads.each((part, partOps, i) -> softmax[part].forward(probabilities[i]));
                counter.reset();
                yield new ComponentKernel(counter, () -> heads.each((part, partOps, i) -> softmax[part].forward(work[i])),
                        () -> heads.each((part, partOps, i) -> softmax[part].backward(probabilities[i], dWork[i])),
                        () -> {
                            for (int i = 0; i < headCount; i++) {
                                work[i].setTo(scores[i]);
                                dWork[i].setTo(gradient[i]);
                            }
                        });
            }
            case RMSNORM, FINAL_RMSNORM -> {
                RmsNorm norm = new RmsNorm(ops, component);
                FMatrixRMaj x = b.random(n, d);
                FMatrixRMaj gain = b.random(1, d);
                FMatrixRMaj y = b.zero(n, d);
                FMatrixRMaj r = b.zero(n, 1);
                FMatrixRMaj dy = b.random(n, d);
                FMatrixRMaj dx = b.zero(n, d);
                FMatrixRMaj dGain = b.zero(1, d);
                norm.forward(x, gain, y, r);
                counter.reset();
                yield new ComponentKernel(counter, () -> norm.forward(x, gain, y, r),
                        () -> norm.backward(dy, x, gain, r, dx, dGain), () -> {
                            dx.zero();
                            dGain.zero();
                        });
            }
            case FFN_SILU -> {
                SwiGlu swiGlu = new SwiGlu(ops);
                FMatrixRMaj a = b.random(n, dFf);
                FMatrixRMaj gate = b.random(n, dFf);
                FMatrixRMaj silu = b.zero(n, dFf);
                FMatrixRMaj product = b.zero(n, dFf);
                FMatrixRMaj dProduct = b.random(n, dFf);
                FMatrixRMaj work = b.zero(n, dFf);
                FMatrixRMaj dGate = b.zero(n, dFf);
                swiGlu.forward(a, gate, silu, product);
                counter.reset();
                yield new ComponentKernel(counter, () -> swiGlu.forward(a, gate, silu, product),
                        () -> swiGlu.backward(work, a, gate, silu, dGate), () -> work.setTo(dProduct));
            }
            case CROSS_ENTROPY -> {
                CrossEntropy loss = new CrossEntropy(ops, b.zero(n, 1));
                FMatrixRMaj logits = b.random(n, vocab);
                int[] targets = b.ints(n, vocab);
                FMatrixRMaj work = b.zero(n, vocab);
                FMatrixRMaj probabilities = logits.copy();
                loss.forward(probabilities, targets);
                FMatrixRMaj dWork = b.zero(n, vocab);
                counter.reset();
                yield new ComponentKernel(counter, () -> loss.forward(work, targets),
                        () -> loss.backward(dWork, targets), () -> {
                            work.setTo(logits);
                            dWork.setTo(probabilities);
                        });
            }
            case TOKEN_EMBEDDING -> {
                Embedding embedding = new Embedding(ops);
                FMatrixRMaj table = b.random(vocab, d);
                FMatrixRMaj tableGrad = b.zero(vocab, d);
                int[] ids = b.ints(n, vocab);
                FMatrixRMaj out = b.zero(n, d);
                FMatrixRMaj dOut = b.random(n, d);
                yield new ComponentKernel(counter, () -> embedding.forward(ids, table, out),
                        () -> embedding.backward(ids, dOut, tableGrad), tableGrad::zero);
            }
        };
    }

    /** AdamW alone over one tensor of {@code parameters} values, on EJML: {@link #forward()} is one step. */
    public static ComponentKernel adamW(int parameters, long seed) {
        return adamW(parameters, seed, MatmulBackend.ejml());
    }

    /** AdamW alone over one tensor of {@code parameters} values on {@code backend}'s loops and threads. */
    public static ComponentKernel adamW(int parameters, long seed, MatmulBackend backend) {
        Buffers b = new Buffers(new Random(seed));
        FlopCounter counter = new FlopCounter();
        AdamW optimizer = new AdamW(new CountingOps(counter, backend), AdamW.Hyperparameters.defaults());
        Parameter parameter = new Parameter(null, 0, b.random(1, parameters), b.random(1, parameters),
                b.zero(1, parameters), b.zero(1, parameters));
        java.util.List<Parameter> all = java.util.List.of(parameter);
        return new ComponentKernel(counter, () -> optimizer.step(all), () -> {
            throw new IllegalStateException("AdamW has no backward pass");
        }, () -> { });
    }

    private static ComponentKernel projection(FlopCounter counter, CountingOps ops, Component component, Buffers b,
            int rows, int in, int out) {
        Linear linear = new Linear(ops, component);
        FMatrixRMaj x = b.random(rows, in);
        FMatrixRMaj w = b.random(in, out);
        FMatrixRMaj y = b.zero(rows, out);
        FMatrixRMaj dy = b.random(rows, out);
        FMatrixRMaj dx = b.zero(rows, in);
        FMatrixRMaj dw = b.zero(in, out);
        // the model adds the residual to the output projection's and W2's output
        boolean residual = component == Component.OUTPUT_PROJECTION || component == Component.FFN_W2;
        FMatrixRMaj stream = b.random(rows, out);
        // the model adds W3's input gradient to W1's (dX += dY W^T): EJML runs that as multAddTransB,
        // measurably slower than the multTransB every other projection's backward uses
        boolean accumulate = component == Component.FFN_W3;
        return new ComponentKernel(counter, () -> {
            linear.forward(x, w, y);
            if (residual) {
                ops.addEquals(component, y, stream);
            }
        }, () -> {
            linear.backwardInput(dy, w, dx, accumulate);
            linear.backwardWeight(x, dy, dw);
        }, () -> { });
    }

    /**
     * The B*h (sequence, head) pairs split across the backend's threads as the model's attention
     * splits them ({@link CausalAttention}), each part counting into its own counter, added to the
     * kernel's after each pass, and writing its own scratch.
     */
    private static final class Heads {
        private final CountingOps ops;
        private final int count;
        private final FlopCounter[] counters;
        private final CountingOps[] partOps;

        /** What one head does on its part's ops. */
        interface Work {
            void run(int part, CountingOps partOps, int head);
        }

        Heads(CountingOps ops, int count) {
            this.ops = ops;
            this.count = count;
            int parts = ops.workers().parts(count, 1);
            this.counters = new FlopCounter[parts];
            this.partOps = new CountingOps[parts];
            for (int part = 0; part < parts; part++) {
                counters[part] = new FlopCounter();
                partOps[part] = new CountingOps(counters[part], ops.backend());
            }
        }

        int parts() {
            return partOps.length;
        }

        CountingOps ops(int part) {
            return partOps[part];
        }

        void each(Work work) {
            FlopCounter.Pass pass = ops.counter().pass();
            ops.workers().split(count, 1, 1, (part, from, to) -> {
                counters[part].pass(pass);
                for (int head = from; head < to; head++) {
                    work.run(part, partOps[part], head);
                }
                return 0;
            });
            for (FlopCounter part : counters) {
                ops.counter().add(part);
                part.reset();
            }
        }
    }

    /** Random and zero buffers from one seeded source. */
    private static final class Buffers {
        private final Random random;

        Buffers(Random random) {
            this.random = random;
        }

        FMatrixRMaj random(int rows, int cols) {
            FMatrixRMaj matrix = new FMatrixRMaj(rows, cols);
            for (int i = 0; i < matrix.data.length; i++) {
                matrix.data[i] = (float) random.nextGaussian();
            }
            return matrix;
        }

        FMatrixRMaj zero(int rows, int cols) {
            return new FMatrixRMaj(rows, cols);
        }

        FMatrixRMaj[] randoms(int count, int rows, int cols) {
            FMatrixRMaj[] matrices = new FMatrixRMaj[count];
            for (int i = 0; i < count; i++) {
                matrices[i] = random(rows, cols);
            }
            return matrices;
        }

        FMatrixRMaj[] zeros(int count, int rows, int cols) {
            FMatrixRMaj[] matrices = new FMatrixRMaj[count];
            for (int i = 0; i < count; i++) {
                matrices[i] = zero(rows, cols);
            }
            return matrices;
        }

        int[] ints(int count, int bound) {
            int[] values = new int[count];
            for (int i = 0; i < count; i++) {
                values[i] = random.nextInt(bound);
            }
            return values;
        }
    }
}
