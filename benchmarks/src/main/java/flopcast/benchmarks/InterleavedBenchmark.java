package flopcast.benchmarks;

import flopcast.analytic.InvalidInputException;
import flopcast.calibration.measurements.RawResult;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Every row the default run fits and holds out, at one thread count, in one fork, taking turns: the
 * component rows ({@link VectorMatmulBenchmark}, {@link VectorElementwiseBenchmark}), AdamW
 * ({@link AdamWBenchmark}), the bf16 conversions ({@link ConversionBenchmark}), the work outside the
 * kernels ({@link OverheadBenchmark}), the held-out steps ({@link VectorStepBenchmark}), the settings
 * steps ({@link SettingsStepBenchmark}) and the probes every rate is divided by
 * ({@link PeakFlopsProbe}, {@link BandwidthProbe}), each as its own class would build it, with that class's
 * parameters (read from its {@code @Param}s). Each JMH iteration runs the next turn: a row's samples
 * are spread over the whole trial, between every other row's, instead of lying together in a second
 * of their own. Why: this host's speed drifts between levels 25% to 100% apart that last seconds
 * (the small step on one thread took 0.20 to 0.41 s over forty 100 ms iterations, alone on an idle
 * 2-vCPU AMD EPYC), so rows timed a minute apart saw different machines, and a step was held out
 * against component rows from another. Taking turns, every row samples the same mix of the host's
 * states, and the lower quartile of each describes the same part of it.
 *
 * <p>The derivation gives each turn its own row ({@link #expand}), named as its class names it, from
 * the {@link Work#turn} counter each iteration carries: nothing downstream knows the rows took turns,
 * except {@code samples}, which counts each row's own.
 *
 * <p>{@code shape}, {@code parameters}, {@code setting} and {@code floats} given (space-separated, as
 * JMH's {@code -p} splits at commas) replace every rotated class's own values: the quick run's
 * {@code shape=tiny} keeps the tiny shape's rows alone. A class whose {@code threads} or
 * {@code backend} values do not include this trial's takes no turn in it; the probes take turns
 * under every backend.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx" + InterleavedBenchmark.HEAP})
@Warmup(iterations = 1, time = 25, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = InterleavedBenchmark.ITERATIONS, time = 25, timeUnit = TimeUnit.MILLISECONDS)
public class InterleavedBenchmark extends BenchmarkSettings {
    /**
     * The fork's heap: every row's model or kernel lives in it at once (the ten held-out steps' and
     * eight settings steps' models predict 3.1 GB together; the JVM's default, a quarter of a 24 GB
     * host, ran out).
     */
    static final String HEAP = "12g";

    /** Eleven turns of each of the 83 rows at every processor (75 on one thread: twelve or thirteen each). */
    static final int ITERATIONS = 913;

    /**
     * The bound on the rotations that follow the turns' own warm-ups ({@link SteadyState#quiet}): a
     * trial whose rotations are not quiet by then has every row marked unsettled.
     */
    static final double ROTATION_MAX_SECONDS = 60;

    /** Seconds before a step's warm-up rounds may count as quiet once a step has settled in this JVM. */
    static final double LATER_STEP_MIN_SECONDS = 1;

    /** {@code *}: every rotated class's components; else only the rows of the components given. */
    @Param({"*"})
    public String component;

    /** {@code *}: every pass; else only the rows of the passes given (forward, backward, optimizer, step). */
    @Param({"*"})
    public String pass;

    @Param({"vector"})
    public String backend;

    @Param({"1", "all"})
    public String threads;

    /** {@code *}: each class's own shapes; else the shapes every class with a shape runs. */
    @Param({"*"})
    public String shape;

    /** {@code *}: AdamW's own sizes; else the sizes it runs. */
    @Param({"*"})
    public String parameters;

    /** {@code *}: the settings class's own settings; else the settings it runs. */
    @Param({"*"})
    public String setting;

    /** {@code *}: the bandwidth probe's own array sizes; else the sizes it runs. */
    @Param({"*"})
    public String floats;

    /**
     * A class that takes turns, the method that names its rows, and how a turn of it is built; a
     * probe's rows take turns whatever the trial's backend (their own is {@code probe}: no model runs).
     */
    private record Rotated(Class<?> type, String method, Factory factory, boolean probe) {
        Rotated(Class<?> type, String method, Factory factory) {
            this(type, method, factory, false);
        }

        String benchmark() {
            return type.getName() + "." + method;
        }
    }

    @FunctionalInterface
    private interface Factory {
        Turn build(String benchmark, Map<String, String> params);
    }

    private static final List<Rotated> ROTATED = List.of(
            new Rotated(VectorMatmulBenchmark.class, "run", (b, p) -> ComponentBenchmark.turn(b, p, false)),
            new Rotated(VectorElementwiseBenchmark.class, "run", (b, p) -> ComponentBenchmark.turn(b, p, true)),
            new Rotated(AdamWBenchmark.class, "step", AdamWBenchmark::turn),
            new Rotated(ConversionBenchmark.class, "convert", ConversionBenchmark::turn),
            new Rotated(OverheadBenchmark.class, "run", OverheadBenchmark::turn),
            new Rotated(VectorStepBenchmark.class, "step", WholeStepBenchmark::turn),
            new Rotated(SettingsStepBenchmark.class, "step", WholeStepBenchmark::turn),
            new Rotated(PeakFlopsProbe.class, "run", PeakFlopsProbe::turn, true),
            new Rotated(BandwidthProbe.class, "run", BandwidthProbe::turn, true));

    /** The parameters this benchmark reads as replacements for the rotated classes' own. */
    private static final List<String> REPLACED = List.of("shape", "parameters", "setting", "floats");

    /** The parameters this benchmark reads as filters: only a class's rows with one of the values given take turns. */
    private static final List<String> FILTERED = List.of("component", "pass");

    /** A row that takes turns: its class's benchmark (Class.method, package included) and parameters. */
    record Entry(String benchmark, Map<String, String> params, Rotated rotated) {
    }

    private List<Turn> turns;
    /** The turn this iteration runs. */
    private int current = -1;

    /**
     * The rows that take turns in a trial with parameters {@code params}: each rotated class's
     * {@code @Param} values crossed, in a fixed order, with the replacements and filters above.
     */
    static List<Entry> entries(Map<String, String> params) {
        List<Entry> entries = new ArrayList<>();
        for (Rotated rotated : ROTATED) {
            Map<String, List<String>> values = new TreeMap<>();
            for (Class<?> type = rotated.type; type != null; type = type.getSuperclass()) {
                for (Field field : type.getDeclaredFields()) {
                    Param param = field.getAnnotation(Param.class);
                    if (param != null) {
                        values.putIfAbsent(field.getName(), List.of(param.value()));
                    }
                }
            }
            if (!values.getOrDefault("threads", List.of()).contains(params.get("threads"))
                    || !rotated.probe && !values.getOrDefault("backend", List.of()).contains(params.get("backend"))) {
                continue;
            }
            values.put("threads", List.of(params.get("threads")));
            if (!rotated.probe) {
                values.put("backend", List.of(params.get("backend")));
            }
            for (String name : REPLACED) {
                String given = params.getOrDefault(name, "*");
                if (values.containsKey(name) && !given.equals("*")) {
                    values.put(name, Arrays.asList(given.strip().split("\\s+")));
                }
            }
            for (String name : FILTERED) {
                String given = params.getOrDefault(name, "*");
                if (values.containsKey(name) && !given.equals("*")) {
                    List<String> kept = new ArrayList<>(values.get(name));
                    kept.retainAll(Arrays.asList(given.strip().split("\\s+")));
                    values.put(name, kept);
                }
            }
            List<Map<String, String>> product = new ArrayList<>();
            product.add(new TreeMap<>());
            for (Map.Entry<String, List<String>> value : values.entrySet()) {
                List<Map<String, String>> longer = new ArrayList<>();
                for (Map<String, String> partial : product) {
                    for (String v : value.getValue()) {
                        Map<String, String> more = new TreeMap<>(partial);
                        more.put(value.getKey(), v);
                        longer.add(more);
                    }
                }
                product = longer;
            }
            for (Map<String, String> row : product) {
                entries.add(new Entry(rotated.benchmark(), Collections.unmodifiableMap(row), rotated));
            }
        }
        return entries;
    }

    @Setup(Level.Trial)
    public void buildTurns(BenchmarkParams params) {
        List<Entry> entries = entries(Identity.values(params));
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("no rotated class has rows at threads " + threads + ", backend "
                    + backend + ", component " + component + " and pass " + pass + ": nothing takes turns");
        }
        turns = new ArrayList<>();
        for (Entry entry : entries) {
            turns.add(entry.rotated().factory().build(entry.benchmark(), entry.params()));
        }
        // whole steps first: they compile every kernel the components call, and the first of them warms longest
        // each within the bound its own class's trial has (a step's: 4 s and 8 more), so that three quiet rounds
        // of a 3 s step still fit after a later step's shorter first second
        double stepBound = SteadyState.STEP_MIN_SECONDS + SteadyState.MAX_SECONDS;
        boolean stepSettled = false;
        for (Turn turn : turns) {
            if (turn.step()) {
                turn.warm(stepSettled ? LATER_STEP_MIN_SECONDS : SteadyState.STEP_MIN_SECONDS, stepBound);
                stepSettled = true;
            }
        }
        for (Turn turn : turns) {
            if (!turn.step()) {
                turn.warm(0, SteadyState.MAX_SECONDS);
            }
        }
        // then every turn in turn until the JIT is quiet over whole rotations: one op's warm-up leaves call
        // sites the others share to be recompiled once all have run
        if (!SteadyState.quiet(() -> {
            Object last = null;
            for (Turn turn : turns) {
                last = turn.runOnce();
            }
            return last;
        }, (long) (ROTATION_MAX_SECONDS * 1e9))) {
            turns.forEach(Turn::unsettle);
        }
    }

    @Setup(Level.Iteration)
    public void nextTurn() {
        current = (current + 1) % turns.size();
    }

    @Setup(Level.Invocation)
    public void beforeCall() {
        turns.get(current).beforeCall();
    }

    @Benchmark
    public Object run(Work work) {
        return turns.get(current).run(work, current, turns.size());
    }

    /**
     * {@code raw} with each result of this benchmark replaced by one result per turn, in the order the
     * turns were listed: the row its own class would have written, with the samples of the iterations
     * that ran it (read from the {@code turn} counter's per-iteration values), its counters summed
     * over them and any other secondary metric (the GC profiler's) their mean. Every other result is
     * kept as it is. A result of this benchmark without per-iteration turn counts is refused.
     */
    static List<RawResult> expand(List<RawResult> raw) {
        List<RawResult> expanded = new ArrayList<>();
        for (RawResult result : raw) {
            if (!result.benchmark().equals(InterleavedBenchmark.class.getName() + ".run")) {
                expanded.add(result);
                continue;
            }
            List<Entry> entries = entries(result.params());
            List<Double> turnSums = result.secondarySamples().get("turn");
            List<Double> ops = result.secondarySamples().get("ops");
            if (turnSums == null || ops == null || turnSums.size() != result.samples().size()
                    || ops.size() != result.samples().size()) {
                throw new InvalidInputException("an InterleavedBenchmark result has no per-iteration turn and ops"
                        + " counts beside its samples: it cannot be split into its rows");
            }
            long rotation = result.perOp("rotation");
            if (rotation != entries.size()) {
                throw new InvalidInputException("an InterleavedBenchmark result ran " + rotation + " rows in turn where"
                        + " its parameters list " + entries.size() + " today: it was run by other benchmark classes"
                        + " than these, and its turns cannot be told apart");
            }
            List<List<Integer>> iterations = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                iterations.add(new ArrayList<>());
            }
            for (int i = 0; i < turnSums.size(); i++) {
                int turn = (int) Math.round(turnSums.get(i) / ops.get(i)) - 1;
                if (ops.get(i) < 1 || turn < 0 || turn >= entries.size()) {
                    throw new InvalidInputException("an InterleavedBenchmark iteration names turn " + (turn + 1)
                            + " of " + entries.size() + ": its parameters list other rows than it ran");
                }
                iterations.get(turn).add(i);
            }
            for (int t = 0; t < entries.size(); t++) {
                if (!iterations.get(t).isEmpty()) {
                    expanded.add(row(result, entries.get(t), iterations.get(t)));
                }
            }
        }
        return expanded;
    }

    /**
     * The metrics summed over a turn's iterations, as JMH sums them over a trial's: the counters
     * {@link Work} carries and the GC profiler's counts and times; any other (the GC profiler's
     * rates, its allocation per op) is averaged.
     */
    private static final List<String> SUMMED = java.util.stream.Stream.concat(
            Arrays.stream(Work.class.getFields()).map(Field::getName), java.util.stream.Stream.of("gc.count", "gc.time"))
            .toList();

    private static RawResult row(RawResult result, Entry entry, List<Integer> iterations) {
        List<Double> samples = iterations.stream().map(result.samples()::get).toList();
        Map<String, Double> secondary = new LinkedHashMap<>();
        Map<String, List<Double>> secondarySamples = new LinkedHashMap<>();
        for (Map.Entry<String, List<Double>> metric : result.secondarySamples().entrySet()) {
            if (metric.getValue().size() != result.samples().size()) {
                // JMH writes some of the GC profiler's metrics only for the iterations where a collection ran:
                // not one value an iteration, so not a turn's
                continue;
            }
            List<Double> values = iterations.stream().map(metric.getValue()::get).toList();
            double sum = values.stream().mapToDouble(Double::doubleValue).sum();
            secondary.put(metric.getKey(), SUMMED.contains(metric.getKey()) ? sum : sum / values.size());
            secondarySamples.put(metric.getKey(), values);
        }
        double mean = samples.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        // JMH's interval is the trial's, over every turn: none is a row's
        return new RawResult(entry.benchmark(), result.threads(), entry.params(), mean, Double.NaN, result.scoreUnit(),
                secondary, result.jvm(), samples, secondarySamples);
    }
}
