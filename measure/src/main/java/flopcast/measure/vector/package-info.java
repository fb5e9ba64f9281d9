/**
 * The fast matmul path: a packed, cache-blocked float32 GEMM on {@code jdk.incubator.vector}.
 * Classes here need {@code --add-modules jdk.incubator.vector}; nothing outside this package
 * loads them unless the vector backend is chosen.
 */
package flopcast.measure.vector;
