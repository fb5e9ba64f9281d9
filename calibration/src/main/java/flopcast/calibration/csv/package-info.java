/**
 * CSV files written from one schema declaration each (RFC 4180, locale-free), and whole-file reads.
 */
package flopcast.calibration.csv;
