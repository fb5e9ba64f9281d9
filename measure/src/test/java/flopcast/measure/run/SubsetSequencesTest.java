package flopcast.measure.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flopcast.analytic.Shape;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SubsetSequencesTest {
    @Test
    void eachSequenceUsesAtMostKTokensAndTargetsAreTheNextTokens() {
        Shape shape = new Shape(50, 12, 1, 4, 1, 4, 3);
        SubsetSequences data = new SubsetSequences(shape, 4, 1);
        int[] tokens = new int[36];
        int[] targets = new int[36];
        data.fill(tokens, targets);
        for (int b = 0; b < 3; b++) {
            Set<Integer> seen = new HashSet<>();
            for (int t = 0; t < 12; t++) {
                seen.add(tokens[b * 12 + t]);
                seen.add(targets[b * 12 + t]);
                if (t < 11) {
                    assertEquals(tokens[b * 12 + t + 1], targets[b * 12 + t]);
                }
            }
            assertTrue(seen.size() <= 4, "sequence " + b + " used " + seen);
        }
        assertEquals(Math.log(50), data.unigramEntropy(), 0.0);
        assertEquals(Math.log(4), data.subsetEntropy(), 0.0);
    }
}
