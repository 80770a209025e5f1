package dev.ember.engine.synth;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RngTest {
    @Test
    void gaussianHasTheMomentsAndTailsOfAStandardNormal() {
        Rng rng = new Rng(12345);
        int n = 2_000_000;
        double sum = 0, sum2 = 0, sum4 = 0;
        int beyond2 = 0, beyondR = 0, beyond4 = 0;
        for (int i = 0; i < n; i++) {
            double x = rng.nextGaussian();
            sum += x;
            sum2 += x * x;
            sum4 += x * x * x * x;
            double a = Math.abs(x);
            if (a > 2) beyond2++;
            if (a > 3.442619855899) beyondR++; // the ziggurat's tail, drawn by a separate path
            if (a > 4) beyond4++;
        }
        double mean = sum / n, var = sum2 / n - mean * mean, kurt = sum4 / n / (var * var);
        assertEquals(0, mean, 0.003);
        assertEquals(1, var, 0.005);
        assertEquals(3, kurt, 0.03);
        // P(|x| > 2) = 0.0455, P(|x| > 3.4426) = 5.76e-4, P(|x| > 4) = 6.3e-5.
        assertEquals(0.0455, beyond2 / (double) n, 0.0015);
        assertEquals(5.76e-4, beyondR / (double) n, 0.6e-4);
        assertEquals(6.3e-5, beyond4 / (double) n, 2.2e-5);
    }

    @Test
    void rowsAreReproducibleAndIndependent() {
        Rng a = new Rng(Rng.rowSeed(1, 0));
        Rng b = new Rng(Rng.rowSeed(1, 0));
        for (int i = 0; i < 100; i++) assertEquals(a.nextLong(), b.nextLong());
        // Neighbouring rows are not shifted copies of one stream.
        Rng r0 = new Rng(Rng.rowSeed(1, 0));
        Rng r1 = new Rng(Rng.rowSeed(1, 1));
        long first1 = r1.nextLong();
        for (int i = 0; i < 10_000; i++) assertNotEquals(first1, r0.nextLong());
        double corr = 0;
        Rng x = new Rng(Rng.rowSeed(9, 5)), y = new Rng(Rng.rowSeed(9, 6));
        for (int i = 0; i < 100_000; i++) corr += x.nextGaussian() * y.nextGaussian();
        assertTrue(Math.abs(corr / 100_000) < 0.015, "correlation " + corr / 100_000);
    }
}
