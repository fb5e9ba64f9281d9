package flopcast.measure.run;

import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Live bytes of float[], int[], short[] (bfloat16) and byte[] (NF4) objects, as the JVM reports them through the
 * {@code GC.class_histogram} diagnostic command. The histogram runs a full collection first and
 * sums each object's own size, so unlike {@code MemoryMXBean} under G1 it does not round arrays
 * of half a region or more up to whole regions (DESIGN.md, "Measuring").
 */
public final class HeapMeter {
    private static final String FLOAT_ARRAY = "[F";
    private static final String INT_ARRAY = "[I";
    private static final String SHORT_ARRAY = "[S";
    private static final String BYTE_ARRAY = "[B";

    private HeapMeter() {
    }

    /** Live float[], int[], short[] and byte[] bytes, headers included, after a full collection. */
    public static long liveArrayBytes() {
        return arrayBytes(histogram());
    }

    /** Sums the bytes column of the float[], int[], short[] and byte[] rows of a class histogram. */
    static long arrayBytes(String histogram) {
        long bytes = 0;
        for (String line : histogram.split("\\R")) {
            String[] columns = line.trim().split("\\s+");
            if (columns.length >= 4 && columns[0].endsWith(":")
                    && (columns[3].equals(FLOAT_ARRAY) || columns[3].equals(INT_ARRAY)
                    || columns[3].equals(SHORT_ARRAY) || columns[3].equals(BYTE_ARRAY))) {
                bytes += Long.parseLong(columns[2]);
            }
        }
        return bytes;
    }

    private static String histogram() {
        try {
            ObjectName diagnostics = new ObjectName("com.sun.management:type=DiagnosticCommand");
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(diagnostics, "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
        } catch (JMException e) {
            throw new IllegalStateException("the JVM's GC.class_histogram diagnostic command is unavailable", e);
        }
    }
}
