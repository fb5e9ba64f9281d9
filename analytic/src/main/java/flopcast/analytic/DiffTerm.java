package flopcast.analytic;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

/**
 * One quantity on which the seed and complete accountings disagree.
 *
 * @param term     JSON path of the quantity, for example {@code flops.forward} or
 *                 {@code components.qkv_projection.activation_floats}
 * @param unit     flops, floats, parameters, bytes, sequences, seconds or days
 * @param seed     the seed's value; null where the seed counts nothing of the kind
 * @param complete the complete accounting's value
 * @param note     why they differ
 */
public record DiffTerm(String term, String unit, Number seed, Number complete, String note) {

    /** complete / seed; null when the seed has no value or zero. */
    public Double ratio() {
        if (seed == null) {
            return null;
        }
        BigDecimal s = decimal(seed);
        if (s.signum() == 0) {
            return null;
        }
        return decimal(complete).divide(s, MathContext.DECIMAL64).doubleValue();
    }

    private static BigDecimal decimal(Number value) {
        if (value instanceof BigInteger big) {
            return new BigDecimal(big);
        }
        if (value instanceof Long || value instanceof Integer) {
            return BigDecimal.valueOf(value.longValue());
        }
        return BigDecimal.valueOf(value.doubleValue());
    }
}
