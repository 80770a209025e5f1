package dev.ember.engine.model;

/**
 * Context-extension scaling of the rotary frequencies.
 *
 * @param type               none, linear, yarn or llama3
 * @param factor             the context scale factor (freq_scale = 1/factor)
 * @param originalContext    the trained context before extension (YaRN, llama3)
 * @param betaFast           YaRN: high-frequency boundary, in rotations (default 32)
 * @param betaSlow           YaRN: low-frequency boundary (default 1)
 * @param attentionFactor    YaRN: multiplier on cos/sin; NaN means the default 1 + 0.1·ln(factor)
 * @param lowFreqFactor      llama3
 * @param highFreqFactor     llama3
 * @param truncate           YaRN: round the correction range outwards to whole dimensions, as ggml and
 *                           transformers do by default; gpt-oss is defined without ({@code truncate: false})
 */
public record RopeScaling(Type type, float factor, int originalContext, float betaFast, float betaSlow,
                          float attentionFactor, float lowFreqFactor, float highFreqFactor, boolean truncate) {
    public enum Type { NONE, LINEAR, YARN, LLAMA3 }

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
}
