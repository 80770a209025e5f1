package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.WeightSource;

import java.util.List;

/**
 * Gemma 2 (llama.cpp's {@code gemma2}): the {@link GemmaDecoder} with soft-capped attention
 * scores (50) and final logits (30), and a window (4096 by default) on alternate layers.
 */
final class Gemma2 implements ModelFamily {
    private static final GemmaDecoder DECODER = new GemmaDecoder(false, 4096, 2, 50.0, 30.0, false);

    @Override public List<String> architectures() { return List.of("gemma2"); }

    @Override
    public Model load(WeightSource src, Compute compute) { return DECODER.build(src, compute); }
}
