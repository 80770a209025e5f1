package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;

/** Qwen2 / Qwen2.5: GQA with Q/K/V biases and NeoX RoPE, SwiGLU. */
final class Qwen2 implements ModelFamily {
    @Override public java.util.List<String> architectures() { return java.util.List.of("qwen2"); }

    @Override
    public Model load(WeightSource src, Compute compute) {
        return DenseFamily.build(src, compute, new DenseFamily.Variant(RopeLayout.NEOX, true, false));
    }
}
