package flopcast.benchmarks;

import flopcast.analytic.NamedShape;
import flopcast.analytic.Shape;
import flopcast.calibration.measurements.Measurement;
import flopcast.calibration.profile.ProfileCsv;
import flopcast.measure.run.BackendChoice;
import flopcast.measure.run.StepProfile;
import flopcast.measure.run.TrainRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The in-situ profile of every measured step of a run, after JMH: each step row's model (valid, or
 * marked noisy alone) at its
 * shape, settings, backend and threads, trained again with the profile on ({@code train --profile}'s
 * {@link TrainRun}), so that calibration can set where each step's time went beside what the
 * step-time model predicts for each class. A step of more than {@link #MAX_STEP_SECONDS} (EJML's
 * wide comparison) is left out: its few profiled steps would take a minute.
 */
final class StepProfiles {
    /** Profiled wall time a step aims at: enough steps that the second half covers it. */
    static final double PROFILED_SECONDS = 0.5;
    static final int MIN_STEPS = 4;
    static final int MAX_STEPS = 400;
    static final double MAX_STEP_SECONDS = 3.0;
    /** Unprofiled steps of the tiny shape first, so that the first profile does not time the JIT. */
    static final double WARM_SECONDS = 3.0;

    private StepProfiles() {
    }

    /**
     * One profile per step row of {@code rows} (measurements.csv as read back) that was timed right
     * ({@link Measurement#timedRight}: the held-out table shows a noisy one, undecided, and its profile
     * says where its time went all the same).
     */
    static List<ProfileCsv.Row> of(List<Map<String, String>> rows) {
        List<ProfileCsv.Row> profiled = new ArrayList<>();
        boolean warmed = false;
        for (int i = 0; i < rows.size(); i++) {
            Map<String, String> row = rows.get(i);
            if (!row.get("pass").equals("step") || !Measurement.of(row, i + 2).timedRight()) {
                continue;
            }
            double seconds = Double.parseDouble(row.get("lower_quartile_seconds_per_op"));
            if (seconds > MAX_STEP_SECONDS) {
                continue;
            }
            String backend = row.get("backend");
            int threads = Integer.parseInt(row.get("threads"));
            if (!warmed) {
                Shape tiny = NamedShape.TINY.shape();
                int steps = (int) Math.min(MAX_STEPS, Math.max(MIN_STEPS, Math.ceil(WARM_SECONDS / seconds)));
                TrainRun.run(tiny, steps, 1, BackendChoice.of(backend, threads));
                warmed = true;
            }
            Shape shape = Measurement.shape(row);
            int steps = (int) Math.min(MAX_STEPS, Math.max(MIN_STEPS, Math.ceil(2 * PROFILED_SECONDS / seconds)));
            StepProfile profile = TrainRun.run(shape, steps, 1, BackendChoice.of(backend, threads), true).profile()
                    .orElseThrow();
            for (StepProfile.Row op : profile.rows()) {
                profiled.add(new ProfileCsv.Row(row.get("run_id"), backend, threads, shape, op.op().jsonName(),
                        op.pass().name().toLowerCase(java.util.Locale.ROOT), op.calls(), op.seconds(),
                        profile.stepSeconds(), profile.steps(), row.get("host_cpu")));
            }
        }
        return profiled;
    }
}
