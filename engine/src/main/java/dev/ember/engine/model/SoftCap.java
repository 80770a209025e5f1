package dev.ember.engine.model;

/**
 * Logit soft-capping, {@code cap · tanh(x / cap)} (Gemma 2's attention scores and final logits).
 * StrictMath, because Math.tanh may be an intrinsic whose bits differ between interpreted and
 * compiled code, and a row's result must not depend on when the JIT got to it.
 */
public final class SoftCap {
    private SoftCap() {}

    static float of(float x, float cap) {
        return (float) (cap * StrictMath.tanh(x / cap));
    }

    public static void apply(float[] x, int off, int n, float cap) {
        for (int i = off; i < off + n; i++) x[i] = of(x[i], cap);
    }
}
