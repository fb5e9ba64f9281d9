package flopcast.measure.kernels;

/**
 * {@link Arithmetic#FLOAT}'s results, with every operation tallied as it executes: what a loop
 * body really does, whatever its comment or its recorded count says. One thread.
 */
public final class CountingArithmetic implements Arithmetic {
    private static final Arithmetic EXACT = Arithmetic.FLOAT;
    private long operations;

    public long operations() {
        return operations;
    }

    public void reset() {
        operations = 0;
    }

    private void tally() {
        operations++;
    }

    @Override
    public float add(float a, float b) {
        tally();
        return EXACT.add(a, b);
    }

    @Override
    public float sub(float a, float b) {
        tally();
        return EXACT.sub(a, b);
    }

    @Override
    public float mul(float a, float b) {
        tally();
        return EXACT.mul(a, b);
    }

    @Override
    public float div(float a, float b) {
        tally();
        return EXACT.div(a, b);
    }

    @Override
    public float neg(float a) {
        tally();
        return EXACT.neg(a);
    }

    @Override
    public float max(float a, float b) {
        tally();
        return EXACT.max(a, b);
    }

    @Override
    public float exp(float a) {
        tally();
        return EXACT.exp(a);
    }

    @Override
    public float sqrt(float a) {
        tally();
        return EXACT.sqrt(a);
    }

    @Override
    public double add(double a, double b) {
        tally();
        return EXACT.add(a, b);
    }

    @Override
    public double sub(double a, double b) {
        tally();
        return EXACT.sub(a, b);
    }

    @Override
    public double mul(double a, double b) {
        tally();
        return EXACT.mul(a, b);
    }

    @Override
    public double div(double a, double b) {
        tally();
        return EXACT.div(a, b);
    }

    @Override
    public double sqrt(double a) {
        tally();
        return EXACT.sqrt(a);
    }

    @Override
    public double log(double a) {
        tally();
        return EXACT.log(a);
    }
}
