package flopcast.calibration.fit;

import flopcast.analytic.InvalidInputException;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.measurements.MeasurementsCsv;
import flopcast.calibration.measurements.OpClass;
import flopcast.calibration.profile.ProfileCsv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one calibration computes from one host's measurements: a fit per backend and thread
 * count that has component rows, the held-out checks of every step they describe, and the
 * extrapolation of a target from the primary fit (the vector backend on the most threads: the
 * path that describes the hardware), with the reference backend's beside it.
 *
 * @param hostCpu       the host
 * @param measurements  its rows
 * @param calibrations  every fit, the primary first
 * @param unfitted      why a backend and thread count with component rows has no fit
 * @param checks        the held-out step checks
 * @param extrapolation the target
 * @param profiles      the in-situ profiles of the measured steps ({@code profile.csv} beside the
 *                      measurements, from the same run), each beside the model's terms; empty without one
 */
public record CalibrationResult(String hostCpu, List<Measurement> measurements, List<Calibration> calibrations,
        List<String> unfitted, List<HeldOut.StepCheck> checks, Extrapolation extrapolation,
        List<ProfileCheck> profiles) {

    /**
     * Reads, selects the host, fits, checks. Refused with one line: a file without step rows (a noisy step
     * counts: it is shown, undecided), one
     * whose peak probe failed, one with several hosts and no host named.
     */
    public static CalibrationResult of(Path results, String host, TargetSpec target) {
        List<Map<String, String>> rows = MeasurementsCsv.read(results);
        List<Measurement> all = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            all.add(Measurement.of(rows.get(i), i + 2));
        }
        Set<String> hosts = new LinkedHashSet<>();
        all.forEach(m -> hosts.add(m.hostCpu()));
        String chosen = chooseHost(hosts, host, results, "measurements", "hosts");
        List<Measurement> measurements = all.stream().filter(m -> m.hostCpu().equals(chosen)).toList();
        measurements.stream().filter(m -> m.component().equals("peak_flops") && !m.valid()).findFirst().ifPresent(m -> {
            throw new RefusedMeasurements(results + ": the " + m.threads() + "-thread peak probe failed ("
                    + m.status() + "); every MFU and efficiency divides by it, so nothing is calibrated: rerun"
                    + " mvn jmh:run on a quieter machine");
        });
        if (measurements.stream().noneMatch(m -> m.pass().equals("step") && m.timedRight())) {
            throw new RefusedMeasurements(results + " has no step rows that were timed right (valid, or marked noisy"
                    + " alone): the held-out check needs the steps InterleavedBenchmark or VectorStepBenchmark times (mvn"
                    + " jmh:run without a -Djmh.include that leaves them out)");
        }
        List<Calibration> calibrations = new ArrayList<>();
        List<String> unfitted = new ArrayList<>();
        for (Map.Entry<String, Integer> group : groups(measurements)) {
            try {
                calibrations.add(Calibration.fit(measurements, group.getKey(), group.getValue(), m -> true));
            } catch (InvalidInputException e) {
                unfitted.add(e.getMessage());
            }
        }
        if (calibrations.isEmpty()) {
            throw new RefusedMeasurements(unfitted.isEmpty() ? results + " has no component rows to fit"
                    : unfitted.get(0));
        }
        calibrations.sort(Comparator.comparing((Calibration c) -> !c.backend().equals(Calibration.VECTOR_BACKEND))
                .thenComparing(Comparator.comparingInt(Calibration::threads).reversed()));
        List<HeldOut.StepCheck> checks = HeldOut.check(measurements, calibrations);
        Extrapolation extrapolation = new Extrapolation(target.shape(), target.device(), target.precision(),
                target.steps(), calibrations, checks);
        return new CalibrationResult(chosen, measurements, calibrations, unfitted, checks, extrapolation,
                ProfileCheck.of(profiles(results, rows, chosen), calibrations));
    }

    /**
     * {@code host} where {@code hosts} holds it, the only host where none is named; refused in one
     * line otherwise ("FILE holds WHAT from N KIND [...]: choose one with --host").
     */
    public static String chooseHost(Set<String> hosts, String host, Path results, String what, String kind) {
        if (host != null) {
            if (!hosts.contains(host)) {
                throw new InvalidInputException("--host '" + host + "' is not in " + results + ": it has " + hosts);
            }
            return host;
        }
        if (hosts.size() > 1) {
            throw new InvalidInputException(results + " holds " + what + " from " + hosts.size() + " " + kind + " "
                    + hosts + ": choose one with --host");
        }
        return hosts.iterator().next();
    }

    /**
     * The rows of {@code profile.csv} beside {@code results} that belong to the same run and host;
     * none where there is no such file (a run before profiles, a file copied alone).
     */
    private static List<ProfileCsv.Row> profiles(Path results, List<Map<String, String>> rows, String host) {
        Path file = results.toAbsolutePath().resolveSibling(ProfileCsv.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        Set<String> runs = new LinkedHashSet<>();
        rows.stream().filter(r -> r.get("host_cpu").equals(host)).forEach(r -> runs.add(r.get("run_id")));
        return ProfileCsv.read(file).stream().filter(r -> runs.contains(r.runId()) && r.hostCpu().equals(host))
                .toList();
    }

    /** The fit the extrapolation builds on: the vector backend on the most threads where it was measured. */
    public Calibration calibration() {
        return calibrations.get(0);
    }

    /** Backend and thread count of every valid component row, in order of appearance. */
    private static List<Map.Entry<String, Integer>> groups(List<Measurement> measurements) {
        Set<Map.Entry<String, Integer>> groups = new LinkedHashSet<>();
        for (Measurement m : measurements) {
            if (OpClass.of(m).isPresent() && m.valid()) {
                groups.add(Map.entry(m.backend(), m.threads()));
            }
        }
        return new ArrayList<>(groups);
    }

    /**
     * What to extrapolate to.
     *
     * @param preset    the target model's name (for labels)
     * @param shape     the model at the target batch
     * @param device    the device
     * @param precision the peak's precision
     * @param steps     optimizer steps
     */
    public record TargetSpec(String preset, flopcast.analytic.Shape shape, flopcast.analytic.Device device,
            flopcast.analytic.Precision precision, long steps) {

        public String describe() {
            return preset + " at batch " + shape.batchSize() + ", " + steps + " steps, " + device.cliName() + ", "
                    + precision.cliName();
        }
    }
}
