/**
 * The complete model run for real: float32 forward, backward and AdamW on EJML matrices,
 * allocated from the analytic module's tensor tables, counting the FLOPs it executes and the kept
 * floats its backward pass reads, so that {@code analytic}'s complete accounting can be checked by
 * equality. Symbols as in {@link flopcast.analytic}.
 */
package flopcast.measure;
