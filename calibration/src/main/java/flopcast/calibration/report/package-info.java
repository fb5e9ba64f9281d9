/**
 * A calibration rendered: calibration.csv, report.md and the charts, from the JVM's rows and from the PyTorch probe's rows.
 */
package flopcast.calibration.report;
