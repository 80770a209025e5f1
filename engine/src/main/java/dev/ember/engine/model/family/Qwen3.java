package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;

import java.util.List;
import java.util.Map;

/** Qwen3 (dense): GQA with per-head RMSNorm on Q and K before NeoX RoPE, no biases, SwiGLU. */
final class Qwen3 implements ModelFamily {
    @Override public List<String> architectures() { return List.of("qwen3"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

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
}
