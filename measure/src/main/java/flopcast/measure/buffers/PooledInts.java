package flopcast.measure.buffers;

/**
 * An int32 buffer's values as the {@link BufferPool} releases and allocates them: the token ids and targets,
 * a mixture of experts' choices and its dispatch rows. Read through {@link #values()} as each op starts.
 */
final class PooledInts implements MemoryLog.Storage {
    private final int length;
    /** Null while the pool has released them. */
    private int[] values;

    PooledInts(int[] values) {
        this.values = values;
        this.length = values.length;
    }

    /** Its values; null while the pool has released them. */
    int[] values() {
        return values;
    }

    /** Its bytes: 4 an element. */
    long bytes() {
        return Math.multiplyExact((long) length, Integer.BYTES);
    }

    @Override
    public void release() {
        values = null;
    }

    @Override
    public void allocate() {
        values = new int[length];
    }
}
