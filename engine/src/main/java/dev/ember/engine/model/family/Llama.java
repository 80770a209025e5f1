package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.FeedForwards;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;
import dev.ember.engine.safetensors.GgufMetadata;
import dev.ember.engine.safetensors.HfConfig;
import dev.ember.engine.synth.Preset;

import java.util.List;
import java.util.Map;

/**
 * Llama 1–3, Mistral-style and Mixtral models: GQA with adjacent-pair RoPE (GGUF permutes Q/K
 * for it), SwiGLU or, in layers with a router, a softmax top-k mixture of experts (Mixtral).
 */
final class Llama implements ModelFamily {
    @Override public List<String> architectures() { return List.of("llama", "mistral"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF, HF_MIXTRAL); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        FeedForwards.RouterSpec routing = p.integer("expert_count", 0) > 0 ? FeedForwards.softmaxTopK(p, true) : null;
        return DenseFamily.build(src, compute, p, new DenseFamily.Variant(RopeLayout.NORMAL, false, false, routing));
    }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    /** Llama and Mistral as llama.cpp's LlamaModel converts them: Q/K rows permuted for adjacent-pair RoPE. */
    static final ArchTable HF = ArchTable.of("llama", List.of("LlamaForCausalLM", "MistralForCausalLM"), Llama::hfKeys)
            .layers(ArchTable.merge(HfNames.NORMS, HfNames.GQA, HfNames.QKV_BIAS, HfNames.DENSE_FFN)).permuteQk().build();

    /** llama.cpp converts Mixtral to the llama architecture with stacked experts. */
    static final ArchTable HF_MIXTRAL = ArchTable.of("llama", List.of("MixtralForCausalLM"), Llama::hfKeys)
            .layers(ArchTable.merge(HfNames.NORMS, HfNames.GQA, Map.of("block_sparse_moe.gate.weight", "ffn_gate_inp.weight")))
            .experts("block_sparse_moe.experts.", HfNames.MIXTRAL_EXPERTS).permuteQk().build();

    /** LlamaModel.set_gguf_parameters: vocab size and the rotated dimensions. */
    private static void hfKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "llama.";
        m.u32(a + "vocab_size", c.integer("vocab_size"));
        long ropeDim = c.has("head_dim") ? c.integer("head_dim") : c.integer("hidden_size") / c.integer("num_attention_heads");
        m.u32(a + "rope.dimension_count", ropeDim);
    }

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            new Preset("llama-tiny", "llama", 64, 2, 256, 10000, 1e-5, false, 0.02,
                    new Preset.GqaAttention(4, 2, 16, false), new Preset.DenseFeedForward(128),
                    new Preset.Vocab(512, "qwen2", 509)));
}
