package dev.ember.engine.synth;

import java.util.LinkedHashMap;
import java.util.Map;

/** The built-in presets, by name. */
final class Presets {
    private Presets() {}

    static final Map<String, Preset> ALL = new LinkedHashMap<>();

    private static void add(Preset p) { ALL.put(p.name(), p); }

    static {
        // Qwen3-0.6B's shape (config.json of Qwen/Qwen3-0.6B): q projection 16 x 128 = 2048 wide,
        // wider than the 1024 hidden size; tied embeddings; per-head q/k RMSNorm.
        add(new Preset("qwen3-0.6b", "qwen3", 1024, 28, 40960, 1e6, 1e-6, true, 0.02,
                new Preset.GqaAttention(16, 8, 128, true), new Preset.DenseFeedForward(3072),
                new Preset.Vocab(151936, "qwen2", 151643)));
        // Tiny models for tests: every row length a multiple of 32 so that all types apply.
        add(new Preset("llama-tiny", "llama", 64, 2, 256, 10000, 1e-5, false, 0.02,
                new Preset.GqaAttention(4, 2, 16, false), new Preset.DenseFeedForward(128),
                new Preset.Vocab(512, "qwen2", 509)));
        add(new Preset("qwen3-tiny", "qwen3", 64, 2, 256, 1e6, 1e-6, true, 0.02,
                new Preset.GqaAttention(4, 2, 32, true), new Preset.DenseFeedForward(128),
                new Preset.Vocab(512, "qwen2", 509)));
    }
}
