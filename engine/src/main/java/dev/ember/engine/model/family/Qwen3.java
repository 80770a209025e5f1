package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;

/** Qwen3 (dense): GQA with per-head RMSNorm on Q and K before NeoX RoPE, no biases, SwiGLU. */
final class Qwen3 implements ModelFamily {
    @Override public java.util.List<String> architectures() { return java.util.List.of("qwen3"); }

    @Override
    public Model load(WeightSource src, Compute compute) {
        return DenseFamily.build(src, compute, new DenseFamily.Variant(RopeLayout.NEOX, false, true));
    }
}
