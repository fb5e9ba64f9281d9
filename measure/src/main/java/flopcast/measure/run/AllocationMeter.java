package flopcast.measure.run;

import java.lang.management.ManagementFactory;

/**
 * Bytes the JVM's live threads have allocated, summed from its per-thread counters (exact,
 * cumulative): the calling thread and the pool threads a split loop or a matmul runs on.
 */
public final class AllocationMeter {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private AllocationMeter() {
    }

    public static long allocatedBytes() {
        long total = 0;
        for (long bytes : THREADS.getThreadAllocatedBytes(THREADS.getAllThreadIds())) {
            if (bytes > 0) {
                total += bytes;
            }
        }
        return total;
    }
}
