/**
 * The one door every executed FLOP and kept float goes through: the counting facade over the backend's matmuls and kernels, and the counter it records into.
 */
package flopcast.measure.counting;
