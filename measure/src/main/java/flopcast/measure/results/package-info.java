/**
 * Everything about results, in one place: {@code measurements.csv}'s schema, its writer and strict
 * reader; the derivation of its rows from JMH's raw JSON (each row's identity from the benchmark's
 * own parameters and counters); and calibration, from measured rows to a cost model a person can
 * defend: per op class, achieved efficiency fitted against size; a step-time model summing the
 * analytic module's FLOPs and bytes over those efficiencies; held-out checks against measured
 * steps; the extrapolation of the seed's scenario to a device; {@code calibration.csv},
 * {@code report.md} and the charts. Nothing here runs the model: the benchmarks module's
 * {@code Derive} is the entry point that measures heap and calls in.
 */
package flopcast.measure.results;
