package dev.ember.engine.sample;

/**
 * Repetition, presence and frequency penalties, exactly as llama.cpp's penalties sampler computes
 * them, in float: for each token seen {@code count > 0} times in the window,
 * <pre>
 *   v = v &lt;= 0 ? v * repetition : v / repetition     (CTRL-style, so a penalty never makes a token likelier)
 *   v -= count * frequency + presence
 * </pre>
 * Only the window's tokens change, so the result is an override list on the caller's row, never a
 * copy of it.
 */
final class Penalties {
    private final float repetition;
    private final float presence;
    private final float frequency;
    private final PenaltyWindow window;
    private float[] vals = new float[16];

    private Penalties(float repetition, float presence, float frequency, PenaltyWindow window) {
        this.repetition = repetition;
        this.presence = presence;
        this.frequency = frequency;
        this.window = window;
    }

    /** The penalties a request asks for, or null when they would change nothing (window 0 or all neutral). */
    static Penalties of(float repetition, float presence, float frequency, int lastN, int vocab) {
        boolean neutral = repetition == 1f && presence == 0f && frequency == 0f;
        if (neutral || lastN == 0) return null;
        return new Penalties(repetition, presence, frequency, new PenaltyWindow(lastN, vocab));
    }

    PenaltyWindow window() { return window; }

    /** Installs the penalized values of the window's tokens on {@code view}, which must point at the row of {@code logits}. */
    void apply(float[] logits, int off, PenalizedLogits view) {
        int n = window.distinct();
        int[] ids = window.ids();
        int[] counts = window.counts();
        if (vals.length < n) vals = new float[Math.max(n, vals.length * 2)];
        for (int j = 0; j < n; j++) {
            vals[j] = penalize(logits[off + ids[j]], counts[j]);
        }
        view.override(ids, vals, n);
    }

    float penalize(float v, int count) {
        if (repetition != 1f) v = v <= 0 ? v * repetition : v / repetition;
        return v - (count * frequency + presence);
    }
}
