/**
 * Who computes: the matmul backend interface (EJML), the scalar loops of the model's own kernels and the arithmetic they are written in, and the workers that split loops and heads across threads. Nothing here knows the model.
 */
package flopcast.measure.kernels;
