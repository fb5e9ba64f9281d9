package flopcast.measure.calibration;

import flopcast.analytic.InvalidInputException;
import flopcast.measure.results.MeasurementsCsv;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one calibration computes from one host's measurements: the fits, the held-out checks,
 * and the extrapolation of a target.
 *
 * @param hostCpu       the host
 * @param measurements  its rows
 * @param calibration   the fits from every component row
 * @param checks        the held-out step checks
 * @param extrapolation the target
 */
public record CalibrationResult(String hostCpu, List<Measurement> measurements, Calibration calibration,
        List<HeldOut.StepCheck> checks, Extrapolation extrapolation) {

    /** Reads, selects the host, fits, checks; a file without step rows or with several hosts (and no host named) is refused. */
    public static CalibrationResult of(Path results, String host, TargetSpec target) {
        List<Map<String, String>> rows = MeasurementsCsv.read(results);
        List<Measurement> all = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            all.add(Measurement.of(rows.get(i), i + 2));
        }
        Set<String> hosts = new LinkedHashSet<>();
        all.forEach(m -> hosts.add(m.hostCpu()));
        String chosen;
        if (host != null) {
            if (!hosts.contains(host)) {
                throw new InvalidInputException("--host '" + host + "' is not in " + results + ": it has " + hosts);
            }
            chosen = host;
        } else if (hosts.size() > 1) {
            throw new InvalidInputException(results + " holds measurements from " + hosts.size() + " hosts " + hosts
                    + ": choose one with --host");
        } else {
            chosen = hosts.iterator().next();
        }
        List<Measurement> measurements = all.stream().filter(m -> m.hostCpu().equals(chosen)).toList();
        if (measurements.stream().noneMatch(m -> m.pass().equals("step") && m.threads() == 1
                && m.backend().equals(Calibration.REFERENCE_BACKEND))) {
            throw new InvalidInputException(results + " has no single-thread step rows on " + Calibration.REFERENCE_BACKEND
                    + ": the held-out check needs StepBenchmark (mvn jmh:run without a -Djmh.include that leaves it out)");
        }
        Calibration calibration = Calibration.fit(measurements, m -> true);
        List<HeldOut.StepCheck> checks = HeldOut.check(measurements, calibration);
        Extrapolation extrapolation = new Extrapolation(target.shape(), target.device(), target.precision(),
                target.steps(), calibration);
        return new CalibrationResult(chosen, measurements, calibration, checks, extrapolation);
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
