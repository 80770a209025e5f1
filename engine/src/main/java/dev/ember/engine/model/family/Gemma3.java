package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;
import dev.ember.engine.safetensors.GgufMetadata;
import dev.ember.engine.safetensors.HfConfig;
import dev.ember.engine.synth.Preset;

import java.util.List;
import java.util.Map;

/**
 * Gemma 3, text only (llama.cpp's {@code gemma3}): the {@link GemmaDecoder} with per-head Q/K
 * RMSNorm and no soft-capping; five sliding layers to one global by default, the sliding ones
 * with their own RoPE base ({@code rope.freq_base_swa}, 10000) and no scaling, the global ones
 * with {@code rope.freq_base} and the file's scaling (linear 8 on the 4B and larger).
 */
final class Gemma3 implements ModelFamily {
    private static final GemmaDecoder DECODER = new GemmaDecoder(true, 0, 6, 0.0, 0.0, true);

    @Override public List<String> architectures() { return List.of("gemma3"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) { return DECODER.build(src, compute); }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    /** Gemma 3's text decoder; the multimodal class's language model is not mapped yet. */
    static final ArchTable HF = ArchTable.of("gemma3", List.of("Gemma3ForCausalLM"), Gemma3::hfKeys)
            .layers(ArchTable.merge(HfNames.GEMMA_NORMS, HfNames.GQA, HfNames.QK_NORM, HfNames.DENSE_FFN))
            .globals(HfNames.GEMMA_GLOBALS).skip("lm_head.").normShift(1f).build();

    /**
     * Gemma3Model.set_gguf_parameters: the global layers' RoPE (rope_parameters.full_attention)
     * through the common keys, the sliding layers' base as {@code rope.freq_base_swa}; Ember adds
     * {@code attention.scale} and the period, as for Gemma 2.
     */
    @SuppressWarnings("unchecked")
    private static void hfKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "gemma3.";
        if (c.raw("attn_logit_softcapping") != null) throw c.invalid("attn_logit_softcapping", "Gemma 3 has none (as llama.cpp asserts)");
        if (c.raw("final_logit_softcapping") instanceof Number f) m.f32(a + "final_logit_softcapping", f.doubleValue());
        if (c.has("sliding_window")) m.u32(a + "attention.sliding_window", c.integer("sliding_window"));
        if (c.has("query_pre_attn_scalar")) m.f32(a + "attention.scale", 1.0 / Math.sqrt(c.real("query_pre_attn_scalar")));
        long period = CommonKeys.slidingPeriod(c, 6);
        if (period != 6) m.u32(a + "attention.sliding_window_pattern", period);
        Object local = c.raw("rope_parameters") instanceof Map<?, ?> rp && rp.get("sliding_attention") instanceof Map<?, ?> s
                ? ((Map<String, Object>) s).get("rope_theta") : c.raw("rope_local_base_freq");
        if (local instanceof Number n) m.f32(a + "rope.freq_base_swa", n.doubleValue());
        HfNames.requireGeluTanh(c);
    }

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // Gemma 3 1B's shape (config.json of google/gemma-3-1b-pt): 5 local layers (window 512,
            // RoPE base 10000) to 1 global (base 1e6), one KV head of 256, 262k vocabulary.
            new Preset("gemma3-1b", "gemma3", 1152, 26, 32768, 1e6, 1e-6, true, 0.02,
                    new Preset.GemmaAttention(4, 1, 256, true, 512, 6, 0f, 0f, 10000), new Preset.GemmaFeedForward(6912),
                    new Preset.Vocab(262144, "qwen2", 262000)),
            new Preset("gemma3-tiny", "gemma3", 64, 4, 256, 1e6, 1e-6, true, 0.02,
                    new Preset.GemmaAttention(4, 2, 32, true, 16, 3, 0f, 0f, 10000), new Preset.GemmaFeedForward(128),
                    new Preset.Vocab(512, "qwen2", 509)));
}
