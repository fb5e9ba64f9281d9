/**
 * A calibration as typed data (sections, quantities and units as enums, numbers in typed parts) and its renderings, one per format for the JVM's rows and the PyTorch probe's alike: calibration.csv, report.md, JSON, and the charts.
 */
package flopcast.calibration.report;
