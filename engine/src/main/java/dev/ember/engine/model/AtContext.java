package dev.ember.engine.model;

import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint with the context the engine runs it at, {@link #KEY} in its metadata (the trained
 * {@code context_length} is left alone: BERT's position table is sized by it). What depends on
 * the running context rather than the trained one reads it, as llama.cpp reads its {@code n_ctx}:
 * LongRoPE picks its long factor set only when this context exceeds the original one (a Phi-3
 * 128k model run at 4,096 tokens uses the short set, as transformers does for prompts that short).
 */
public record AtContext(WeightSource base, int contextLength) implements WeightSource {
    /** Ember's metadata key for the running context; absent means the trained one. */
    public static final String KEY = "ember.running_context_length";

    public AtContext {
        if (contextLength < 1) throw new IllegalArgumentException("context length must be >= 1, got " + contextLength);
    }

    @Override public String origin() { return base.origin(); }
    @Override public boolean hasTensor(String name) { return base.hasTensor(name); }
    @Override public Tensor tensor(String name) { return base.tensor(name); }
    @Override public WeightMatrix expert(String name, int e) { return base.expert(name, e); }
    @Override public int expertCount(String name) { return base.expertCount(name); }
    @Override public List<TensorSummary> tensorSummaries() { return base.tensorSummaries(); }

    @Override
    public Map<String, Object> metadata() {
        Map<String, Object> m = new HashMap<>(base.metadata());
        m.put(KEY, (long) contextLength);
        return m;
    }
}
