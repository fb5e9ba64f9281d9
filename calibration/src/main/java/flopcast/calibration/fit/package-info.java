/**
 * From measured rows to a cost model a person can defend: per op class, achieved efficiency fitted against size; a step-time model summing the analytic module's FLOPs and bytes over those efficiencies; held-out checks against measured steps; the PyTorch probe's shape classes and their MFU; the extrapolation of a target run to a device.
 */
package flopcast.calibration.fit;
