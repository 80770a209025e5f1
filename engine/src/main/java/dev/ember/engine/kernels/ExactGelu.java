package dev.ember.engine.kernels;

/**
 * The exact GELU, {@code x · Φ(x) = x/2 · (1 + erf(x/√2))}, which BERT's {@code hidden_act="gelu"}
 * means in transformers (not the tanh approximation). Java has no erf, so it is computed here in
 * double: the Taylor series below |z| = 3 (terms peak near 10³, so about 1e-13 is lost to
 * cancellation) and the asymptotic series of erfc above (its first omitted term is below 1e-3 of
 * erfc(3) ≈ 2e-5). Either way the error is far below float precision. The scalar kernels' GELU
 * (the reference the vector one is checked against).
 */
public final class ExactGelu {
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

    private ExactGelu() {}

    static void apply(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) x[i] = (float) gelu(x[i]);
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x * SQRT_HALF));
    }

    public static double erf(double z) {
        double a = Math.abs(z);
        double r;
        if (a < 3) {
            // erf(z) = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1))
            double term = a, sum = a, z2 = a * a;
            for (int n = 1; n < 100; n++) {
                term *= -z2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
            }
            r = 2 * INV_SQRT_PI * sum;
        } else if (a < 7) {
            // erfc(z) ~ e^(-z²)/(z√π) · (1 - 1/(2z²) + 3/(4z⁴) - 15/(8z⁶) + 105/(16z⁸))
            double inv2 = 1 / (2 * a * a);
            double series = 1 - inv2 + 3 * inv2 * inv2 - 15 * inv2 * inv2 * inv2 + 105 * inv2 * inv2 * inv2 * inv2;
            r = 1 - Math.exp(-a * a) * INV_SQRT_PI / a * series;
        } else {
            r = 1;
        }
        return z < 0 ? -r : r;
    }
}
