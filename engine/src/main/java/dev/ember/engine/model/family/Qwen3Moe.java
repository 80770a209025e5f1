package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.FeedForwards;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;
import dev.ember.engine.safetensors.GgufMetadata;
import dev.ember.engine.safetensors.HfConfig;
import dev.ember.engine.synth.Preset;

import java.util.List;

/** Qwen3-MoE: Qwen3's attention (per-head Q/K norms, NeoX RoPE) with a softmax top-k MoE FFN. */
final class Qwen3Moe implements ModelFamily {
    @Override public List<String> architectures() { return List.of("qwen3moe"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        // llama.cpp always renormalizes Qwen3-MoE's top-k weights; an explicit norm flag wins.
        return DenseFamily.build(src, compute, p, new DenseFamily.Variant(RopeLayout.NEOX, false, true, FeedForwards.softmaxTopK(p, true)));
    }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    static final ArchTable HF = ArchTable.of("qwen3moe", List.of("Qwen3MoeForCausalLM"), Qwen3Moe::hfKeys)
            .layers(ArchTable.merge(HfNames.NORMS, HfNames.GQA, HfNames.QK_NORM, HfNames.ROUTER))
            .experts("mlp.experts.", HfNames.SWIGLU_EXPERTS).build();

    /** Qwen2MoeModel.set_gguf_parameters, plus Qwen3-MoE's checks. */
    private static void hfKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "qwen3moe.";
        m.u32(a + "expert_feed_forward_length", c.integer("moe_intermediate_size"));
        if (c.has("shared_expert_intermediate_size")) m.u32(a + "expert_shared_feed_forward_length", c.integer("shared_expert_intermediate_size"));
        // llama.cpp's qwen3moe always renormalizes the top-k weights and does not write this key;
        // Ember writes it so a checkpoint with norm_topk_prob=false is not silently run as true.
        m.bool(a + "expert_weights_norm", c.bool("norm_topk_prob", true));
        if (c.integer("decoder_sparse_step", 1) != 1) {
            throw c.invalid("decoder_sparse_step", "only 1 (every layer MoE) is supported, as in llama.cpp");
        }
        if (c.raw("mlp_only_layers") instanceof List<?> l && !l.isEmpty()) {
            throw c.invalid("mlp_only_layers", "dense layers inside a Qwen3-MoE are not supported, as in llama.cpp");
        }
    }

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // The MoE benchmark shapes of llamacpp-baseline.md.
            new Preset("qwen3moe-mini", "qwen3moe", 1024, 16, 40960, 1e6, 1e-6, false, 0.02,
                    new Preset.GqaAttention(16, 4, 128, true), new Preset.MoeFeedForward(32, 4, 512, 0, 0, 0, false),
                    new Preset.Vocab(151936, "qwen2", 151643)),
            new Preset("qwen3moe-tiny", "qwen3moe", 64, 2, 256, 1e6, 1e-6, false, 0.02,
                    new Preset.GqaAttention(4, 2, 32, true), new Preset.MoeFeedForward(8, 2, 64, 0, 0, 0, false),
                    new Preset.Vocab(512, "qwen2", 509)));
}
