package flopcast.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Architecture;
import flopcast.analytic.Bf16Conversions;
import flopcast.analytic.InvalidInputException;
import flopcast.analytic.LinearBias;
import flopcast.analytic.PrecisionPolicy;
import flopcast.analytic.Shape;
import flopcast.calibration.measurements.OpClass;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The step-time model's bf16 conversion terms: the host's step has them, at the conversion rows' fitted
 * efficiencies; a device's has none, nor a calibration without those rows.
 */
class StepTimeModelTest {
    private static final double PEAK = 1e11;
    private static final double BANDWIDTH = 1e10;
    /** Sums of a few doubles: rounding alone. */
    private static final double EXACT = 1e-12;

    private static List<StepTimeModel.Term> conversions(Shape shape, int hostThreads) {
        return StepTimeModel.terms(shape, (op, size) -> 0.5, PEAK, Bandwidth.constant(BANDWIDTH), hostThreads).stream()
                .filter(t -> t.opClass().equals(Bf16Conversions.OP_CLASS)).toList();
    }

    @Test
    void theHostsStepConvertsAtTheProbesBandwidthAndADevicesDoesNot() {
        Shape bf16 = SyntheticMeasurements.SMALL.withPolicy(PrecisionPolicy.BF16_MIXED);
        List<StepTimeModel.Term> terms = conversions(bf16, 1);
        List<StepTimeModel.Term> twoThreads = conversions(bf16, 2);
        assertEquals(List.of("forward", "backward", "optimizer"), terms.stream().map(StepTimeModel.Term::pass).toList());
        for (int i = 0; i < terms.size(); i++) {
            StepTimeModel.Term term = terms.get(i);
            Bf16Conversions.Pass pass = Bf16Conversions.of(bf16).stream().filter(p -> p.pass().equals(term.pass()))
                    .findFirst().orElseThrow();
            // at the one efficiency given, 0.5 of the probe: the widened bytes, and every rounded element as
            // 10 bytes (the rounding row's time per element)
            double rounded = pass.rounded() + pass.mastered() + pass.inPlace();
            double seconds = (pass.widened() * 6.0 + rounded * 10) / (BANDWIDTH * 0.5);
            assertEquals(seconds, term.seconds(), seconds * EXACT, term.pass());
            assertEquals(StepTimeModel.Kind.OVERHEAD, term.kind());
            // on two threads the attention split rounds its heads' probabilities in two parts (B x h_kv = 4)
            double split = seconds - pass.inPlace() / 2.0 * 10 / (BANDWIDTH * 0.5);
            assertEquals(split, twoThreads.get(i).seconds(), seconds * EXACT, term.pass() + " on two threads");
        }
        assertTrue(terms.get(0).seconds() > twoThreads.get(0).seconds(), "the forward pass rounds probabilities");
        StepTimeModel.Efficiency noConversionRows = new StepTimeModel.Efficiency() {
            @Override
            public double of(OpClass opClass, double size) {
                return 0.5;
            }

            @Override
            public boolean fitted(OpClass opClass) {
                return opClass != OpClass.BF16_WIDEN && opClass != OpClass.BF16_ROUND;
            }
        };
        double host = StepTimeModel.predict(bf16, (op, size) -> 0.5, PEAK, Bandwidth.constant(BANDWIDTH), 1)
                .seconds();
        double without = StepTimeModel.predict(bf16, noConversionRows, PEAK, Bandwidth.constant(BANDWIDTH), 1)
                .seconds();
        double converted = terms.stream().mapToDouble(StepTimeModel.Term::seconds).sum();
        assertEquals(converted, host - without, host * EXACT, "the conversions are the difference");
        assertTrue(conversions(bf16, 0).isEmpty(), "a device converts in registers");
        assertTrue(conversions(SyntheticMeasurements.SMALL, 1).isEmpty(), "float32 converts nothing");
        StepTimeModel.Efficiency unmeasured = SyntheticMeasurements.withoutRowsOf(op -> 0.5);
        assertTrue(StepTimeModel.terms(bf16, unmeasured, PEAK, Bandwidth.constant(BANDWIDTH), 1).stream()
                .noneMatch(t -> t.opClass().equals(Bf16Conversions.OP_CLASS)), "no conversion rows, no term");
    }

    /**
     * The residual adds, head copies and gradient zeroing at their rows' efficiency on the host, the head
     * copies over the attention split's parts; at the probe's rate alone on a device or without rows.
     */
    @Test
    void theWorkOutsideTheKernelsIsTimedAtItsRowsEfficiencyOnTheHost() {
        Shape shape = SyntheticMeasurements.SMALL;
        StepTimeModel.Efficiency quarter = (op, size) -> 0.25;
        StepTimeModel.Efficiency unmeasured = SyntheticMeasurements.withoutRowsOf(op -> 0.25);
        for (int threads : new int[] {1, 2}) {
            List<StepTimeModel.Term> host = StepTimeModel.terms(shape, quarter, PEAK, Bandwidth.constant(BANDWIDTH),
                    threads);
            List<StepTimeModel.Term> probe = StepTimeModel.terms(shape, unmeasured, PEAK,
                    Bandwidth.constant(BANDWIDTH), threads);
            List<StepTimeModel.Term> device = StepTimeModel.terms(shape, quarter, PEAK, Bandwidth.constant(BANDWIDTH),
                    0);
            assertEquals(host.size(), device.size());
            for (int i = 0; i < host.size(); i++) {
                StepTimeModel.Term term = host.get(i);
                assertEquals(device.get(i).seconds(), probe.get(i).seconds(), EXACT, term.opClass());
                if (term.kind() != StepTimeModel.Kind.OVERHEAD) {
                    assertEquals(device.get(i).seconds(), term.seconds(), EXACT, term.opClass());
                    continue;
                }
                // SMALL: B x h_kv = 4 pairs, so the head copies split over every thread
                double factor = switch (term.opClass()) {
                    case "residual_add", "gradient_zeroing" -> 4;
                    case "head_copy" -> 4.0 / threads;
                    default -> 1;
                };
                assertEquals(device.get(i).seconds() * factor, term.seconds(), term.seconds() * EXACT,
                        term.opClass() + " " + term.pass() + " on " + threads);
            }
        }
    }

    @Test
    void aModelTheTableDoesNotCoverHasNoConversionTerm() {
        Shape biased = SyntheticMeasurements.SMALL.withArchitecture(new Architecture(
                SyntheticMeasurements.SMALL.heads(), false, LinearBias.ALL)).withPolicy(PrecisionPolicy.BF16_MIXED);
        assertEquals("linear biases", Bf16Conversions.uncovered(biased).orElseThrow());
        assertTrue(conversions(biased, 1).isEmpty(), "no term where the table does not count");
        assertThrows(InvalidInputException.class, () -> Bf16Conversions.of(biased), "the table itself refuses it");
    }
}
