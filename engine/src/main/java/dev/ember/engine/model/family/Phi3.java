package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;

import java.util.List;

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

    @Override
    public Model load(WeightSource src, Compute compute) {
        return DenseFamily.build(src, compute, new DenseFamily.Variant(RopeLayout.NEOX, false, false, null, true));
    }
}
