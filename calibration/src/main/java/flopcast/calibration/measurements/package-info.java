/**
 * {@code measurements.csv}: its schema, its writer and strict reader, and the derivation of its rows from JMH's raw JSON (each row's identity from the benchmark's own parameters and counters), with each row's validity mark. Nothing here runs the model: the benchmarks module's {@code Derive} measures heap and calls in.
 */
package flopcast.calibration.measurements;
