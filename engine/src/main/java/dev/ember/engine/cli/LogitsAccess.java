package dev.ember.engine.cli;

import dev.ember.engine.model.Model;

/** The `ember logits` computation, for tests and tools that want the same numbers in-process. */
public final class LogitsAccess {
    private LogitsAccess() {}

    /** Logits of every position of {@code tokens}, exactly as `ember logits` writes them. */
    public static float[][] allLogits(Model model, int[] tokens) {
        return LogitsCommand.allLogits(model, tokens);
    }

    /** Logits of every position with the KV cache stored in {@code type} (the engine's default type gives the engine's numbers). */
    public static float[][] allLogits(Model model, int[] tokens, dev.ember.engine.api.KvCacheType type) {
        return LogitsCommand.allLogits(model, tokens, LogitsCommand.CHUNK, type);
    }

    /** The same, fed in chunks of {@code chunk} tokens through the cache. */
    public static float[][] allLogits(Model model, int[] tokens, int chunk) {
        return LogitsCommand.allLogits(model, tokens, chunk);
    }

    /** The same, with the KV cache stored in {@code type}. */
    public static float[][] allLogits(Model model, int[] tokens, int chunk, dev.ember.engine.api.KvCacheType type) {
        return LogitsCommand.allLogits(model, tokens, chunk, type);
    }
}
