package flopcast.benchmarks;

import flopcast.measure.run.BackendChoice;
import flopcast.calibration.measurements.Derivation;
import flopcast.calibration.measurements.GitCommit;
import flopcast.calibration.measurements.MeasurementsSchema;
import flopcast.calibration.measurements.RawResult;
import flopcast.calibration.measurements.Summary;
import flopcast.calibration.profile.ProfileCsv;
import flopcast.calibration.measurements.MeasurementsCsv;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.Shape;
import flopcast.benchmarks.ComponentKernel;
import flopcast.measure.run.HeapMeter;
import flopcast.calibration.host.HostProbe;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.run.TrainRun;
import flopcast.measure.kernels.VectorModule;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The step after JMH in {@code mvn jmh:run}: reads the run's raw JSON (each
 * {@link InterleavedBenchmark} trial split into its rows), writes
 * {@code measurements.csv} (whole or not at all), reads it back and prints the summary, then
 * profiles every measured step in place and writes {@code profile.csv} ({@link StepProfiles}).
 * Arguments: {@code --raw FILE --out DIR --run-id ID --started ISO-UTC --repository DIR}.
 * Bad input: one line on stderr, exit 2.
 */
public final class Derive {

    private Derive() {
    }

    public static void main(String[] args) {
        if (!VectorModule.loaded()) {
            // the vector backend's heap is measured here
            System.exit(VectorModule.restart(Derive.class, args));
        }
        try {
            run(options(args));
        } catch (InvalidInputException e) {
            System.err.println("flopcast: " + e.getMessage());
            System.exit(2);
        }
    }

    static void run(Map<String, String> options) {
        Path raw = Path.of(require(options, "--raw"));
        Path out = Path.of(require(options, "--out"));
        List<RawResult> results = InterleavedBenchmark.expand(RawResult.read(raw));
        Derivation.Provenance provenance = new Derivation.Provenance(require(options, "--run-id"), HostProbe.probe(),
                GitCommit.of(Path.of(require(options, "--repository"))).orElse(null), require(options, "--started"));
        List<Map<String, Object>> rows = Derivation.rows(results, provenance, new LiveHeap());
        Path measurements = out.resolve(MeasurementsSchema.FILE_NAME);
        MeasurementsCsv.write(measurements, rows);
        List<Map<String, String>> written = MeasurementsCsv.read(measurements);
        System.out.print(Summary.render(written, raw.toString(), measurements.toString()));
        Path profile = out.resolve(ProfileCsv.FILE_NAME);
        List<ProfileCsv.Row> profiled = StepProfiles.of(written);
        ProfileCsv.write(profile, profiled);
        System.out.printf("  profiles        %d steps profiled in place, %s%n",
                profiled.stream().map(r -> r.backend() + r.threads() + r.shape()).distinct().count(), profile);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        return options;
    }

    private static String require(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            throw new InvalidInputException("missing " + name + " (usage: --raw FILE --out DIR --run-id ID"
                    + " --started ISO-UTC --repository DIR)");
        }
        return value;
    }

    /** Heap by class histogram, as {@code train} measures it. */
    static final class LiveHeap implements Derivation.HeapMeasurements {
        @Override
        public long step(Shape shape, String backend, int threads) {
            return TrainRun.run(shape, 1, 1, BackendChoice.of(backend, threads)).measuredLiveBytes();
        }

        @Override
        public long adamW(int parameters) {
            long before = HeapMeter.liveArrayBytes();
            ComponentKernel kernel = ComponentKernel.adamW(parameters, 1);
            kernel.forward();
            long after = HeapMeter.liveArrayBytes();
            Reference.reachabilityFence(kernel);
            return after - before;
        }
    }
}
