/**
 * From JMH's raw output to {@code results/measurements.csv}: one row per benchmark and parameter
 * set, predicted beside measured, with the probes' peaks and the host's provenance on every row.
 */
package flopcast.benchmarks.results;
