package flopcast.measure.model;

import flopcast.measure.kernels.MatmulBackend;
import flopcast.measure.run.BackendChoice;

/** Every op's gradient check again, on the vector backend's GEMM and kernels, heads split over two threads. */
class VectorOpGradientTest extends OpGradientTest {
    private static final MatmulBackend VECTOR = BackendChoice.of("vector", 2);

    @Override
    MatmulBackend backend() {
        return VECTOR;
    }
}
