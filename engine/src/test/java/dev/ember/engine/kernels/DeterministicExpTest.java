package dev.ember.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeterministicExpTest {
    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

    @Test
    void lanesEqualTheScalarTwinAndAreAccurate() {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = new float[FS.length()];
        float[] y = new float[FS.length()];
        double worst = 0;
        for (int it = 0; it < 20_000; it++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 175 - 87);
            DeterministicExp.exp(FloatVector.fromArray(FS, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToIntBits(DeterministicExp.exp(x[i])), Float.floatToIntBits(y[i]), "lane vs scalar at x=" + x[i]);
                double ref = Math.exp(x[i]);
                if (ref > 1e-37) worst = Math.max(worst, Math.abs(y[i] - ref) / ref);
            }
        }
        assertTrue(worst < 1e-6, "relative error " + worst);
        assertEquals(1f, DeterministicExp.exp(0f));
    }
}
