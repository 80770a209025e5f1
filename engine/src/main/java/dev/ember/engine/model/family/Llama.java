package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.FeedForwards;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;

/**
 * Llama 1–3, Mistral-style and Mixtral models: GQA with adjacent-pair RoPE (GGUF permutes Q/K
 * for it), SwiGLU or, in layers with a router, a softmax top-k mixture of experts (Mixtral).
 */
final class Llama implements ModelFamily {
    @Override public java.util.List<String> architectures() { return java.util.List.of("llama", "mistral"); }

    @Override
    public Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        FeedForwards.RouterSpec routing = p.integer("expert_count", 0) > 0 ? FeedForwards.softmaxTopK(p, true) : null;
        return DenseFamily.build(src, compute, p, new DenseFamily.Variant(RopeLayout.NORMAL, false, false, routing));
    }
}
