package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;
import dev.ember.engine.synth.Preset;

import java.util.List;
import java.util.Map;

/** Qwen3 (dense): GQA with per-head RMSNorm on Q and K before NeoX RoPE, no biases, SwiGLU. */
final class Qwen3 implements ModelFamily {
    @Override public List<String> architectures() { return List.of("qwen3"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) {
        return DenseFamily.build(src, compute, new DenseFamily.Variant(RopeLayout.NEOX, false, true));
    }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    /**
     * Qwen3, also as Qwen3-Embedding ships it: saved from the bare {@code Qwen3Model} (its
     * {@code config.json} may still say Qwen3ForCausalLM), with names lacking the {@code model.}
     * prefix and no head (the embedding is tied).
     */
    static final ArchTable HF = ArchTable.of("qwen3", List.of("Qwen3ForCausalLM", "Qwen3Model"), CommonKeys::translate)
            .layers(ArchTable.merge(HfNames.NORMS, HfNames.GQA, HfNames.QK_NORM, HfNames.DENSE_FFN))
            .globals(ArchTable.merge(ArchTable.TRANSFORMERS_GLOBALS, Map.of("embed_tokens.weight", "token_embd.weight", "norm.weight", "output_norm.weight")))
            .build();

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // Qwen3-0.6B's shape (config.json of Qwen/Qwen3-0.6B): q projection 16 x 128 = 2048 wide,
            // wider than the 1024 hidden size; tied embeddings; per-head q/k RMSNorm.
            new Preset("qwen3-0.6b", "qwen3", 1024, 28, 40960, 1e6, 1e-6, true, 0.02,
                    new Preset.GqaAttention(16, 8, 128, true), new Preset.DenseFeedForward(3072),
                    new Preset.Vocab(151936, "qwen2", 151643)),
            new Preset("qwen3-tiny", "qwen3", 64, 2, 256, 1e6, 1e-6, true, 0.02,
                    new Preset.GqaAttention(4, 2, 32, true), new Preset.DenseFeedForward(128),
                    new Preset.Vocab(512, "qwen2", 509)));
}
