package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.v4.DeepseekV4Loader;

import java.util.List;

/**
 * DeepSeek-V4 (GGUF {@code deepseek4}): mHC streams, K=V attention over a sliding window plus
 * compressed entries (CSA with a lightning indexer, HCA), and a sqrt-softplus / hash-routed MoE
 * with clamped SwiGLU. Its parts live in {@code model.v4}.
 */
final class DeepseekV4 implements ModelFamily {
    @Override public List<String> architectures() { return List.of("deepseek4"); }

    @Override
    public Model load(WeightSource src, Compute compute) {
        return DeepseekV4Loader.load(src, compute);
    }
}
