package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.synth.Preset;

import java.util.List;
import java.util.Map;

/**
 * Phi-3, Phi-3.5 and Phi-4-mini (llama.cpp's {@code phi3}): the {@link DenseFamily} decoder with
 * Q/K/V fused in {@code attn_qkv} and gate/up in {@code ffn_up}, NeoX RoPE on the first
 * {@code rope.dimension_count} dims of each head (Phi-4-mini rotates 3/4 of them), LongRoPE when
 * the file has {@code rope_factors_long}/{@code rope_factors_short} (see
 * {@link dev.ember.engine.model.RopeScaling#longFactors} for which set applies), and, as
 * transformers does, {@code attention.sliding_window} on every layer when it is > 0.
 */
final class Phi3 implements ModelFamily {
    @Override public List<String> architectures() { return List.of("phi3"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) {
        return DenseFamily.build(src, compute, new DenseFamily.Variant(RopeLayout.NEOX, false, false, null, true));
    }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    /**
     * Phi-3 as llama.cpp's {@code phi3}: the fused {@code qkv_proj} stays fused as {@code attn_qkv}
     * and {@code gate_up_proj} (gate rows first) becomes {@code ffn_up}, as gguf-py maps them;
     * LongRoPE's factor sets become tensors (see {@link Phi3Keys}, the planner).
     */
    static final ArchTable HF = ArchTable.of("phi3", List.of("Phi3ForCausalLM"), Phi3Keys::translate)
            .layers(ArchTable.merge(HfNames.NORMS, Map.of(
                    "self_attn.qkv_proj.weight", "attn_qkv.weight",
                    "mlp.gate_up_proj.weight", "ffn_up.weight",
                    "mlp.down_proj.weight", "ffn_down.weight")))
            .extraTensors(Phi3Keys::factorTensors).build();

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // Phi-3-mini's shape (config.json of microsoft/Phi-3-mini-128k-instruct): MHA 32 x 96, fused
            // QKV and gate/up, LongRoPE from 4096 to 131072 (synthetic factor sets), window 262144.
            new Preset("phi3-mini", "phi3", 3072, 32, 131072, 10000, 1e-5, false, 0.02,
                    new Preset.Phi3Attention(32, 32, 96, 4096, 262144), new Preset.Phi3FeedForward(8192),
                    new Preset.Vocab(32064, "qwen2", 32000)),
            // phi3-tiny: GQA, 12 of 16 dims rotated (Phi-4-mini's 3/4), LongRoPE long factors (context
            // 256 > 32), a 48-token window shorter than most test prompts.
            new Preset("phi3-tiny", "phi3", 64, 2, 256, 10000, 1e-5, false, 0.02,
                    new Preset.Phi3Attention(4, 2, 12, 32, 48), new Preset.Phi3FeedForward(128),
                    new Preset.Vocab(512, "qwen2", 509)));
}
