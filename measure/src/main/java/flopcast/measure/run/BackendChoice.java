package flopcast.measure.run;

import flopcast.analytic.InvalidInputException;
import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.kernels.VectorModule;
import flopcast.measure.kernels.vector.VectorBackendLoader;
import java.util.Locale;

/**
 * The backend a run asks for by name ({@code --backend}). It lives above both backends so that
 * {@code kernels} never reaches down into {@code kernels.vector}: the vector package implements
 * {@code kernels}' interface, and only this choice names it.
 */
public final class BackendChoice {

    /** The names {@code --backend} accepts. */
    public static final String NAMES = "ejml, vector";

    private BackendChoice() {
    }

    /**
     * The backend called {@code name} on {@code threads} threads. The vector backend needs the
     * {@code jdk.incubator.vector} module; asking for it without the module is an error, never a
     * silent fall back to EJML.
     */
    public static MatmulBackend of(String name, int threads) {
        if (threads < 1) {
            throw new InvalidInputException("--threads must be at least 1, got " + threads);
        }
        if (threads > MatmulBackend.MAX_THREADS) {
            throw new InvalidInputException("--threads " + threads + " is more threads than a backend starts"
                    + " (allowed: 1 to " + MatmulBackend.MAX_THREADS + "; this JVM sees "
                    + Runtime.getRuntime().availableProcessors() + " processors)");
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "ejml" -> MatmulBackend.ejml(threads);
            case "vector" -> {
                if (!VectorModule.loaded()) {
                    throw new InvalidInputException("the vector backend needs the jdk.incubator.vector module: run"
                            + " java with --add-modules jdk.incubator.vector");
                }
                yield VectorBackendLoader.load(threads);
            }
            default -> throw new InvalidInputException("unknown backend '" + name + "': allowed are " + NAMES);
        };
    }
}
