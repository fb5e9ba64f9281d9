package flopcast.measure.kernels.vector;

import flopcast.measure.kernels.MatmulBackend;

/**
 * Loads the vector backend by name, so that no class of {@code jdk.incubator.vector} is linked
 * unless it is asked for (the module may be absent).
 */
public final class VectorBackendLoader {

    private VectorBackendLoader() {
    }

    public static MatmulBackend load(int threads) {
        try {
            return (MatmulBackend) Class.forName("flopcast.measure.kernels.vector.VectorBackend")
                    .getConstructor(int.class).newInstance(threads);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the vector backend could not be loaded", e);
        }
    }
}
