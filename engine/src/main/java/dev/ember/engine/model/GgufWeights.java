package dev.ember.engine.model;

import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.tensor.Tensor;

import java.util.Map;

/** A GGUF file as a {@link WeightSource}: names and keys are already llama.cpp's. */
public record GgufWeights(GgufFile file) implements WeightSource {
    @Override public String origin() { return file.path().toString(); }
    @Override public boolean hasTensor(String name) { return file.hasTensor(name); }
    @Override public Tensor tensor(String name) { return file.tensor(name); }
    @Override public Map<String, Object> metadata() { return file.metadata(); }

    @Override
    public java.util.List<TensorSummary> tensorSummaries() {
        return file.tensorInfos().values().stream().map(t -> new TensorSummary(t.name(), t.type(), t.shape())).toList();
    }
}
