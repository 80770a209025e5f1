package dev.ember.engine.model;

import dev.ember.engine.tensor.Tensor;

import java.util.Map;

/**
 * Named weights and metadata of a checkpoint, under llama.cpp's GGUF tensor names. GGUF files
 * serve them directly; other formats translate their names into these, so model families are
 * written once against one naming scheme.
 */
public interface WeightSource {
    /** Where the weights come from, for error messages. */
    String origin();

    boolean hasTensor(String name);

    /** The tensor, or an exception naming the missing tensor and the file. */
    Tensor tensor(String name);

    /** Metadata under GGUF keys (e.g. {@code qwen3.block_count}). */
    Map<String, Object> metadata();
}
