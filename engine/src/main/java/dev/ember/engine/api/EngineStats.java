package dev.ember.engine.api;

/** Cumulative counters of an engine since it opened. */
public record EngineStats(long requestsDone, long promptTokens, long cachedPromptTokens, long generatedTokens, double elapsedSeconds) {
    public double tokensPerSecond() {
        return elapsedSeconds <= 0 ? 0 : (promptTokens - cachedPromptTokens + generatedTokens) / elapsedSeconds;
    }
}
