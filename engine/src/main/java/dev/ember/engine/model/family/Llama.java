package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;

/** Llama 1–3 and Mistral-style models: GQA with adjacent-pair RoPE (GGUF permutes Q/K for it), SwiGLU. */
final class Llama implements ModelFamily {
    @Override public java.util.List<String> architectures() { return java.util.List.of("llama", "mistral"); }

    @Override
    public Model load(WeightSource src, Compute compute) {
        return DenseFamily.build(src, compute, new DenseFamily.Variant(RopeLayout.NORMAL, false, false));
    }
}
