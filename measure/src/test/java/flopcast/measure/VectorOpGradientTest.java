package flopcast.measure;

/** Every op's gradient check again, on the vector backend's GEMM and kernels, heads split over two threads. */
class VectorOpGradientTest extends OpGradientTest {
    private static final MatmulBackend VECTOR = MatmulBackend.of("vector", 2);

    @Override
    MatmulBackend backend() {
        return VECTOR;
    }
}
