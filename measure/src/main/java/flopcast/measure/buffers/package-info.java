/**
 * The model's storage: parameters with their gradients and AdamW state, kept tensors and workspace, float32 or bfloat16, allocated from the analytic module's tensor tables (one row, one buffer).
 */
package flopcast.measure.buffers;
