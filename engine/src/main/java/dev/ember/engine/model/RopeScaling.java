package dev.ember.engine.model;

/**
 * Context-extension scaling of the rotary frequencies.
 *
 * @param type               none, linear, yarn, llama3 or longrope
 * @param factor             the context scale factor (freq_scale = 1/factor); LongRoPE: context / original context
 * @param originalContext    the trained context before extension (YaRN, llama3, LongRoPE)
 * @param betaFast           YaRN: high-frequency boundary, in rotations (default 32)
 * @param betaSlow           YaRN: low-frequency boundary (default 1)
 * @param attentionFactor    YaRN: multiplier on cos/sin; NaN means the default 1 + 0.1·ln(factor).
 *                           LongRoPE: the multiplier itself ({@code rope.scaling.attn_factor})
 * @param lowFreqFactor      llama3
 * @param highFreqFactor     llama3
 * @param truncate           YaRN: round the correction range outwards to whole dimensions, as ggml and
 *                           transformers do by default; gpt-oss is defined without ({@code truncate: false})
 */
public record RopeScaling(Type type, float factor, int originalContext, float betaFast, float betaSlow,
                          float attentionFactor, float lowFreqFactor, float highFreqFactor, boolean truncate) {
    /**
     * LONGROPE (Phi-3): per-frequency divisors from the file's {@code rope_factors_long} or
     * {@code rope_factors_short} tensor (see {@link DenseConfigs#rope}) and cos/sin scaled by the
     * attention factor; the scaling itself only records which set applies and that factor.
     */
    public enum Type { NONE, LINEAR, YARN, LLAMA3, LONGROPE }

    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1f, 0, 32f, 1f, Float.NaN, 1f, 4f, true);

    public static RopeScaling linear(float factor) {
        return new RopeScaling(Type.LINEAR, factor, 0, 32f, 1f, Float.NaN, 1f, 4f, true);
    }

    public static RopeScaling yarn(float factor, int originalContext, float betaFast, float betaSlow, float attentionFactor) {
        return yarn(factor, originalContext, betaFast, betaSlow, attentionFactor, true);
    }

    public static RopeScaling yarn(float factor, int originalContext, float betaFast, float betaSlow, float attentionFactor, boolean truncate) {
        return new RopeScaling(Type.YARN, factor, originalContext, betaFast, betaSlow, attentionFactor, 1f, 4f, truncate);
    }

    public static RopeScaling llama3(float factor, int originalContext, float lowFreqFactor, float highFreqFactor) {
        return new RopeScaling(Type.LLAMA3, factor, originalContext, 32f, 1f, Float.NaN, lowFreqFactor, highFreqFactor, true);
    }

    /**
     * LongRoPE over a context of {@code contextLength} trained at {@code originalContext}: the long
     * factors apply when the context exceeds it (see {@link #longFactors}).
     */
    public static RopeScaling longrope(int contextLength, int originalContext, float attentionFactor) {
        return new RopeScaling(Type.LONGROPE, (float) contextLength / originalContext, originalContext, 32f, 1f, attentionFactor, 1f, 4f, true);
    }

    /**
     * LongRoPE: whether the long factor set applies. As llama.cpp decides it, from the context a
     * sequence may reach (here the model's context length) rather than from each batch's length as
     * transformers does, so that a position's cached key never depends on how long its sequence
     * later gets or which batch computed it.
     */
    public boolean longFactors() {
        return type == Type.LONGROPE && factor > 1f;
    }

    /** A short description for model summaries. */
    public String describe() {
        if (type == Type.LONGROPE) {
            return String.format(java.util.Locale.ROOT, "longrope (%s factors, original context %d, attention factor %.4f)",
                    longFactors() ? "long" : "short", originalContext, attentionFactor);
        }
        return toString();
    }
}
