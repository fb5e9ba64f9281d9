package flopcast.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.DataParallel.Collective;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every row of every setting table walked through the accounting: what each row declares in its
 * columns must be what the accounting produces, so a row the accounting does not read (a switch on
 * a name somewhere, a column ignored, a combination of columns nothing implements) fails here.
 * The shape, (V, T, L, d, h, d_ff, B) = (37, 67, 3, 24, 6, 40, 2) with h_kv = 3, has two flash
 * tiles (T = 67 > t_b = 64), grouped-query attention, and FSDP units that do not split evenly over
 * five ranks (each layer's 4656 elements), so no column can hide behind a coincidence.
 */
class SettingTablesTest {
    private static final Shape SHAPE = new Shape(37, 67, 3, 24, 6, 40, 2, new Architecture(3, false));
    private static final int RANKS = 5;

    private static Shape at(PrecisionPolicy policy, AttentionKernel kernel, Recompute mode) {
        return SHAPE.withSettings(new Settings(policy, kernel, mode));
    }

    private static BigInteger big(long value) {
        return BigInteger.valueOf(value);
    }

    /** B*h: one per sequence and query head. */
    private static BigInteger heads(Shape shape) {
        return big(shape.batchSize() * shape.heads());
    }

    /** Forward matmul FLOPs of every instance of {@code components}. */
    private static BigInteger forwardMatmuls(Set<Component> components, Shape shape) {
        BigInteger sum = BigInteger.ZERO;
        for (Component component : components) {
            sum = sum.add(MatmulFlops.forward(component, shape).multiply(big(component.scope().instances(shape))));
        }
        return sum;
    }

    /** Forward elementwise FLOPs of every instance of {@code components}. */
    private static BigInteger forwardElementwise(Set<Component> components, Shape shape) {
        BigInteger sum = BigInteger.ZERO;
        for (Component component : components) {
            sum = sum.add(ElementwiseFlops.forward(component, shape).multiply(big(component.scope().instances(shape))));
        }
        return sum;
    }

    private static Set<KeptActivation> heldKept(Shape shape) {
        return held(KeptActivation.class, shape);
    }

    private static Set<WorkspaceBuffer> heldWorkspace(Shape shape) {
        return held(WorkspaceBuffer.class, shape);
    }

    /** The rows of {@code table} with at least one instance at {@code shape}. */
    private static <E extends Enum<E> & TensorSpec> Set<E> held(Class<E> table, Shape shape) {
        Set<E> held = EnumSet.noneOf(table);
        for (E row : table.getEnumConstants()) {
            if (row.instances(shape) > 0) {
                held.add(row);
            }
        }
        return held;
    }

    /** A T x T row: what a tiled kernel never holds. */
    private static boolean square(TensorSpec row) {
        return Collections.frequency(row.dims(), Dim.T) >= 2;
    }

    /**
     * A policy's columns are the bytes the accounting gives each kind of tensor: weights, gradients,
     * master weights, m and v per parameter, the compute type's for every kept row that follows the
     * policy, a bfloat16 column as a working copy, one rank's state, and a device peak for its compute.
     */
    @Test
    void everyPolicyStoresEachTensorKindInItsColumnsType() {
        int checked = 0;
        for (PrecisionPolicy policy : PrecisionPolicy.values()) {
            Shape shape = at(policy, AttentionKernel.EAGER, Recompute.NONE);
            Prediction prediction = CompleteAccounting.predict(shape);
            MemoryBreakdown memory = prediction.memory();
            long parameters = prediction.parameters();
            String name = policy.cliName();
            assertEquals(parameters * policy.weightType().bytes(), memory.parametersBytes(), name);
            assertEquals(parameters * policy.gradientType().bytes(), memory.gradientsBytes(), name);
            assertEquals(policy.masterWeightType() == null ? 0 : parameters * policy.masterWeightType().bytes(),
                    memory.masterWeightsBytes(), name);
            assertEquals(parameters * (policy.firstMomentType().bytes() + policy.secondMomentType().bytes()),
                    memory.optimizerStateBytes(), name);
            DataType compute = policy.compute() == Precision.FP32 ? DataType.FLOAT32 : DataType.BFLOAT16;
            long kept = 0;
            for (KeptActivation row : KeptActivation.values()) {
                DataType type = row.dataType() == DataType.FLOAT32 && !row.float32UnderEveryPolicy() ? compute
                        : row.dataType();
                kept += row.totalElements(shape) * type.bytes();
            }
            assertEquals(kept, memory.activationsBytes(), name + ": kept rows in the compute type");
            List<WorkingCopies.Role> bfloat16 = new ArrayList<>();
            addIf(bfloat16, WorkingCopies.Role.WEIGHT, policy.weightType());
            addIf(bfloat16, WorkingCopies.Role.GRADIENT, policy.gradientType());
            addIf(bfloat16, WorkingCopies.Role.FIRST_MOMENT, policy.firstMomentType());
            addIf(bfloat16, WorkingCopies.Role.SECOND_MOMENT, policy.secondMomentType());
            assertEquals(bfloat16, WorkingCopies.parameterRoles(shape), name + ": working copies");
            DataParallel.RankState single = DataParallel.SINGLE.largest(shape);
            assertEquals(memory.parametersBytes() + memory.gradientsBytes() + memory.masterWeightsBytes()
                    + memory.optimizerStateBytes(), single.stateBytes(policy), name + ": one rank's state");
            for (Device device : Device.values()) {
                assertTrue(device.peakFlopsPerSecond(policy.compute()) > 0, name + " on " + device.cliName());
            }
            checked++;
        }
        assertEquals(PrecisionPolicy.values().length, checked);
    }

    private static void addIf(List<WorkingCopies.Role> roles, WorkingCopies.Role role, DataType type) {
        if (type == DataType.BFLOAT16) {
            roles.add(role);
        }
    }

    /**
     * A kernel holds exactly the kept rows and workspace rows it declares and changes no other row;
     * its backward reruns the matmuls it declares; its elementwise cost is its columns'; it is tiled
     * exactly where nothing it holds is T x T.
     */
    @Test
    void everyKernelHoldsAndRerunsWhatItDeclares() {
        Set<WorkspaceBuffer> everyKernel = EnumSet.allOf(WorkspaceBuffer.class);
        for (AttentionKernel kernel : AttentionKernel.values()) {
            everyKernel.retainAll(heldWorkspace(at(PrecisionPolicy.FP32, kernel, Recompute.NONE)));
        }
        Long othersKept = null;
        BigInteger othersElementwise = null;
        BigInteger model = null;
        int checked = 0;
        for (AttentionKernel kernel : AttentionKernel.values()) {
            Shape shape = at(PrecisionPolicy.FP32, kernel, Recompute.NONE);
            Prediction prediction = CompleteAccounting.predict(shape);
            String name = kernel.cliName();
            Set<KeptActivation> core = EnumSet.noneOf(KeptActivation.class);
            long own = 0;
            for (KeptActivation row : heldKept(shape)) {
                if (row.region() == Region.CORE) {
                    core.add(row);
                    own += row.totalBytes(shape);
                }
            }
            assertEquals(kernel.keeps(), core, name + ": the core rows kept are the kernel's, and only those");
            long kept = prediction.memory().activationsBytes() - own;
            assertEquals(othersKept == null ? kept : othersKept, kept, name + " changes no kept row but its own");
            othersKept = kept;

            Set<WorkspaceBuffer> added = EnumSet.noneOf(WorkspaceBuffer.class);
            added.addAll(heldWorkspace(shape));
            added.removeAll(everyKernel);
            assertEquals(kernel.workspace(), added, name + ": the workspace rows held beyond every kernel's");

            boolean holdsSquare = false;
            for (KeptActivation row : heldKept(shape)) {
                holdsSquare |= square(row);
            }
            for (WorkspaceBuffer row : heldWorkspace(shape)) {
                holdsSquare |= square(row);
            }
            assertEquals(kernel.tiled(), !holdsSquare, name + ": tiled exactly where no T x T row is held");

            assertEquals(forwardMatmuls(kernel.backwardRecomputes(), shape), prediction.flops().recompute(),
                    name + ": matmuls its backward runs again");
            assertEquals(kernel.rerunDescription().isEmpty(), kernel.backwardRecomputes().isEmpty(), name);
            assertEquals(model == null ? prediction.flops().step() : model, prediction.flops().step(),
                    name + ": model FLOPs do not depend on the kernel");
            model = prediction.flops().step();

            Component softmax = AttentionKernel.ELEMENTWISE_COMPONENT;
            BigInteger forward = heads(shape).multiply(kernel.forwardElementwise().of(shape));
            BigInteger backward = heads(shape).multiply(kernel.backwardElementwise().of(shape));
            assertEquals(forward, ElementwiseFlops.forward(softmax, shape), name + " forward elementwise");
            assertEquals(backward, ElementwiseFlops.backward(softmax, shape), name + " backward elementwise");
            BigInteger others = prediction.flops().elementwise()
                    .subtract(forward.add(backward).multiply(big(softmax.scope().instances(shape))));
            assertEquals(othersElementwise == null ? others : othersElementwise, others,
                    name + " changes no elementwise count but its component's");
            othersElementwise = others;
            checked++;
        }
        assertEquals(AttentionKernel.values().length, checked);
    }

    /**
     * Under every kernel, a mode keeps every row but those of the regions it drops, rebuilds the
     * regions it names into one block's buffers, reruns the forward of the components it names and,
     * where it says so, rebuilds the kernel's kept rows into the kernel's workspace at the kernel's
     * elementwise cost; every row it drops is rebuilt somehow; model FLOPs never change; PyTorch's
     * saved tensors drop by the same regions.
     */
    @Test
    void everyRecomputeModeDropsRebuildsAndRerunsWhatItDeclares() {
        int checked = 0;
        for (Recompute mode : Recompute.values()) {
            assertTrue(mode.dropped().containsAll(mode.blockBuffers()), mode.cliName() + ": rebuilds only what it drops");
            for (AttentionKernel kernel : AttentionKernel.values()) {
                Shape none = at(PrecisionPolicy.FP32, kernel, Recompute.NONE);
                Shape shape = at(PrecisionPolicy.FP32, kernel, mode);
                String name = mode.cliName() + " under " + kernel.cliName();
                Set<KeptActivation> heldWithoutRecompute = heldKept(none);
                for (KeptActivation row : KeptActivation.values()) {
                    boolean held = heldWithoutRecompute.contains(row);
                    boolean dropped = mode.dropped().contains(row.region());
                    assertEquals(held && !dropped ? row.scope().instances(shape) : 0, row.instances(shape),
                            name + ": " + row.tensorName() + " kept");
                    assertEquals(held && mode.blockBuffers().contains(row.region()) ? 1 : 0,
                            row.recomputeInstances(shape), name + ": " + row.tensorName() + " in one block's buffers");
                    if (held && dropped) {
                        boolean rerun = mode.blockBuffers().contains(row.region())
                                && mode.forwardAgain().contains(row.component());
                        boolean rebuilt = row.region() == Region.CORE && mode.rebuildsKernelCore();
                        assertTrue(rerun || rebuilt, name + " drops " + row.tensorName() + " but never rebuilds it");
                    }
                }

                Set<WorkspaceBuffer> workspace = EnumSet.noneOf(WorkspaceBuffer.class);
                workspace.addAll(heldWorkspace(none));
                if (mode.rebuildsKernelCore()) {
                    workspace.addAll(kernel.rebuildWorkspace());
                }
                assertEquals(workspace, heldWorkspace(shape), name + ": workspace");

                Prediction base = CompleteAccounting.predict(none);
                Prediction prediction = CompleteAccounting.predict(shape);
                BigInteger rerunMatmuls = prediction.flops().recompute().subtract(base.flops().recompute());
                assertEquals(forwardMatmuls(mode.forwardAgain(), shape), rerunMatmuls, name + ": matmuls run again");
                assertEquals(mode.rerunDescription().isEmpty(), rerunMatmuls.signum() == 0, name);
                BigInteger rebuild = mode.rebuildsKernelCore()
                        ? heads(shape).multiply(kernel.rebuildElementwise().of(shape)).multiply(big(shape.layers()))
                        : BigInteger.ZERO;
                assertEquals(forwardElementwise(mode.forwardAgain(), shape).add(rebuild),
                        prediction.flops().elementwise().subtract(base.flops().elementwise()),
                        name + ": elementwise run again");
                assertEquals(base.flops().step(), prediction.flops().step(), name + ": model FLOPs");
                MemoryBreakdown memory = prediction.memory();
                assertEquals(memory.totalBytes(), memory.polynomial().bytesAt(shape.batchSize()), name);

                if (TorchSavedTensor.covers(shape)) {
                    for (TorchSavedTensor row : TorchSavedTensor.ROWS) {
                        // every parameter trains here: no adapter, so none of an adapter's rows
                        boolean saved = !mode.dropped().contains(row.region())
                                && row.saver() != TorchSavedTensor.Saver.ADAPTER
                                && row.condition().holds(shape.architecture())
                                && (!row.groupedOnly() || shape.architecture().kvHeads() < shape.heads());
                        assertEquals(saved ? row.scope().instances(shape) : 0, row.instances(shape),
                                name + ": pytorch saves " + row.tensorName());
                    }
                }
                checked++;
            }
        }
        assertEquals(Recompute.values().length * AttentionKernel.values().length, checked);
    }

    /**
     * Over five ranks, a sharding mode holds per rank what its columns say (its partition's shard of
     * each kind it shards, the whole of the rest), gathers the weights its gather column names, pads
     * only a flat partition, and runs its collectives in order; and the columns agree with each other
     * (sharded weights are gathered, sharded gradients reduce-scattered, a rank that updates only its
     * shard of whole weights broadcasts it).
     */
    @Test
    void everyShardingHoldsGathersAndSendsWhatItDeclares() {
        Shape shape = SHAPE.withPolicy(PrecisionPolicy.BF16_MIXED_FP32_GRADS);
        List<DataParallel.Tensor> tensors = DataParallel.tensors(shape);
        long total = 0;
        long[] units = new long[Math.toIntExact(shape.layers()) + 1];
        for (DataParallel.Tensor tensor : tensors) {
            total += tensor.elements();
            units[tensor.unit()] += tensor.elements();
        }
        long flat = 0;
        long largestUnit = 0;
        for (long unit : units) {
            long shard = (unit + RANKS - 1) / RANKS;
            flat += shard;
            largestUnit = Math.max(largestUnit, shard * RANKS);
        }
        long[] whole = greedyWholeTensors(tensors);
        assertTrue(flat * RANKS > total, "the shape pads its units");
        int checked = 0;
        for (Sharding sharding : Sharding.values()) {
            String name = sharding.cliName();
            List<Collective> collectives = sharding.collectives();
            boolean shardsSomething = sharding.shardsParameters() || sharding.shardsGradients()
                    || sharding.shardsOptimizerState();
            assertEquals(sharding.partition() == Sharding.Partition.REPLICATED, !shardsSomething, name);
            assertEquals(sharding.weightGather() != Sharding.WeightGather.NONE,
                    collectives.contains(Collective.PARAMETER_ALL_GATHER), name + ": gathers by an all-gather");
            assertTrue(!sharding.shardsParameters() || sharding.weightGather() != Sharding.WeightGather.NONE,
                    name + ": sharded weights are gathered to compute");
            assertEquals(sharding.shardsGradients(), collectives.contains(Collective.GRADIENT_REDUCE_SCATTER), name);
            assertEquals(!sharding.shardsGradients(), collectives.contains(Collective.GRADIENT_ALL_REDUCE), name);
            assertEquals(sharding.shardsOptimizerState() && !sharding.shardsParameters(),
                    collectives.contains(Collective.PARAMETER_BROADCAST), name + ": broadcasts the weights it updated");

            DataParallel plan = new DataParallel(RANKS, sharding, false);
            List<DataParallel.RankState> states = plan.states(shape);
            for (DataParallel.RankState state : states) {
                long shard = switch (sharding.partition()) {
                    case REPLICATED -> total;
                    case WHOLE_TENSORS -> whole[state.rank()];
                    case FLAT -> flat;
                };
                String rank = name + " rank " + state.rank();
                assertEquals(sharding.shardsParameters() ? shard : total, state.parameters(), rank + " weights");
                assertEquals(sharding.shardsGradients() ? shard : total, state.gradients(), rank + " gradients");
                assertEquals(sharding.shardsOptimizerState() ? shard : total, state.optimizer(), rank + " m, v");
                assertEquals(switch (sharding.weightGather()) {
                    case NONE -> 0;
                    case FORWARD_HELD_THROUGH_BACKWARD -> flat * RANKS;
                    case FORWARD_AND_BACKWARD -> largestUnit;
                }, state.gatheredParameters(), rank + " gathered weights");
                assertEquals(collectives.contains(Collective.GRADIENT_REDUCE_SCATTER) ? largestUnit : 0,
                        state.gatheredGradients(), rank + " one unit's full gradients");
            }
            assertEquals(sharding.partition() == Sharding.Partition.FLAT ? flat * RANKS - total : 0,
                    plan.paddingElements(shape), name + " padding");
            for (int rank = 0; rank < RANKS; rank++) {
                List<DataParallel.Transfer> transfers = plan.transfers(shape, rank);
                assertEquals(collectives, transfers.stream().map(DataParallel.Transfer::collective).toList(), name);
                for (DataParallel.Transfer transfer : transfers) {
                    assertEquals(transfer.collective() == Collective.PARAMETER_ALL_GATHER
                            ? sharding.weightGather().gathersPerStep() : 1, transfer.times(), name);
                }
            }
            assertEquals(List.of(), new DataParallel(1, sharding, false).transfers(shape, 0), name + " on one rank");
            checked++;
        }
        assertEquals(Sharding.values().length, checked);
    }

    /** ZeroRedundancyOptimizer's partition: largest first, each to the first rank holding the fewest elements. */
    private static long[] greedyWholeTensors(List<DataParallel.Tensor> tensors) {
        List<Long> sizes = new ArrayList<>();
        for (DataParallel.Tensor tensor : tensors) {
            sizes.add(tensor.elements());
        }
        sizes.sort(Collections.reverseOrder());
        long[] ranks = new long[RANKS];
        for (long size : sizes) {
            int smallest = 0;
            for (int rank = 1; rank < RANKS; rank++) {
                smallest = ranks[rank] < ranks[smallest] ? rank : smallest;
            }
            ranks[smallest] += size;
        }
        return ranks;
    }

    /**
     * Each value of each field of {@link Architecture} reaches the tables: h_kv sets K and V's width
     * (kept rows, weights, the QKV matmul, PyTorch's repeat indices), tying removes the LM head's
     * parameter but not its matmul, a bias adds its width per block and an add per output element,
     * no kept row and no matmul, d_k sets Q's and the heads' width h*d_k (d_k = 4 is d / h, 5 its own).
     * P = 2*V*d - [tied]*V*d + L*(2*d*h*d_k + 2*d*h_kv*d_k + 3*d*d_ff + 2d) + d + L*(h*d_k + 2*h_kv*d_k)
     * [qkv] or L*(2d + h*d_k + 2*h_kv*d_k + 2*d_ff) [all], written out here rather than summed from the
     * tables. A field added to the record fails the
     * first assertion until its values are walked here.
     */
    @Test
    void everyArchitectureValueReachesTheTables() {
        assertEquals(List.of("kvHeads", "tiedEmbeddings", "bias", "headDim", "qkNorm", "slidingWindow", "norm",
                "positions", "mlp", "experts", "placement", "softCap", "windowPattern"),
                List.of(Architecture.class.getRecordComponents()).stream().map(c -> c.getName()).toList(),
                "every field of Architecture has its values walked below");
        long v = 37;
        long t = 67;
        long layers = 3;
        long d = 24;
        long h = 6;
        long dFf = 40;
        long b = 2;
        int checked = 0;
        for (long kvHeads : new long[] {6, 3, 2, 1}) {
            for (boolean tied : new boolean[] {false, true}) {
                for (long dk : new long[] {4, 5}) {
                    for (boolean qkNorm : new boolean[] {false, true}) {
                        for (LinearBias bias : LinearBias.values()) {
                            Architecture architecture = new Architecture(kvHeads, tied, bias, dk, qkNorm);
                            Shape shape = new Shape(v, t, layers, d, h, dFf, b, architecture);
                            String name = shape.describe();
                            long biases = switch (bias) {
                                case NONE -> 0;
                                case QKV -> layers * (h * dk + 2 * kvHeads * dk);
                                case ALL -> layers * (2 * d + h * dk + 2 * kvHeads * dk + 2 * dFf);
                            };
                            long parameters = 2 * v * d - (tied ? v * d : 0)
                                    + layers * (2 * d * h * dk + 2 * d * kvHeads * dk + 3 * d * dFf + 2 * d) + d
                                    + biases + (qkNorm ? layers * 2 * dk : 0);
                            Prediction prediction = CompleteAccounting.predict(shape);
                            assertEquals(parameters, prediction.parameters(), name);
                            assertEquals(b * t * kvHeads * dk, KeptActivation.KEY.elements(shape), name);
                            assertEquals(b * t * kvHeads * dk, KeptActivation.VALUE.elements(shape), name);
                            assertEquals(b * t * kvHeads * dk, WorkspaceBuffer.KEY_GRADIENT.elements(shape), name);
                            assertEquals(d * kvHeads * dk, ParameterTensor.VALUE_WEIGHT.elements(shape), name);
                            assertEquals(big(2 * b * t * d * (h * dk + 2 * kvHeads * dk)),
                                    MatmulFlops.forward(Component.QKV_PROJECTION, shape), name);
                            assertEquals(big(2 * b * t * h * dk * t), MatmulFlops.forward(Component.ATTENTION_SCORES, shape),
                                    name);
                            assertEquals(big(2 * b * t * h * dk * d),
                                    MatmulFlops.forward(Component.OUTPUT_PROJECTION, shape), name);
                            assertEquals(b * t * h * dk, KeptActivation.QUERY.elements(shape), name);
                            assertEquals(b * t * h * dk, KeptActivation.ATTENTION_OUTPUT.elements(shape), name);
                            assertEquals(big(2 * b * t * d * v), MatmulFlops.forward(Component.OUTPUT_EMBEDDING, shape),
                                    name + ": a tied head still runs its matmul");
                            assertEquals(tied ? 0 : 1, ParameterTensor.LM_HEAD_WEIGHT.instances(shape), name);
                            assertEquals(!tied, DataParallel.tensors(shape).stream()
                                    .anyMatch(tensor -> tensor.name().equals(ParameterTensor.LM_HEAD_WEIGHT.tensorName())),
                                    name);
                            for (TorchSavedTensor row : TorchSavedTensor.ROWS) {
                                if (row.groupedOnly()) {
                                    assertEquals(kvHeads < h ? layers : 0, row.instances(shape),
                                            name + " " + row.tensorName());
                                }
                            }
                            assertEquals(bias != LinearBias.NONE, DataParallel.tensors(shape).stream()
                                    .anyMatch(tensor -> tensor.name().equals("layers.2.attention.key.bias")), name);
                            // QK-norm: RMSNorm forward, 4 per element and 4 per row, over N*h and N*h_kv rows of d_k
                            long qkNormForward = qkNorm ? b * t * (h + kvHeads) * (4 * dk + 4) : 0;
                            assertEquals(big(b * t * (bias == LinearBias.NONE ? 0 : h * dk + 2 * kvHeads * dk)
                                    + qkNormForward), ElementwiseFlops.forward(Component.QKV_PROJECTION, shape),
                                    name + ": Q, K, V bias adds and QK-norm");
                            assertEquals(big(b * t * d * (bias == LinearBias.ALL ? 2 : 1)),
                                    ElementwiseFlops.forward(Component.OUTPUT_PROJECTION, shape),
                                    name + ": residual add and bias");
                            assertEquals(KeptActivation.totalFloats(shape.withArchitecture(
                                    new Architecture(kvHeads, tied, LinearBias.NONE, dk)))
                                    + (qkNorm ? layers * b * t * (h * dk + kvHeads * dk + h + kvHeads) : 0),
                                    KeptActivation.totalFloats(shape), name + ": a bias keeps nothing, QK-norm its inputs"
                                    + " and a reciprocal RMS per head and row");
                            assertEquals(kvHeads == h && !tied && bias == LinearBias.NONE && dk == d / h && !qkNorm,
                                    shape.seedArchitecture(), name);
                            assertEquals(ShapeKey.parse(name), shape, "describe and parse carry the architecture");
                            // a sliding window as long as the context changes no count (SlidingWindowTest)
                            Shape windowed = new Shape(v, t, layers, d, h, dFf, b, new Architecture(kvHeads, tied,
                                    bias, dk, qkNorm, t));
                            assertEquals(prediction.memory(), CompleteAccounting.predict(windowed).memory(), name);
                            assertEquals(prediction.flops(), CompleteAccounting.predict(windowed).flops(), name);
                            // LayerNorm: a d-wide bias for each of the 2L + 1 norms and a mean per row (NormKindTest)
                            Shape layerNorm = new Shape(v, t, layers, d, h, dFf, b, new Architecture(kvHeads, tied,
                                    bias, dk, qkNorm, 0, NormKind.LAYER));
                            assertEquals(parameters + (2 * layers + 1) * d, ParameterTensor.total(layerNorm), name);
                            assertEquals(KeptActivation.totalFloats(shape) + (2 * layers + 1) * b * t,
                                    KeptActivation.totalFloats(layerNorm), name);
                            // learned positions: a t x d table, nothing kept (PositionsTest)
                            Shape learned = new Shape(v, t, layers, d, h, dFf, b, new Architecture(kvHeads, tied,
                                    bias, dk, qkNorm, 0, NormKind.RMS, t));
                            assertEquals(parameters + t * d, ParameterTensor.total(learned), name);
                            assertEquals(KeptActivation.totalFloats(shape), KeptActivation.totalFloats(learned),
                                    name);
                            // GELU's two matrices: no W3 (nor its bias), W3's and SiLU's outputs not kept (MlpKindTest)
                            Shape gelu = new Shape(v, t, layers, d, h, dFf, b, new Architecture(kvHeads, tied, bias,
                                    dk, qkNorm, 0, NormKind.RMS, 0, MlpKind.GELU));
                            assertEquals(parameters - layers * (d * dFf + (bias == LinearBias.ALL ? dFf : 0)),
                                    ParameterTensor.total(gelu), name);
                            assertEquals(KeptActivation.totalFloats(shape) - layers * 2 * b * t * dFf,
                                    KeptActivation.totalFloats(gelu), name);
                            // QK-norm over each whole projection: h*d_k and h_kv*d_k gains a block, the projections'
                            // outputs and one reciprocal RMS per row kept (QkNormTest)
                            Shape projection = new Shape(v, t, layers, d, h, dFf, b,
                                    architecture.withNorms(NormPlacement.PRE, QkNorm.PROJECTION));
                            assertEquals(parameters - (qkNorm ? layers * 2 * dk : 0) + layers * (h * dk + kvHeads * dk),
                                    ParameterTensor.total(projection), name);
                            assertEquals(KeptActivation.totalFloats(shape)
                                    - (qkNorm ? layers * b * t * (h * dk + kvHeads * dk + h + kvHeads) : 0)
                                    + layers * b * t * (h * dk + kvHeads * dk + 2), KeptActivation.totalFloats(projection),
                                    name);
                            assertEquals(ShapeKey.parse(projection.describe()), projection, name);
                            // norms after each sublayer: their 2d gains a block in place of those before (post) or
                            // beside them (sandwich), each keeping its input and a reciprocal RMS in place of its
                            // output and one (NormPlacementTest)
                            for (NormPlacement placement : NormPlacement.values()) {
                                Shape placed = new Shape(v, t, layers, d, h, dFf, b,
                                        architecture.withNorms(placement, architecture.qkNorm()));
                                long added = placement.normsPerBlock() - 2;
                                assertEquals(parameters + layers * added * d, ParameterTensor.total(placed), name);
                                assertEquals(KeptActivation.totalFloats(shape) + layers * added * (b * t * d + b * t),
                                        KeptActivation.totalFloats(placed), name);
                                assertEquals(layers * placement.normsPerBlock(), Component.RMSNORM.instances(placed),
                                        name);
                                assertEquals(placement.after() ? 1 : 0,
                                        WorkspaceBuffer.POST_NORM_INPUT_GRADIENT.instances(placed), name);
                                assertEquals(ShapeKey.parse(placed.describe()), placed, name);
                                assertEquals(placement == NormPlacement.PRE && shape.seedArchitecture(),
                                        placed.seedArchitecture(), name);
                            }
                            // soft-caps: no parameter; eager keeps tanh of every score, B*h*T*T a block, and of every
                            // logit, B*T*V (SoftCapTest)
                            Shape capped = new Shape(v, t, layers, d, h, dFf, b,
                                    architecture.withSoftCap(new SoftCap(50, 30)));
                            assertEquals(parameters, ParameterTensor.total(capped), name);
                            assertEquals(KeptActivation.totalFloats(shape) + layers * b * h * t * t + b * t * v,
                                    KeptActivation.totalFloats(capped), name);
                            assertEquals(ShapeKey.parse(capped.describe()), capped, name);
                            assertFalse(capped.seedArchitecture(), name);
                            // a window pattern: the window on the local layers, every second layer global, the same
                            // squares kept (SlidingWindowTest)
                            Shape patterned = new Shape(v, t, layers, d, h, dFf, b, architecture.withWindow(t / 2, 2));
                            assertEquals(layers - layers / 2, Component.ATTENTION_SOFTMAX.instances(patterned), name);
                            assertEquals(layers / 2, Component.ATTENTION_SOFTMAX_GLOBAL.instances(patterned), name);
                            assertEquals(prediction.memory(), CompleteAccounting.predict(patterned).memory(), name);
                            assertEquals(ShapeKey.parse(patterned.describe()), patterned, name);
                            // experts: E = 4 copies of the MLP and a d x E router a block, k = 2 a token (ExpertsTest)
                            long experts = 4;
                            long k = 2;
                            if (bias == LinearBias.ALL) {
                                assertThrows(InvalidInputException.class, () -> architecture.withExperts(
                                        new Experts(experts, k)), name + ": biased experts are refused");
                            } else {
                                Shape moe = new Shape(v, t, layers, d, h, dFf, b,
                                        architecture.withExperts(new Experts(experts, k)));
                                assertEquals(parameters + layers * ((experts - 1) * 3 * d * dFf + d * experts),
                                        ParameterTensor.total(moe), name);
                                assertEquals(parameters + layers * ((k - 1) * 3 * d * dFf + d * experts),
                                        ParameterTensor.active(moe), name);
                                assertEquals(parameters, ParameterTensor.active(shape), name + ": dense, all active");
                                assertEquals(KeptActivation.totalFloats(shape)
                                        + layers * ((k - 1) * 4 * b * t * dFf + b * t * k + b * t * k * d),
                                        KeptActivation.totalFloats(moe), name);
                                assertEquals(big(2 * b * t * k * d * dFf), MatmulFlops.forward(Component.FFN_W2, moe),
                                        name);
                                assertEquals(big(2 * b * t * d * experts), MatmulFlops.forward(Component.ROUTER, moe),
                                        name);
                                assertEquals(ShapeKey.parse(moe.describe()), moe, "describe and parse carry experts");
                                assertFalse(moe.seedArchitecture(), name);
                            }
                            checked++;
                        }
                    }
                }
            }
        }
        assertEquals(96, checked);
    }
}
