package flopcast.calibration.fit;

import flopcast.analytic.Shape;
import flopcast.calibration.profile.ProfileCsv;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One measured step's in-situ profile beside the step-time model: what the step spent in each op
 * class and pass, what the model predicts there (its {@link StepTimeModel.Term} of the same class
 * and pass, from the fit of the step's backend and thread count), the classes the model has no term
 * for, and the remainder no class timed. This is where a prediction's miss is read off.
 *
 * @param backend     the step's backend
 * @param threads     its kernel threads
 * @param shape       its shape and settings
 * @param stepSeconds mean wall time of a profiled step
 * @param classes     each class and pass that ran, in the profile's order (slowest first)
 */
public record ProfileCheck(String backend, int threads, Shape shape, double stepSeconds, List<ClassTime> classes) {

    /**
     * @param opClass   the profile's class
     * @param pass      forward, backward, recompute or optimizer
     * @param measured  seconds a step in it
     * @param predicted the model's term for it; NaN where the model has none
     */
    public record ClassTime(String opClass, String pass, double measured, double predicted) {
        public boolean modelled() {
            return !Double.isNaN(predicted);
        }
    }

    public ProfileCheck {
        classes = List.copyOf(classes);
    }

    public String label() {
        return Calibration.label(backend, threads);
    }

    /** Seconds the classes timed. */
    public double timedSeconds() {
        return classes.stream().mapToDouble(ClassTime::measured).sum();
    }

    /** Seconds no class timed: the step less the classes. */
    public double remainderSeconds() {
        return stepSeconds - timedSeconds();
    }

    /** Seconds measured in classes the model has a term for. */
    public double modelledMeasuredSeconds() {
        return classes.stream().filter(ClassTime::modelled).mapToDouble(ClassTime::measured).sum();
    }

    /** What the model predicts for those classes. */
    public double modelledPredictedSeconds() {
        return classes.stream().filter(ClassTime::modelled).mapToDouble(ClassTime::predicted).sum();
    }

    /** Seconds measured in classes the model has no term for (the attention split's hand-off; conversions the table does not cover). */
    public double unmodelledSeconds() {
        return classes.stream().filter(c -> !c.modelled()).mapToDouble(ClassTime::measured).sum();
    }

    /** Each profiled step that one of {@code calibrations} describes, its classes beside the model's terms. */
    public static List<ProfileCheck> of(List<ProfileCsv.Row> rows, List<Calibration> calibrations) {
        Map<String, List<ProfileCsv.Row>> steps = new LinkedHashMap<>();
        for (ProfileCsv.Row row : rows) {
            steps.computeIfAbsent(row.backend() + "\n" + row.threads() + "\n" + row.shape(), k -> new ArrayList<>())
                    .add(row);
        }
        List<ProfileCheck> checks = new ArrayList<>();
        for (List<ProfileCsv.Row> step : steps.values()) {
            ProfileCsv.Row first = step.get(0);
            Optional<Calibration> fit = calibrations.stream()
                    .filter(c -> c.backend().equals(first.backend()) && c.threads() == first.threads()).findFirst();
            if (fit.isEmpty()) {
                continue;
            }
            List<StepTimeModel.Term> terms = fit.get().terms(first.shape());
            List<ClassTime> classes = new ArrayList<>();
            for (ProfileCsv.Row row : step) {
                double predicted = terms.stream().filter(t -> t.opClass().equals(row.opClass())
                        && t.pass().equals(row.pass())).mapToDouble(StepTimeModel.Term::seconds)
                        .reduce(Double::sum).orElse(Double.NaN);
                classes.add(new ClassTime(row.opClass(), row.pass(), row.secondsPerStep(), predicted));
            }
            checks.add(new ProfileCheck(first.backend(), first.threads(), first.shape(), first.stepSeconds(), classes));
        }
        return checks;
    }
}
