package flopcast.measure.kernels;

/**
 * The scalar operations the model's own kernels are written in: {@link ScalarKernels} and the
 * scalar steps of the op classes call these, never the operators, so a test can run the very same
 * loops on arithmetic that tallies every operation as it executes and hold the tally to the FLOPs
 * the loops record (each operation below is 1 FLOP, DESIGN's unit costs). {@link #FLOAT} is the
 * only implementation the model runs on: plain float (or double) arithmetic, which the JIT inlines.
 */
public interface Arithmetic {

    float add(float a, float b);

    float sub(float a, float b);

    float mul(float a, float b);

    float div(float a, float b);

    float neg(float a);

    float max(float a, float b);

    /** e^a, rounded to float. */
    float exp(float a);

    /** sqrt(a), rounded to float. */
    float sqrt(float a);

    double add(double a, double b);

    double sub(double a, double b);

    double mul(double a, double b);

    double div(double a, double b);

    double sqrt(double a);

    double log(double a);

    /** The operators themselves. */
    Arithmetic FLOAT = new Arithmetic() {
        @Override
        public float add(float a, float b) {
            return a + b;
        }

        @Override
        public float sub(float a, float b) {
            return a - b;
        }

        @Override
        public float mul(float a, float b) {
            return a * b;
        }

        @Override
        public float div(float a, float b) {
            return a / b;
        }

        @Override
        public float neg(float a) {
            return -a;
        }

        @Override
        public float max(float a, float b) {
            return Math.max(a, b);
        }

        @Override
        public float exp(float a) {
            return (float) Math.exp(a);
        }

        @Override
        public float sqrt(float a) {
            return (float) Math.sqrt(a);
        }

        @Override
        public double add(double a, double b) {
            return a + b;
        }

        @Override
        public double sub(double a, double b) {
            return a - b;
        }

        @Override
        public double mul(double a, double b) {
            return a * b;
        }

        @Override
        public double div(double a, double b) {
            return a / b;
        }

        @Override
        public double sqrt(double a) {
            return Math.sqrt(a);
        }

        @Override
        public double log(double a) {
            return Math.log(a);
        }
    };
}
