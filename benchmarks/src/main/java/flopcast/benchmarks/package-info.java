/**
 * JMH benchmarks, one question per class: each matmul of a layer, the elementwise kernels, the
 * whole training step, AdamW alone, and two probes of the hardware (peak FLOP/s with the Vector
 * API, memory bandwidth). FLOPs and bytes per op come from the analytic module and ride along as
 * auxiliary counters ({@link flopcast.benchmarks.Work}). A component's benchmark times a
 * {@link flopcast.benchmarks.ComponentKernel}: the model's own op classes on that component's rows
 * of the tensor tables. Run them with {@code mvn jmh:run}.
 */
package flopcast.benchmarks;
