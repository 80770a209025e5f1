package dev.ember.engine.kv;

/** Full attention: per token, the roped key and the value of every KV head, paged in blocks. */
public record PagedKvSpec(int kvHeads, int headDim, int valueDim) implements LayerCacheSpec {
    @Override public int keyWidth() { return kvHeads * headDim; }
    @Override public int valueWidth() { return kvHeads * valueDim; }
    @Override public int valueHeadWidth() { return valueDim; }
    @Override public int keyHeadWidth() { return headDim; }
}
