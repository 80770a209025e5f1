package dev.ember.engine.api;

/**
 * Counters of an engine since it opened (cumulative), and its cache now.
 *
 * @param cancelledRequests   requests (generate or score) cancelled before they finished
 * @param runningSequences    sequences in the running batch at the last step
 * @param peakRunningSequences most sequences that ran in one step so far
 * @param preemptions         sequences preempted for lack of cache blocks (recomputed later)
 * @param kvBlocks            blocks in the KV pool
 * @param freeKvBlocks        blocks free at the last step (including cached ones nobody uses)
 * @param kvCacheType         element type of the KV cache
 * @param forkedPromptTokens  prompt tokens not computed because their sequence forked from a running one sharing them (beyond cached ones)
 */
public record EngineStats(long requestsDone, long promptTokens, long cachedPromptTokens, long generatedTokens, double elapsedSeconds,
                          long cancelledRequests, int runningSequences, int peakRunningSequences, long preemptions,
                          int kvBlocks, int freeKvBlocks, KvCacheType kvCacheType, long forkedPromptTokens) {
    public EngineStats(long requestsDone, long promptTokens, long cachedPromptTokens, long generatedTokens, double elapsedSeconds) {
        this(requestsDone, promptTokens, cachedPromptTokens, generatedTokens, elapsedSeconds, 0, 0, 0, 0, 0, 0, KvCacheType.DEFAULT, 0);
    }

    public double tokensPerSecond() {
        return elapsedSeconds <= 0 ? 0 : (promptTokens - cachedPromptTokens - forkedPromptTokens + generatedTokens) / elapsedSeconds;
    }
}
