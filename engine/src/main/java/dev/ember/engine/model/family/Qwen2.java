package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;

import java.util.List;

/** Qwen2 / Qwen2.5: GQA with Q/K/V biases and NeoX RoPE, SwiGLU. */
final class Qwen2 implements ModelFamily {
    @Override public List<String> architectures() { return List.of("qwen2"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override
    public Model load(WeightSource src, Compute compute) {
        return DenseFamily.build(src, compute, new DenseFamily.Variant(RopeLayout.NEOX, true, false));
    }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    static final ArchTable HF = ArchTable.of("qwen2", List.of("Qwen2ForCausalLM"), CommonKeys::translate)
            .layers(ArchTable.merge(HfNames.NORMS, HfNames.GQA, HfNames.QKV_BIAS, HfNames.DENSE_FFN)).build();
}
