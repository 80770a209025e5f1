package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.WeightSource;

import java.util.List;

/**
 * Gemma 3, text only (llama.cpp's {@code gemma3}): the {@link GemmaDecoder} with per-head Q/K
 * RMSNorm and no soft-capping; five sliding layers to one global by default, the sliding ones
 * with their own RoPE base ({@code rope.freq_base_swa}, 10000) and no scaling, the global ones
 * with {@code rope.freq_base} and the file's scaling (linear 8 on the 4B and larger).
 */
final class Gemma3 implements ModelFamily {
    private static final GemmaDecoder DECODER = new GemmaDecoder(true, 0, 6, 0.0, 0.0, true);

    @Override public List<String> architectures() { return List.of("gemma3"); }

    @Override
    public Model load(WeightSource src, Compute compute) { return DECODER.build(src, compute); }
}
