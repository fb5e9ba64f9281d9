/**
 * The host as OSHI reads it, in one immutable record, and its nominal peak from a documented table.
 */
package flopcast.calibration.host;
