package dev.ember.engine.model;

/**
 * Gemma 3n's activation sparsity ({@code Gemma3nTextMLP._gaussian_topk}): treating a row as
 * normally distributed, keep what lies above the quantile of the target sparsity, shifted down to
 * start at 0: {@code relu(x - (mean + std · m))}, with the population std (transformers'
 * {@code unbiased=False}; llama.cpp's graph divides by n - 1) and {@code m = Φ⁻¹(sparsity)}.
 */
public final class GaussianTopK {
    private GaussianTopK() {}

    /** In place on {@code x[off .. off + n)}; sums in double, in index order, so a row's result never depends on its batch. */
    static void apply(float[] x, int off, int n, float stdMultiplier) {
        double sum = 0;
        for (int i = off; i < off + n; i++) sum += x[i];
        float mean = (float) (sum / n);
        double sq = 0;
        for (int i = off; i < off + n; i++) {
            double d = x[i] - (double) mean;
            sq += d * d;
        }
        float std = (float) Math.sqrt(sq / n);
        float cutoff = mean + std * stdMultiplier;
        for (int i = off; i < off + n; i++) x[i] = Math.max(0f, x[i] - cutoff);
    }

    /**
     * {@code Φ⁻¹(sparsity)} exactly as transformers computes it and llama.cpp's converter stores it
     * per layer: torch's float32 {@code Normal(0, 1).icdf}, {@code erfinv(2s - 1) · sqrt(2)} with
     * every step rounded to float (erfinv correctly rounded), so 0.95 gives 1.6448535919; negative
     * infinity at 0 (a dense layer). The bits matter: the fixture's logits move by 6e-5 when the
     * cutoff moves by one float ulp. erfinv is Newton's method on erf in double.
     */
    public static float stdMultiplier(double sparsity) {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("activation sparsity " + sparsity + " is not in [0, 1)");
        if (sparsity == 0) return Float.NEGATIVE_INFINITY;
        float arg = 2f * (float) sparsity - 1f;
        return (float) erfinv(arg) * (float) Math.sqrt(2);
    }

    /** The inverse error function on (-1, 1), in double. */
    static double erfinv(double y) {
        double x = 0;
        for (int i = 0; i < 200; i++) {
            double step = (dev.ember.engine.kernels.ExactGelu.erf(x) - y) / (2 / Math.sqrt(Math.PI) * Math.exp(-x * x));
            x -= step;
            if (Math.abs(step) < 1e-16 * Math.max(1, Math.abs(x))) break;
        }
        return x;
    }
}
