/**
 * The vector backend: a packed, cache-blocked float32 GEMM and the model's own loops on
 * {@code jdk.incubator.vector}. Classes here need {@code --add-modules jdk.incubator.vector};
 * nothing outside this package loads them unless the vector backend is chosen.
 */
package flopcast.measure.kernels.vector;
