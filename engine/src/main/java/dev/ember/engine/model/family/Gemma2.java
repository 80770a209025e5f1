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

/**
 * Gemma 2 (llama.cpp's {@code gemma2}): the {@link GemmaDecoder} with soft-capped attention
 * scores (50) and final logits (30), and a window (4096 by default) on alternate layers.
 */
final class Gemma2 implements ModelFamily {
    private static final GemmaDecoder DECODER = new GemmaDecoder(false, 4096, 2, 50.0, 30.0, false);

    @Override public List<String> architectures() { return List.of("gemma2"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) { return DECODER.build(src, compute); }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    static final ArchTable HF = ArchTable.of("gemma2", List.of("Gemma2ForCausalLM"), Gemma2::hfKeys)
            .layers(ArchTable.merge(HfNames.GEMMA_NORMS, HfNames.GQA, HfNames.DENSE_FFN))
            .globals(HfNames.GEMMA_GLOBALS).skip("lm_head.").normShift(1f).build();

    /**
     * Gemma2Model.set_gguf_parameters: soft-capping and the window; Ember adds
     * {@code attention.scale} (query_pre_attn_scalar^-0.5, which llama.cpp derives from the model
     * size instead) and the sliding-window period read from {@code layer_types}.
     */
    private static void hfKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "gemma2.";
        if (c.has("attn_logit_softcapping")) m.f32(a + "attn_logit_softcapping", c.real("attn_logit_softcapping"));
        if (c.has("final_logit_softcapping")) m.f32(a + "final_logit_softcapping", c.real("final_logit_softcapping"));
        m.u32(a + "attention.sliding_window", c.integer("sliding_window"));
        if (c.has("query_pre_attn_scalar")) m.f32(a + "attention.scale", 1.0 / Math.sqrt(c.real("query_pre_attn_scalar")));
        long period = CommonKeys.slidingPeriod(c, 2);
        if (period != 2) m.u32(a + "attention.sliding_window_pattern", period);
        HfNames.requireGeluTanh(c);
    }

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // Gemma 2 2B's shape (config.json of google/gemma-2-2b): window 4096 on alternate layers,
            // soft-capping 50/30, tied embeddings, 256k vocabulary (synthetic byte-level BPE here).
            new Preset("gemma2-2b", "gemma2", 2304, 26, 8192, 10000, 1e-6, true, 0.02,
                    new Preset.GemmaAttention(8, 4, 256, false, 4096, 2, 50f, 30f, 0), new Preset.GemmaFeedForward(9216),
                    new Preset.Vocab(256000, "qwen2", 255000)),
            // gemma2-tiny's window (16) is shorter than most test prompts.
            new Preset("gemma2-tiny", "gemma2", 64, 3, 256, 10000, 1e-6, true, 0.02,
                    new Preset.GemmaAttention(4, 2, 32, false, 16, 2, 50f, 30f, 0), new Preset.GemmaFeedForward(128),
                    new Preset.Vocab(512, "qwen2", 509)));
}
