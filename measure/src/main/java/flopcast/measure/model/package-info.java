/**
 * The complete model's op classes, each a forward beside its backward, and {@link flopcast.measure.model.TransformerModel}, which runs one training step (forward, loss, backward, AdamW) on buffers allocated from the analytic module's tensor tables; symbols as in {@link flopcast.analytic}.
 */
package flopcast.measure.model;
