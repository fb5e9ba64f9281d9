package flopcast.analytic;

import java.util.List;

/**
 * What one accounting says about one shape.
 *
 * @param accounting which accounting
 * @param shape      the model and batch
 * @param parameters trained parameters
 * @param memory     bytes by kind, and the memory polynomial
 * @param flops      FLOPs of one step
 * @param components one row per component, per instance
 */
public record Prediction(Accounting accounting, Shape shape, long parameters, MemoryBreakdown memory,
        FlopTotals flops, List<ComponentRow> components) {

    public Prediction {
        components = List.copyOf(components);
    }

    /** The largest batch that fits {@code capacity} (an error when the fixed part does not). */
    public MemoryPolynomial.BatchFit fit(Capacity capacity) {
        return memory.polynomial().fit(capacity, fixedPartDescription());
    }

    /** What the fixed part holds, as a refusal names it: the model state, master weights where the policy keeps them. */
    public String fixedPartDescription() {
        String description = accounting.fixedPartDescription();
        if (memory.masterWeightsBytes() != 0) {
            description = description.replace("gradients,", "gradients, master weights,");
        }
        return description;
    }
}
