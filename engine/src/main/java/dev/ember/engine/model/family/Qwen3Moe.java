package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.FeedForwards;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;

/** Qwen3-MoE: Qwen3's attention (per-head Q/K norms, NeoX RoPE) with a softmax top-k MoE FFN. */
final class Qwen3Moe implements ModelFamily {
    @Override public java.util.List<String> architectures() { return java.util.List.of("qwen3moe"); }

    @Override
    public Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        // llama.cpp always renormalizes Qwen3-MoE's top-k weights; an explicit norm flag wins.
        return DenseFamily.build(src, compute, p, new DenseFamily.Variant(RopeLayout.NEOX, false, true, FeedForwards.softmaxTopK(p, true)));
    }
}
