package dev.ember.engine.sample;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class FastExpTest {
    @Test
    void matchesMathExpToAFewPartsPerBillionAboveTheCutoff() {
        double worst = 0;
        for (double x = FastExp.CUTOFF + 1e-9; x <= 0; x += 0.00137) {
            double rel = Math.abs(FastExp.exp(x) / Math.exp(x) - 1);
            worst = Math.max(worst, rel);
        }
        assertTrue(worst < 1e-8, "worst relative error " + worst);
        assertEquals(1.0, FastExp.exp(0), 1e-15);
    }

    @Test
    void zeroAtAndBelowTheCutoffAndForNaN() {
        assertEquals(0.0, FastExp.exp(FastExp.CUTOFF));
        assertEquals(0.0, FastExp.exp(-1e9));
        assertEquals(0.0, FastExp.exp(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, FastExp.exp(Double.NaN));
    }
}
