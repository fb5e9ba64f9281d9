package flopcast.analytic;

/** Element type of a stored tensor. */
public enum DataType {
    FLOAT32("float32", 4),
    /** bfloat16: float32's sign and 8-bit exponent, 7 stored mantissa bits. */
    BFLOAT16("bfloat16", 2),
    INT32("int32", 4),
    /** PyTorch's index type (token ids and targets, index_select's indices). */
    INT64("int64", 8),
    /** PyTorch's mask type: one byte per element. */
    BOOL("bool", 1),
    /** A Python float PyTorch wraps as a 0-dimensional tensor. */
    FLOAT64("float64", 8);

    private final String label;
    private final int bytes;

    DataType(String label, int bytes) {
        this.label = label;
        this.bytes = bytes;
    }

    public String label() {
        return label;
    }

    public int bytes() {
        return bytes;
    }
}
