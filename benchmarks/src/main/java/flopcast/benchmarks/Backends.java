package flopcast.benchmarks;

import flopcast.measure.MatmulBackend;

/**
 * The backends benchmarks run on, by {@code @Param} value: {@code ejml} (one thread, the
 * reference: EJML's matmuls, plain Java loops), {@code ejml-all} (EJML's concurrent ops, loops and
 * heads split, on every processor), {@code vector} (the Vector API GEMM and loops on one thread),
 * {@code vector-all} (on every processor).
 */
final class Backends {

    private Backends() {
    }

    static MatmulBackend of(String param) {
        int all = Runtime.getRuntime().availableProcessors();
        return switch (param) {
            case "ejml" -> MatmulBackend.of("ejml", 1);
            case "ejml-all" -> MatmulBackend.of("ejml", all);
            case "vector" -> MatmulBackend.of("vector", 1);
            case "vector-all" -> MatmulBackend.of("vector", all);
            default -> throw new IllegalArgumentException("backend must be ejml, ejml-all, vector or vector-all, got "
                    + param);
        };
    }
}
