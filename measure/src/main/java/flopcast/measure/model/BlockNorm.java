package flopcast.measure.model;

import flopcast.analytic.Component;
import flopcast.measure.buffers.KeptTensor;
import flopcast.measure.buffers.Parameter;
import flopcast.measure.buffers.StoredTensor;
import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import org.ejml.data.FMatrixRMaj;

/**
 * The blocks' and the final norm of the architecture's kind: an RMSNorm, or a LayerNorm where the
 * norm has a bias (and keeps its rows' means beside their reciprocal standard deviations). Each
 * tensor it writes is rounded into its storage, as every op's is.
 */
public final class BlockNorm {
    private final RmsNorm rms;
    private final LayerNorm layer;

    public BlockNorm(CountingOps ops, Component component) {
        rms = new RmsNorm(ops, component);
        layer = new LayerNorm(ops, component);
    }

    /** out = norm(x), its row statistics into {@code reciprocal} (and {@code mean}: LayerNorm, where {@code bias} is not null). */
    void forward(FMatrixRMaj x, Parameter gain, Parameter bias, KeptTensor out, KeptTensor reciprocal, KeptTensor mean) {
        if (bias == null) {
            rms.forward(x, gain.value.load(), out.matrix(), reciprocal.matrix());
        } else {
            layer.forward(x, gain.value.load(), bias.value.load(), out.matrix(), reciprocal.matrix(), mean.matrix());
            mean.store();
        }
        out.store();
        reciprocal.store();
    }

    /**
     * Differentiates {@link #forward}: d(x) added into {@code dX}, the gain's (and bias's) gradients added
     * into theirs, where they train (a frozen norm under LoRA has none).
     */
    void backward(StoredTensor dOut, KeptTensor x, Parameter gain, Parameter bias, KeptTensor reciprocal,
            KeptTensor mean, StoredTensor dX, FlopCounter counter) {
        boolean trains = gain.grad != null;
        if (bias == null) {
            rms.backward(dOut.load(), x.read(counter), gain.value.load(), reciprocal.read(counter), dX.load(),
                    trains ? gain.grad.load() : null);
        } else {
            layer.backward(dOut.load(), x.read(counter), gain.value.load(), reciprocal.read(counter),
                    mean.read(counter), dX.load(), trains ? gain.grad.load() : null, trains ? bias.grad.load() : null);
            if (trains) {
                bias.grad.store();
            }
        }
        dX.store();
        if (trains) {
            gain.grad.store();
        }
    }
}
