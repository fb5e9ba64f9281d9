package flopcast.measure;

import java.lang.management.ManagementFactory;

/** Bytes the current thread has allocated, from the JVM's per-thread counter (exact, cumulative). */
public final class AllocationMeter {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private AllocationMeter() {
    }

    public static long allocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }
}
