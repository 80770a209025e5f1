package dev.ember.engine.model;

import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.WeightMatrix;

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

    /**
     * Expert {@code e} of a stacked 3-D expert tensor ({@code [k, n, experts]}) as a matrix. Sources
     * that store experts separately (Hugging Face checkpoints) return a view of that expert's own
     * tensor instead of stacking copies.
     */
    default WeightMatrix expert(String name, int e) {
        return tensor(name).slice(e);
    }

    /** Number of experts in a stacked expert tensor. */
    default int expertCount(String name) {
        return Math.toIntExact(tensor(name).shape()[2]);
    }

    /** Every tensor's name, type and shape (GGML order), for `ember info`. */
    java.util.List<TensorSummary> tensorSummaries();

    /** A tensor's description without its data. */
    record TensorSummary(String name, dev.ember.engine.tensor.TensorType type, long[] shape) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        public long bytes() { return type.bytesFor(elements()); }
    }

    /** Metadata under GGUF keys (e.g. {@code qwen3.block_count}). */
    Map<String, Object> metadata();
}
